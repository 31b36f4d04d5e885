"""Deciding what runs where: which files the parsers' globs match, whether a parser may read a file,
and how its bulk queries split.

``match_files`` walks the evidence tree once and pairs every live file with the parsers whose globs
match it, and with its SQLite companions (-wal, -shm, -journal) found in the same walk. ``probe_database``
looks at the scratch copy: is it SQLite, is its header damaged, which tables does it hold.

``admit`` is the engine's gate between "the globs matched" and "the parser is asked": a SQLite parser
gets only a SQLite file whose tables it knows, with the schema layout it matched; everything else is
a ``Refusal`` whose status says which kind of "no" it is (an error, an unsupported schema with the
tables seen, or simply not applicable), so that each is counted and reported apart.

``rowid_ranges`` cuts a bulk query's table into rowid ranges of about the same number of rows, so that
several workers convert one large table at once and the main process can merge while they work.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.globs import GlobIndex
from evidence_intake.parsers.registry import ParserInfo
from evidence_intake.parsers.schema import SchemaInfo, closest, match
from evidence_intake.parsers.source import (
    COMPANION_SUFFIXES,
    Source,
    SourceFile,
    header_problem,
    looks_like_sqlite,
    open_readonly,
    restore_wal,
    set_aside_wal,
    wal_problem,
)


def match_files(
    tree: EvidenceTree, parsers: Sequence[ParserInfo]
) -> list[tuple[Entry, list[ParserInfo], list[Entry]]]:
    """(file, parsers whose globs match it, its companion files), in order of location.

    Deleted entries are left out: a parser reads what the file system holds as live files.
    """
    index = GlobIndex.build((i.name, i.cls.globs) for i in parsers)
    by_name = {i.name: i for i in parsers}
    matched: list[tuple[Entry, list[ParserInfo]]] = []
    companions: dict[tuple[str, str], list[Entry]] = {}
    for entry in tree.walk():
        if entry.type != EntryType.FILE or entry.deleted:
            continue
        for suffix in COMPANION_SUFFIXES:
            if entry.name.endswith(suffix):
                key = (entry.volume, entry.path[: -len(suffix)])
                companions.setdefault(key, []).append(entry)
        names = index.match(entry.path, entry.name)
        if names:
            matched.append((entry, [by_name[n] for n in names]))
    matched.sort(key=lambda m: m[0].location)
    return [(e, infos, companions.get((e.volume, e.path), [])) for e, infos in matched]


def probe_database(path: Path) -> tuple[bool, SchemaInfo | None, str | None, str | None]:
    """(is SQLite, its tables and columns, why they could not be read, why it is read leniently).

    The last is a warning recorded for the source: a damaged header, or a -wal that SQLite applies
    only in part or that had to be left out. A database that is malformed with its -wal but sound
    without it (a log from another database, or a damaged one) is read without it, said so, rather
    than not at all. A database damaged either way is read with its log, as it came: the parsers
    keep what can be read and report where they stop.
    """
    is_sqlite = looks_like_sqlite(path)
    if not is_sqlite:
        return False, None, None, None
    damaged = header_problem(path)
    lenient = damaged is not None
    notes = [n for n in (damaged, wal_problem(path)) if n]
    info: SchemaInfo | None = None
    failure: str | None = None
    try:
        info = _read_schema(path, lenient=lenient)
    except sqlite3.DatabaseError as exc:
        failure = str(exc)
    if not _has_log(path) or (info is not None and _sound(path, lenient=lenient)):
        return _probed(info, failure, notes)
    set_aside_wal(path)
    try:
        without = _read_schema(path, lenient=lenient)
        sound_without = _sound(path, lenient=lenient)
    except sqlite3.DatabaseError:
        sound_without = False
    if sound_without:
        left_out = (
            f"the database is malformed with its -wal ({failure or 'its pages fail SQLite checks'}) but "
            "sound without it: the -wal may belong to another database or be damaged, so it was left out "
            "and records only it holds are not in this extraction; examine it by hand"
        )
        return True, without, None, "; ".join([*([damaged] if damaged else []), left_out])
    for suffix in ("-wal", "-shm"):  # the empty ones SQLite made while reading without the log
        Path(str(path) + suffix).unlink(missing_ok=True)
    restore_wal(path)
    return _probed(info, failure, notes)


def _probed(
    info: SchemaInfo | None, failure: str | None, notes: list[str]
) -> tuple[bool, SchemaInfo | None, str | None, str | None]:
    if info is None:
        return True, None, f"SQLite cannot read the database: {failure}", "; ".join(notes) or None
    return True, info, None, "; ".join(notes) or None


def _has_log(path: Path) -> bool:
    wal = Path(str(path) + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _read_schema(path: Path, *, lenient: bool) -> SchemaInfo:
    conn = open_readonly(path, lenient=lenient)
    try:
        return SchemaInfo.read(conn)
    finally:
        conn.close()


def _sound(path: Path, *, lenient: bool) -> bool:
    """Every page SQLite reads passes its quick check (run only where a -wal is there to blame: a log
    from another database shows only in the pages it replaces)."""
    conn = open_readonly(path, lenient=lenient)
    try:
        return bool(conn.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok")
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a parser does not run on a file.

    ``status`` is "error", "unsupported schema" or "not applicable"; ``tables`` are those seen, if any.
    """

    reason: str
    status: str = "error"
    tables: list[str] | None = None


def admit(
    cls: type[Parser],
    base: SourceFile,
    is_sqlite: bool,
    schema_info: SchemaInfo | None,
    schema_error: str | None,
    damaged: str | None,
) -> SourceFile | Refusal:
    """The file as the parser will see it (with its matched schema), or why it may not read it."""
    if not cls.sqlite:
        return base
    tables = sorted(schema_info.tables) if schema_info else None
    if is_sqlite and schema_info is not None and cls.marker_tables:
        if not any(schema_info.has(t) for t in cls.marker_tables):
            return Refusal(
                f"none of the tables {', '.join(cls.marker_tables)} is in this file",
                status="not applicable",
                tables=tables,
            )
    if not is_sqlite:
        return Refusal(
            f"{base.location} is not a SQLite database (its first bytes are not 'SQLite format 3'); "
            "it may be encrypted, damaged or of another format: examine it by hand"
        )
    if schema_info is None:
        return Refusal(schema_error or "unreadable database")
    schema = match(cls.schemas, schema_info) if cls.schemas else None
    if cls.schemas and schema is None:
        near = closest(cls.schemas, schema_info)
        lacks = f"; closest known layout {near[0].name!r} lacks {', '.join(near[1][:12])}" if near else ""
        return Refusal(
            f"unsupported schema: tables seen: {schema_info.summary()}{lacks}",
            status="unsupported schema",
            tables=tables,
        )
    return replace(base, info=schema_info, schema=schema, is_sqlite=True, damaged=damaged)


def rowid_ranges(
    source: Source, query: BulkQuery, *, chunk_rows: int, ramp: Sequence[int] = ()
) -> list[tuple[int, int] | None]:
    """Rowid ranges of about ``chunk_rows`` rows each over the query's table; ``[None]``: the whole table.

    The first ranges are ``chunk_rows / ramp[0]``, ``/ ramp[1]``… rows, so that the first results come
    back soon. A table whose rowids have gaps gets wider ranges (rows per rowid is measured once).
    """
    if not query.splittable:
        return [None]
    try:
        lo, hi, count = source.db.execute(
            f'SELECT min(rowid), max(rowid), count(*) FROM "{query.table}"'
        ).fetchone()
    except sqlite3.DatabaseError:
        return [None]  # the unit will meet the same problem and report it with what it could salvage
    if not count:
        return [None]
    density = count / (hi - lo + 1)
    ranges: list[tuple[int, int] | None] = []
    start = lo
    while start <= hi:
        divisor = ramp[len(ranges)] if len(ranges) < len(ramp) else 1
        span = max(1, math.ceil(max(1, chunk_rows // divisor) / density))
        ranges.append((start, min(hi, start + span - 1)))
        start += span
    return ranges
