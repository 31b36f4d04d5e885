"""The conversions of the bulk path that need Python, at as little Python per row as possible.

A bulk query's rows never pass through Python objects (``KindSpec.wrap_select``), but three things
can only be decided in Python: whether text is valid UTF-8, a phone number's E.164 form
(``phonenumbers``), and the rebuilding of JSON lists of phones.

* **Text** is stored as read, then checked a column at a time: the values of a range of rows are
  concatenated by SQLite with a newline between them and decoded once by Python. A newline (ASCII)
  cannot be part of a multi-byte sequence, so the whole is valid UTF-8 exactly when every value is.
  Only a range that fails is looked at row by row; its bad values are replaced by their decoding
  with U+FFFD, their bytes kept and their rows flagged, exactly as the typed path does
  (artefacts/text.py). Text stored as a blob is decoded row by row (``ei_text``): it is rare.
* **Phone numbers** go through functions called on every row, but cached on their arguments
  (``lru_cache``): a million messages name a few thousand numbers, and on a cache hit SQLite calls
  straight into C, no Python line runs. (A table of the distinct numbers joined to the rows was
  measured too: listing the distinct values costs more than the calls it saves.)
* Raw values are handed to the functions as the **bytes** of their text and decoded leniently, so no
  value of the evidence can make a function fail: an invalid UTF-8 phone number used to stop the
  whole query at that row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from evidence_intake.artefacts.kinds import Column, KindSpec
from evidence_intake.artefacts.phones import to_e164
from evidence_intake.artefacts.text import LossyText
from evidence_intake.parsers.times import float_time
from evidence_intake.timeutil import iso_utc

CHECK_ROWS = 65_536  # rows whose text is checked in one piece (at most a few MiB of text)


class Lossy:
    """Text of one unit that was not valid UTF-8: (column index, record rowid or row id, raw bytes).

    The SQL functions know the record's rowid (``by_rowid``); the column check knows the row's id in
    the shard (``by_id``), which is exact even when a query gives several rows for one record.
    """

    def __init__(self) -> None:
        self.by_rowid: list[tuple[int, int | None, bytes]] = []
        self.by_id: list[tuple[int, int, bytes]] = []

    def __bool__(self) -> bool:
        return bool(self.by_rowid or self.by_id)

    def clear(self) -> None:
        self.by_rowid.clear()
        self.by_id.clear()


def register_functions(conn: sqlite3.Connection, lossy: Lossy) -> None:
    """The SQL functions bulk statements use, reporting undecodable text into ``lossy``."""

    def ei_text(data: bytes | None, column: int, rowid: int | None) -> str | None:
        if data is None:
            return None
        text = LossyText.decode(bytes(data))
        if isinstance(text, LossyText):
            lossy.by_rowid.append((column, rowid, text.raw))
        return str(text)

    def ei_phones(data: bytes | None, region: bytes | None, column: int, rowid: int | None) -> str:
        if data is None:
            return phones_json(None, _region(region))
        text = LossyText.decode(bytes(data))
        if isinstance(text, LossyText):
            lossy.by_rowid.append((column, rowid, text.raw))
            return _phones(str(text), _region(region))
        return phones_json(text, _region(region))

    conn.create_function("ei_text", 3, ei_text)
    conn.create_function("ei_phones", 4, ei_phones)
    conn.create_function("ei_e164", 2, e164_of, deterministic=True)
    conn.create_function("ei_e164_list", 2, e164_list_of, deterministic=True)
    conn.create_function("ei_iso", 3, _iso, deterministic=True)


def is_utf8(data: bytes | None) -> int:
    if data is None:
        return 1
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return 0
    return 1


def _region(data: bytes | None) -> str | None:
    return None if data is None else str(LossyText.decode(bytes(data)))


# Both are cached on the bytes themselves: a hit returns without running any Python code.
@lru_cache(maxsize=262_144)
def e164_of(raw: bytes | None, region: bytes | None) -> str | None:
    """E.164 of a raw value given as the bytes of its text (as ``to_e164`` sees it in the typed path)."""
    if raw is None:
        return None
    return to_e164(LossyText.decode(bytes(raw)), _region(region))


@lru_cache(maxsize=65_536)
def e164_list_of(raw: bytes | None, region: bytes | None) -> str:
    """JSON array of the valid E.164 numbers of a JSON list of raw numbers."""
    return e164_list(None if raw is None else str(LossyText.decode(bytes(raw))), _region(region))


def _e164(raw: Any, region: str | None) -> str | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    return to_e164(raw, region) if isinstance(raw, str) else None


def e164_list(data: str | None, region: str | None) -> str:
    found = [e for e in (_e164(v, region) for v in _json_list(data)) if e]
    return json.dumps(found, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=65_536)
def phones_json(data: str | None, region: str | None) -> str:
    return _phones(data, region)


def _phones(data: str | None, region: str | None) -> str:
    out = []
    for item in _json_list(data):
        if isinstance(item, dict):
            number = item.get("number")
            out.append({"number": number, "label": item.get("label"), "e164": _e164(number, region)})
        elif isinstance(item, str | int):
            out.append({"number": str(item), "label": None, "e164": _e164(item, region)})
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def _iso(value: float | None, per: int, off: int) -> str | None:
    if value is None:
        return None
    result = float_time(float(value), per, off)
    return None if result is None else iso_utc(result)


def _json_list(data: str | None) -> list[Any]:
    if not data:
        return []
    try:
        value = json.loads(data)
    except (TypeError, ValueError):
        return [data]
    return value if isinstance(value, list) else [value]


# -- text: checked a column at a time ---------------------------------------------------------------


def check_text(
    conn: sqlite3.Connection, spec: KindSpec, columns: Sequence[tuple[int, Column]], first: int, lossy: Lossy
) -> None:
    """Find the values of ``columns`` in rows ``first``.. of the shard that are not valid UTF-8;
    replace each by its lenient decoding and report its bytes in ``lossy``."""
    if not columns:
        return
    last = conn.execute(f"SELECT max(id) FROM {spec.table}").fetchone()[0]
    if last is None:
        return
    names = [c.name for _, c in columns]
    joined = ", ".join(f"CAST(group_concat({n}, char(10)) AS BLOB)" for n in names)
    for lo in range(first, last + 1, CHECK_ROWS):
        hi = min(last, lo + CHECK_ROWS - 1)
        pieces = conn.execute(
            f"SELECT {joined} FROM {spec.table} WHERE id BETWEEN ? AND ?", (lo, hi)
        ).fetchone()
        for (index, column), data in zip(columns, pieces, strict=True):
            if data is None or is_utf8(data):
                continue
            bad = [
                (row_id, raw)
                for row_id, raw in conn.execute(
                    f"SELECT id, CAST({column.name} AS BLOB) FROM {spec.table} "
                    f"WHERE id BETWEEN ? AND ? AND typeof({column.name}) = 'text'",
                    (lo, hi),
                )
                if not is_utf8(raw)
            ]
            conn.executemany(
                f"UPDATE {spec.table} SET {column.name} = ? WHERE id = ?",
                [(str(LossyText.decode(raw)), row_id) for row_id, raw in bad],
            )
            lossy.by_id.extend((index, row_id, raw) for row_id, raw in bad)


def mark_lossy(conn: sqlite3.Connection, spec: KindSpec, first: int, lossy: Lossy) -> None:
    """Keep the bytes of undecodable text in ``undecodable_text`` and flag the rows (ids ``first``..).

    Rows are taken in id order and, within a row, in column order: the order in which SQLite
    evaluated them, whichever way they were found.
    """
    if not lossy:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS lossy (col INTEGER, row_id INTEGER, raw BLOB)")
    conn.execute("DELETE FROM temp.lossy")
    conn.executemany("INSERT INTO temp.lossy VALUES (?, ?, ?)", lossy.by_id)
    if lossy.by_rowid:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS lossy_rowid (col INTEGER, rowid_ INTEGER, raw BLOB)")
        conn.execute("DELETE FROM temp.lossy_rowid")
        conn.executemany("INSERT INTO temp.lossy_rowid VALUES (?, ?, ?)", lossy.by_rowid)
        conn.execute(
            f"INSERT INTO temp.lossy SELECT l.col, t.id, l.raw FROM temp.lossy_rowid AS l "
            f"JOIN {spec.table} AS t ON t.record_rowid = l.rowid_ AND t.id >= ?",
            (first,),
        )
    lossy.clear()
    names = [c.name for c in spec.columns]
    case = " ".join(f"WHEN {i} THEN '{n}'" for i, n in enumerate(names))
    conn.execute(
        "INSERT INTO undecodable_text (kind, row_id, source_id, record_table, record_rowid, column_name, "
        "raw) "
        f"SELECT '{spec.name}', t.id, t.source_id, t.record_table, t.record_rowid, CASE l.col {case} END, "
        f"l.raw FROM temp.lossy AS l JOIN {spec.table} AS t ON t.id = l.row_id ORDER BY t.id, l.col",
    )
    if spec.text_flag:
        conn.execute(
            f"UPDATE {spec.table} SET has_undecodable_text = 1 WHERE id IN (SELECT row_id FROM temp.lossy)"
        )
