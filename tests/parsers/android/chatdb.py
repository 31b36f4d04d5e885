"""Building chat-app databases for parser tests from the real schema text, and damaging them.

The schemas are the files in samples/schemas/ (the sample generator builds from the same text);
rows are given as dicts of column values, so each test states only the columns it means.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from samples.sqlitebuild import insert, schema
from tests.parsers.util import store_rows

PAGE = 4096


def build(path: Path, sql: str, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> Path:
    """A database at ``path`` from schema SQL text (or a samples/schemas name) and rows per table."""
    if "CREATE TABLE" not in sql:
        sql = schema(sql)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA page_size = {PAGE}")
        conn.executescript(sql)
        for table, values in rows.items():
            insert(conn, table, values)
        conn.commit()
    finally:
        conn.close()
    return path


def set_raw_text(path: Path, table: str, column: str, rowid: int, raw: bytes) -> None:
    """Store ``raw`` bytes as TEXT (invalid UTF-8 the way a damaged or foreign writer leaves it)."""
    conn = sqlite3.connect(path)
    conn.execute(f'UPDATE "{table}" SET "{column}" = CAST(? AS TEXT) WHERE rowid = ?', (raw, rowid))
    conn.commit()
    conn.close()


def truncated(data: bytes, fraction: float = 0.6) -> bytes:
    return data[: int(len(data) * fraction)]


def garbled(data: bytes, pages: int = 5, seed: int = 6) -> bytes:
    """``pages`` pages of random bytes in the middle of the file."""
    out = bytearray(data)
    rng = random.Random(seed)
    first = len(out) // PAGE // 2
    for n in range(first, first + pages):
        out[n * PAGE : (n + 1) * PAGE] = bytes(rng.getrandbits(8) for _ in range(PAGE))
    return bytes(out)


def sources(case: Any) -> list[dict[str, Any]]:
    return store_rows(
        case, "SELECT parser, source_path, status, schema, records, detail FROM sources ORDER BY id"
    )


def errors(case: Any, severity: str = "error") -> list[str]:
    return [
        str(r["error"])
        for r in store_rows(
            case, "SELECT error FROM extraction_errors WHERE severity = ? ORDER BY id", (severity,)
        )
    ]


def rows(case: Any, kind: str, columns: Sequence[str], where: str = "1") -> list[tuple[Any, ...]]:
    """The chosen columns of a kind's view, in source-record order."""
    got = store_rows(
        case, f"SELECT {', '.join(columns)} FROM {kind} WHERE {where} ORDER BY record_table, record_rowid"
    )
    return [tuple(r[c] for c in columns) for r in got]
