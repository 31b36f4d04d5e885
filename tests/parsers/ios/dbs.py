"""iOS test databases built from the real schema text in samples/schemas/ios/, one file per app."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samples.sqlitebuild import insert, schema

MAC_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def build(path: Path, schema_name: str, rows: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
    """``path`` made from ``samples/schemas/<schema_name>.sql`` and ``rows`` per table (dicts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(schema(schema_name))
    for table, values in rows.items():
        insert(conn, table, values)
    conn.commit()
    conn.close()
    return path


def mac_s(when: datetime) -> float:
    return (when - MAC_EPOCH).total_seconds()


def mac_ns(when: datetime) -> int:
    delta = when - MAC_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
