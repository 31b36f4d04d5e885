"""What an attacker with the file, a database tool and this very software can do to a ledger.

Tests use these to check that verify catches each kind of tampering: plain sqlite3, triggers dropped first,
exactly as someone editing the file by hand would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from chain_of_custody import GENESIS_HASH, HASHED_FIELDS, Signer, compute_entry_hash
from chain_of_custody.canonical import canonical_json
from chain_of_custody.merkle import MemoryTree, leaf_hash

COLUMNS = (*HASHED_FIELDS, "entry_hash", "signature")


def triggers(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()


def tamper(
    path: Path, *statements: str | tuple[str, tuple[Any, ...]], keep_triggers_dropped: bool = True
) -> None:
    """Drop the append-only triggers, run the statements, commit (and put the triggers back if asked)."""
    conn = sqlite3.connect(path)
    saved = triggers(conn)
    for name, _sql in saved:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        if isinstance(statement, tuple):
            conn.execute(*statement)
        else:
            conn.execute(statement)
    if not keep_triggers_dropped:
        for _name, sql in saved:
            conn.execute(sql)
    conn.commit()
    conn.close()


def read_rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY seq").fetchall()
    conn.close()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def rewrite_history(
    path: Path,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    signers: Mapping[str, Signer] | None = None,
) -> None:
    """Rewrite the whole ledger consistently: renumber, rehash, relink, re-sign what the attacker can sign
    (``signers`` by key id; other signatures are kept as they were), rebuild the Merkle tree, drop the
    stored checkpoints, and put the triggers back so the file looks untouched."""
    import json

    signers = signers or {}
    rows = edit(read_rows(path))
    previous = GENESIS_HASH
    leaves = []
    for number, row in enumerate(rows, start=1):
        row["seq"] = number
        row["prev_hash"] = previous
        fields = {name: row[name] for name in HASHED_FIELDS}
        fields["details"] = json.loads(row["details"])
        row["details"] = canonical_json(fields["details"])
        row["entry_hash"] = compute_entry_hash(fields)
        if row["key_id"] in signers:
            row["signature"] = signers[row["key_id"]].sign(bytes.fromhex(row["entry_hash"])).hex()
        previous = row["entry_hash"]
        leaves.append(leaf_hash(bytes.fromhex(row["entry_hash"])))
    tree = MemoryTree(leaves)
    statements: list[str | tuple[str, tuple[Any, ...]]] = [
        "DELETE FROM entries",
        "DELETE FROM tree_nodes",
        "DELETE FROM checkpoints",
    ]
    placeholders = ", ".join("?" * len(COLUMNS))
    for row in rows:
        statements.append(
            (
                f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                tuple(row[c] for c in COLUMNS),
            )
        )
    for level, nodes in enumerate(tree.levels):
        for index, value in enumerate(nodes):
            statements.append(
                ("INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)", (level, index, value))
            )
    tamper(path, *statements, keep_triggers_dropped=False)
