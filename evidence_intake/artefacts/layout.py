"""The artefact store's table layout, without the migration machinery (worker processes import this).

The worker processes that fill shards need the base tables' layout but not ``sqlite_utils``, whose
import (it pulls in pandas when installed) costs a worker more CPU than converting thousands of rows.
``schema.py`` applies these definitions through its migrations; they are written out here once.
"""

from __future__ import annotations

import sqlite3

from evidence_intake.artefacts.kinds import KindSpec


def base_table_sql(spec: KindSpec, columns: list[tuple[str, str]]) -> str:
    cols = ",\n  ".join(f"{name} {sqltype}".rstrip() for name, sqltype in columns)
    return (
        f"CREATE TABLE {spec.table} (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  source_id INTEGER NOT NULL REFERENCES sources(id),\n"
        "  exhibit TEXT NOT NULL,\n"
        "  record_table TEXT,\n"
        "  record_rowid INTEGER,\n"
        "  record_offset INTEGER,\n"
        f"  {cols}\n)"
    )


# The column lists of migration 1, written out so that later code changes cannot alter what an
# applied migration meant. tests/artefacts/test_schema.py checks them against the KindSpecs.
M001_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "messages": [
        ("app", "TEXT"),
        ("account", "TEXT"),
        ("thread_id", "TEXT"),
        ("thread_name", "TEXT"),
        ("sender", "TEXT"),
        ("sender_name", "TEXT"),
        ("sender_phone", "TEXT"),
        ("sender_user_id", "TEXT"),
        ("recipients", "TEXT"),
        ("recipient_phones", "TEXT"),
        ("direction", "TEXT"),
        ("status", "TEXT"),
        ("sent_at", "TEXT"),
        ("sent_at_raw", ""),
        ("received_at", "TEXT"),
        ("received_at_raw", ""),
        ("body", "TEXT"),
        ("attachments", "TEXT"),
        ("is_deleted", "INTEGER"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
    "contacts": [
        ("app", "TEXT"),
        ("account", "TEXT"),
        ("name", "TEXT"),
        ("phones", "TEXT"),
        ("emails", "TEXT"),
        ("handles", "TEXT"),
        ("organization", "TEXT"),
        ("notes", "TEXT"),
        ("is_deleted", "INTEGER"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
    "calls": [
        ("app", "TEXT"),
        ("number", "TEXT"),
        ("number_e164", "TEXT"),
        ("name", "TEXT"),
        ("direction", "TEXT"),
        ("status", "TEXT"),
        ("call_type", "TEXT"),
        ("started_at", "TEXT"),
        ("started_at_raw", ""),
        ("duration_s", "INTEGER"),
        ("location", "TEXT"),
        ("is_deleted", "INTEGER"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
    "accounts": [
        ("app", "TEXT"),
        ("user_id", "TEXT"),
        ("phone", "TEXT"),
        ("phone_e164", "TEXT"),
        ("username", "TEXT"),
        ("display_name", "TEXT"),
        ("email", "TEXT"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
    "encrypted_stores": [
        ("app", "TEXT"),
        ("store_type", "TEXT"),
        ("reason", "TEXT"),
        ("key_hint", "TEXT"),
    ],
    "wallet_addresses": [
        ("app", "TEXT"),
        ("chain", "TEXT"),
        ("address", "TEXT"),
        ("asset", "TEXT"),
        ("label", "TEXT"),
        ("is_own", "INTEGER"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
    "secrets": [
        ("app", "TEXT"),
        ("secret_type", "TEXT"),
        ("value", "TEXT"),
        ("chain", "TEXT"),
        ("related_address", "TEXT"),
        ("label", "TEXT"),
        ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
    ],
}


# Migration 2 (m002_call_duration_raw) rebuilt call_rows with duration_raw after duration_s.
M002_CALL_COLUMNS: list[tuple[str, str]] = [
    ("app", "TEXT"),
    ("number", "TEXT"),
    ("number_e164", "TEXT"),
    ("name", "TEXT"),
    ("direction", "TEXT"),
    ("status", "TEXT"),
    ("call_type", "TEXT"),
    ("started_at", "TEXT"),
    ("started_at_raw", ""),
    ("duration_s", "INTEGER"),
    ("duration_raw", ""),
    ("location", "TEXT"),
    ("is_deleted", "INTEGER"),
    ("has_undecodable_text", "INTEGER NOT NULL DEFAULT 0"),
]

# The layout the migrations give today: shards are made with it, so that they merge into the store.
COLUMNS: dict[str, list[tuple[str, str]]] = {**M001_COLUMNS, "calls": M002_CALL_COLUMNS}


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (``executescript`` would commit the migration's transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")
