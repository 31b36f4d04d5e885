"""Reading entries for verification from a file that may have been edited by anyone.

Rows come in batches of plain columns; verify rebuilds each entry's canonical text with
:func:`~.entry.fast_canonical_text` and re-checks any entry that does not match with the full canonical
encoder before reporting it. A file holding bytes that are not UTF-8 (written by hand) would make SQLite's
text decoding fail for the whole batch: the reader then decodes leniently from that point on, so that the
entry is reported instead of the verification stopping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from .entry import ENTRY_COLUMNS

BATCH = 2000
SQL_ROWS = f"SELECT {ENTRY_COLUMNS} FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq"
FIRST_SEQ, LAST_SEQ = -(2**63), 2**63 - 1


def lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class EntryReader:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def batches(self, after: int = FIRST_SEQ, up_to: int = LAST_SEQ) -> Iterator[list[tuple[Any, ...]]]:
        """Every stored column (see ``ENTRY_COLUMNS``) of the entries after ``after`` up to ``up_to``."""
        last = after
        while True:
            try:
                cursor = self.conn.execute(SQL_ROWS, (last, up_to))
                while batch := cursor.fetchmany(BATCH):
                    last = batch[-1][0]
                    yield batch
                return
            except sqlite3.OperationalError as exc:
                if "decode" not in str(exc).lower() or self.conn.text_factory is lenient_text:
                    raise
                self.conn.text_factory = lenient_text

    def full_row(self, seq: int) -> tuple[Any, ...] | None:
        """Every stored column of one entry (text decoded leniently), for the full re-check."""
        previous = self.conn.text_factory
        self.conn.text_factory = lenient_text
        try:
            return self.conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries WHERE seq = ?", (seq,)).fetchone()
        finally:
            self.conn.text_factory = previous
