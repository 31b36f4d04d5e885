"""Small helpers shared by the iOS parsers."""

from __future__ import annotations

import sqlite3

from evidence_intake.parsers.source import Source


def has_leading_index(source: Source, table: str, column: str) -> bool:
    """Whether ``table`` has a (non-partial) index whose first column is ``column``.

    A join on a column without an index makes SQLite scan the whole table once per row (a million
    messages: hours). Real app databases carry the indexes their app queries with; a file that lacks
    one is read with a plan that does not need it (a joined, grouped subquery). Only the schema is
    read here, no rows.
    """
    try:
        indexes = source.db.execute("SELECT name, partial FROM pragma_index_list(?)", (table,)).fetchall()
        for name, partial in indexes:
            if partial:
                continue
            first = source.db.execute(
                "SELECT name FROM pragma_index_info(?) WHERE seqno = 0", (name,)
            ).fetchone()
            if first is not None and first[0] == column:
                return True
    except sqlite3.DatabaseError:
        return False
    return False


def app_group(path: str) -> str | None:
    """The AppGroup folder a file sits in (a UUID on the phone, the group id in an iTunes backup)."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == "AppGroup" and i > 0 and parts[i - 1] == "Shared" and i + 1 < len(parts) - 1:
            return parts[i + 1]
    return None
