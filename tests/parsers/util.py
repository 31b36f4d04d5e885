"""Helpers for parser tests: databases from SQL text, and reading the artefact store."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def store_rows(case: Any, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(case.artefacts_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def make_db(path: Path, sql: str, rows: dict[str, Sequence[Sequence[Any]]] | None = None) -> Path:
    """A SQLite database at ``path`` from schema SQL text and rows per table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    for table, values in (rows or {}).items():
        for row in values:
            marks = ", ".join("?" * len(row))
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", row)
    conn.commit()
    conn.close()
    return path


def sha256_tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (to prove evidence is unchanged by extraction)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
