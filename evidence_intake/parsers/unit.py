"""The unit of work: one parser on one source file (or on one rowid range of one bulk query).

``run_unit(unit)`` is a pure, picklable function: it reads only the verified scratch copy named in
the unit, writes only the unit's own shard file (a small SQLite database with the store's base
tables), and returns a ``UnitResult`` with counts, errors and warnings. It never touches the case,
the ledger or the artefact store, and it never raises for anything a parser or the evidence does:
that is reported in the result. So the engine can run units in-process, in a process pool (now),
or on a Dask cluster (later: shards on shared storage), and merge the shards in a fixed order.

Rows travel in the shard rather than as Python objects: a million SMS never cross a pipe.
"""

from __future__ import annotations

import os
import sqlite3
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_intake.artefacts import kinds as K
from evidence_intake.artefacts.kinds import KindSpec, spec_for
from evidence_intake.artefacts.layout import COLUMNS, base_table_sql, run_script
from evidence_intake.artefacts.model import Artefact
from evidence_intake.artefacts.text import LossyText, text_factory
from evidence_intake.errors import disk_full, no_room
from evidence_intake.parsers import bulk
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.source import Source, SourceFile
from evidence_intake.parsers.sql import quote

BATCH = 5_000
MAX_ERRORS_PER_UNIT = 100


@dataclass(frozen=True, slots=True)
class WorkUnit:
    unit_id: str
    parser: type[Parser]
    source: SourceFile
    source_id: int
    shard: Path
    bulk: BulkQuery | None = None
    rowid_range: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class UnitProblem:
    severity: str  # "error" or "warning"
    message: str
    record_table: str | None = None
    record_rowid: int | None = None


@dataclass(slots=True)
class UnitResult:
    unit_id: str
    shard: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[UnitProblem] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the process running the unit, spent on it
    disk_full: bool = False  # the shard could not be written: the case's disk (not the parser) failed


class ShardWriter:
    """The store's base tables in a private SQLite file; ids count from 1 so the merge can offset them."""

    def __init__(self, path: Path, *, source_id: int, exhibit: str, region: str) -> None:
        self.path = path
        self.source_id = source_id
        self.exhibit = exhibit
        self.region = region
        self.lossy = bulk.Lossy()
        # uri=True: the source is attached by a "file:…?mode=ro" URI, which SQLite honours only then
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # a full disk is ENOSPC here
        self.conn = sqlite3.connect(path, uri=True, isolation_level=None, check_same_thread=False)
        self.conn.text_factory = text_factory
        self.conn.execute("PRAGMA journal_mode=MEMORY")  # OFF would make ROLLBACK TO undefined
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        bulk.register_functions(self.conn, self.lossy)
        run_script(
            self.conn,
            """
            CREATE TABLE identifiers (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, row_id INTEGER NOT NULL,
              exhibit TEXT NOT NULL, app TEXT, role TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL,
              raw TEXT);
            CREATE TABLE undecodable_text (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,
              row_id INTEGER NOT NULL, source_id INTEGER NOT NULL, record_table TEXT, record_rowid INTEGER,
              column_name TEXT NOT NULL, raw BLOB NOT NULL);
            """,
        )
        self._tables: set[str] = set()
        # per table, the fields bulk queries gave (None once a typed row could have set any field):
        # identifiers are not looked for in columns that are empty by construction
        self._fields: dict[str, set[str] | None] = {}
        self._next_id: dict[str, int] = {}
        self._pending: dict[str, list[list[Any]]] = {}
        self._undecodable: list[tuple[Any, ...]] = []

    def _table(self, spec: KindSpec) -> None:
        if spec.table not in self._tables:
            self.conn.execute(base_table_sql(spec, COLUMNS[spec.name]))
            self._tables.add(spec.table)
            self._next_id[spec.table] = 1

    def add(self, artefact: Artefact) -> None:
        spec = spec_for(artefact)
        self._table(spec)
        self._fields[spec.table] = None
        undecodable: list[tuple[str, bytes]] = []
        values = spec.to_row(artefact, self.region, undecodable)
        row_id = self._next_id[spec.table]
        self._next_id[spec.table] = row_id + 1
        loc = artefact.locator
        self._pending.setdefault(spec.table, []).append(
            [row_id, self.source_id, self.exhibit, loc.table, loc.rowid, loc.offset, *values]
        )
        for column, raw in undecodable:
            self._undecodable.append((spec.name, row_id, self.source_id, loc.table, loc.rowid, column, raw))
        if len(self._pending[spec.table]) >= BATCH:
            self._flush(spec)

    def _flush(self, spec: KindSpec) -> None:
        rows = self._pending.pop(spec.table, [])
        if not rows:
            return
        columns = [
            "id",
            "source_id",
            "exhibit",
            "record_table",
            "record_rowid",
            "record_offset",
            *spec.column_names,
        ]
        marks = ", ".join("?" * len(columns))
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def flush_all(self) -> None:
        for spec in K.KINDS.values():
            if spec.table in self._pending:
                self._flush(spec)
        if self._undecodable:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT INTO undecodable_text (kind, row_id, source_id, record_table, record_rowid, "
                "column_name, raw) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                self._undecodable,
            )
            self.conn.execute("COMMIT")
            self._undecodable = []

    def run_bulk(
        self, query: BulkQuery, source: SourceFile, rowid_range: tuple[int, int] | None
    ) -> list[UnitProblem]:
        """Run one bulk query on the attached scratch copy; salvage rows up to a corrupt page."""
        spec = spec_for(query.kind)
        self._table(spec)
        problems: list[UnitProblem] = []
        if source.damaged:
            self.conn.execute("PRAGMA writable_schema=ON")  # read a truncated file (see source.open_readonly)
        self.conn.execute("ATTACH DATABASE ? AS src", (source.local_path.resolve().as_uri() + "?mode=ro",))
        try:
            selected = [d[0] for d in self.conn.execute(f"SELECT * FROM ({query.sql}) LIMIT 0").description]
            allowed = {c.field for c in spec.columns} | {"record_rowid", "record_table", "region"}
            unknown = sorted(set(selected) - allowed)
            if unknown or "record_rowid" not in selected:
                raise ValueError(
                    f"bulk query {query.label or query.table!r} returns "
                    + (f"unknown columns {unknown}" if unknown else "no record_rowid column")
                    + f"; {spec.name} takes {sorted(allowed)}"
                )
            table_sql = quote(query.table)
            record_table = (
                f"coalesce(q.record_table, {table_sql})" if "record_table" in selected else table_sql
            )
            provenance = [":source_id", ":exhibit", record_table, "q.record_rowid", "NULL"]
            params: dict[str, Any] = {
                "source_id": self.source_id,
                "exhibit": self.exhibit,
                "region": self.region,
            }
            # The range is applied inside (SQLite pushes it down to the table's rowid), and OFFSET
            # keeps the parser's query from being flattened into the wrapper (SQLite never flattens a
            # subquery with an OFFSET; LIMIT alone does not stop it): each of its columns is then
            # computed once per row, although the wrapper refers to some several times.
            where = ""
            if rowid_range is not None:
                where = " WHERE record_rowid BETWEEN :lo AND :hi"
                params["lo"], params["hi"] = rowid_range
            inner = f"SELECT * FROM ({query.sql}){where} LIMIT -1 OFFSET 0"
            columns = [
                "source_id",
                "exhibit",
                "record_table",
                "record_rowid",
                "record_offset",
                *spec.column_names,
            ]
            insert = f"INSERT INTO {spec.table} ({', '.join(columns)}) "
            first_new = self._next_id[spec.table]
            self.conn.execute("BEGIN")
            select = spec.wrap_select(selected, inner, provenance)
            if spec.table not in self._fields:
                self._fields[spec.table] = set(selected)
            elif (fields := self._fields[spec.table]) is not None:
                fields.update(selected)
            try:
                self.conn.execute(insert + select, params)
            except sqlite3.DatabaseError as exc:
                if _disk_full(exc, self.path.parent):
                    raise  # the shard's disk is full: no row-by-row reading would fit either
                self.conn.execute("ROLLBACK")
                self.lossy.clear()
                self.conn.execute("BEGIN")
                problems.append(self._salvage(spec, insert, params, select, exc, source))
            bulk.check_text(self.conn, spec, spec.text_columns(selected), first_new, self.lossy)
            last = self.conn.execute(f"SELECT max(id) FROM {spec.table}").fetchone()[0] or 0
            self._next_id[spec.table] = last + 1
            bulk.mark_lossy(self.conn, spec, first_new, self.lossy)
            self.conn.execute("COMMIT")
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.conn.execute("DETACH DATABASE src")
        return problems

    def _salvage(
        self,
        spec: KindSpec,
        insert: str,
        params: dict[str, Any],
        select: str,
        exc: sqlite3.DatabaseError,
        source: SourceFile,
    ) -> UnitProblem:
        """Read the query row by row and keep every row before the one SQLite cannot read.

        The reading happens on a connection of its own: after a corruption error SQLite refuses
        further work on the connection that met it, and the shard must stay writable. Text that is
        not valid UTF-8 arrives as ``LossyText`` (the reader's text factory) and is reported here.
        """
        kept = 0
        last_rowid: int | None = None
        width = 5 + len(spec.column_names)
        statement = insert + "VALUES (" + ", ".join("?" * width) + ")"
        reader = sqlite3.connect(":memory:", uri=True, check_same_thread=False)
        reader.text_factory = text_factory
        bulk.register_functions(reader, self.lossy)
        if source.damaged:
            reader.execute("PRAGMA writable_schema=ON")
        batch: list[tuple[Any, ...]] = []
        try:
            reader.execute("ATTACH DATABASE ? AS src", (source.local_path.resolve().as_uri() + "?mode=ro",))
            for row in reader.execute(select, params):  # one at a time: keep all before the bad page
                for i in range(5, 5 + len(spec.columns)):
                    if isinstance(row[i], LossyText):
                        self.lossy.by_rowid.append((i - 5, row[3], row[i].raw))
                batch.append(row)
                if len(batch) >= 1000:
                    self.conn.executemany(statement, batch)
                    kept += len(batch)
                    last_rowid = batch[-1][3]
                    batch = []
            detail = f"the bulk query failed ({exc}) but reading row by row went through"
        except sqlite3.DatabaseError as again:
            if batch:
                last_rowid = batch[-1][3]
            after = f"after rowid {last_rowid}" if last_rowid is not None else "before the first row"
            detail = f"{again} (reading stopped {after}; {kept + len(batch)} rows before it are kept)"
        finally:
            reader.close()
        if batch:
            self.conn.executemany(statement, batch)
        return UnitProblem("error", f"{spec.name}: {detail}")

    def finish(self) -> tuple[dict[str, int], list[UnitProblem]]:
        """Flush, derive identifiers, check times; returns rows per kind and warnings."""
        self.flush_all()
        self.conn.execute("BEGIN")
        counts: dict[str, int] = {}
        warnings: list[UnitProblem] = []
        for spec in K.KINDS.values():
            if spec.table in self._tables:
                counts[spec.name] = self.conn.execute(f"SELECT count(*) FROM {spec.table}").fetchone()[0]
        for spec in K.KINDS.values():
            if counts.get(spec.name):
                for sql in identifier_statements(spec, self._fields.get(spec.table)):
                    self.conn.execute(sql)
                warnings.extend(row_warnings(self.conn, spec))
        self.conn.execute("COMMIT")
        self.conn.close()
        return counts, warnings

    def abort(self) -> None:
        self.conn.close()


def identifier_statements(spec: KindSpec, fields: set[str] | None = None) -> list[str]:
    """SQL deriving ``identifiers`` rows from a kind's table (same for typed and bulk rows).

    ``fields``: when only bulk queries filled the table, the fields they selected; a column made
    from none of them is empty (NULL or '[]') on every row and is not scanned.
    """
    source_field = {c.name: c.field for c in spec.columns}
    out: list[str] = []
    for ident in spec.identifiers:
        if fields is not None and source_field[ident.column] not in fields:
            continue
        head = (
            "INSERT INTO identifiers (kind, row_id, exhibit, app, role, type, value, raw) "
            f"SELECT '{spec.name}', t.id, t.exhibit, t.app, '{ident.role}', '{ident.type}', "
        )
        if ident.json_path is None:
            value = f"t.{ident.column}"
            if ident.type == "email":
                value = f"lower(trim(t.{ident.column}))"
            raw = f"t.{ident.raw_column}" if ident.raw_column else "NULL"
            cond = f"t.{ident.column} IS NOT NULL AND trim(t.{ident.column}) != ''"
            if ident.type == "email":
                cond += f" AND instr(t.{ident.column}, '@') > 0"
            out.append(f"{head}{value}, {raw} FROM {spec.table} AS t WHERE {cond}")
        else:
            item = "j.value" if ident.json_path == "$" else f"json_extract(j.value, '{ident.json_path}')"
            raw = (
                "json_extract(j.value, '$.number')"
                if ident.type == "phone" and ident.json_path != "$"
                else item
            )
            value = f"lower(trim({item}))" if ident.type == "email" else item
            cond = f"{item} IS NOT NULL AND trim({item}) != ''"
            if ident.type == "email":
                cond += f" AND instr({item}, '@') > 0"
            # most lists are empty: '[]' is skipped before json_each is even set up
            out.append(
                f"{head}{value}, {raw} FROM {spec.table} AS t, json_each(t.{ident.column}) AS j "
                f"WHERE t.{ident.column} != '[]' AND json_valid(t.{ident.column}) AND {cond}"
            )
    return out


def row_warnings(conn: sqlite3.Connection, spec: KindSpec) -> list[UnitProblem]:
    """Warnings about a kind's rows, found in one pass: a time column whose stored value is set but
    could not be converted (one warning per column), and text that was not valid UTF-8."""
    checks: list[tuple[str, str]] = []  # (time column, condition)
    for column in spec.columns:
        raw = f"{column.name}_raw"
        if column.role == K.TIME and raw in spec.column_names:
            checks.append(
                (column.name, f"{column.name} IS NULL AND {raw} IS NOT NULL AND {raw} != 0 AND {raw} != ''")
            )
    counts = [f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)" for _, cond in checks]
    if spec.text_flag:
        counts.append("sum(has_undecodable_text = 1)")
    if not counts:
        return []
    found = conn.execute(f"SELECT {', '.join(counts)} FROM {spec.table}").fetchone()
    out: list[UnitProblem] = []
    for (name, cond), n in zip(checks, found, strict=False):
        if not n:
            continue
        table, rowid, value = conn.execute(
            f"SELECT record_table, record_rowid, {name}_raw FROM {spec.table} WHERE {cond} "
            "ORDER BY id LIMIT 1"
        ).fetchone()
        out.append(
            UnitProblem(
                "warning",
                f"{n} {spec.name} have a {name} that is out of range or not a number "
                f"(first: {table}#{rowid}, stored value {value!r}); "
                f"{name} is left empty and the stored value kept in {name}_raw",
                record_table=table,
                record_rowid=rowid,
            )
        )
    if spec.text_flag and found[-1]:
        out.append(
            UnitProblem(
                "warning",
                f"{found[-1]} {spec.name} hold text that is not valid UTF-8: decoded with U+FFFD "
                "replacement, flagged has_undecodable_text = 1, raw bytes kept in undecodable_text",
            )
        )
    return out


def _describe_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, sqlite3.DatabaseError):
        return f"SQLite could not read the database: {text}{where}"
    return f"{exc.__class__.__name__}: {text}{where}"


def _disk_full(exc: BaseException, folder: Path | None = None) -> bool:
    """A write that failed for want of space (the shard, or SQLite's temporary files), not a parser fault.

    A disk out of inodes reaches SQLite as "unable to open database file" (a journal it could not
    create), so that error counts too when ``folder`` has no blocks or inodes left.
    """
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return True
        return (
            code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) and folder is not None and no_room(folder)
        )
    return isinstance(exc, OSError) and disk_full(exc)


def run_unit(unit: WorkUnit) -> UnitResult:
    """Run one unit of work; everything that goes wrong is reported in the result, never raised."""
    started, cpu = time.perf_counter(), time.process_time()
    result = UnitResult(unit_id=unit.unit_id, shard=unit.shard)
    writer: ShardWriter | None = None
    source = Source(unit.source)
    try:
        writer = ShardWriter(
            unit.shard, source_id=unit.source_id, exhibit=unit.source.exhibit, region=unit.source.region
        )
        if unit.bulk is not None:
            result.problems.extend(writer.run_bulk(unit.bulk, unit.source, unit.rowid_range))
        else:
            _run_typed(unit.parser(), source, writer, result)
        counts, warnings = writer.finish()
        writer = None
        result.counts = counts
        result.problems.extend(warnings)
    except Exception as exc:
        result.problems.append(UnitProblem("error", _describe_exception(exc)))
        result.disk_full = _disk_full(exc, unit.shard.parent)
        if writer is not None:
            try:
                counts, warnings = writer.finish()  # the rows yielded before the failure are kept,
                result.counts = counts
                result.problems.extend(warnings)  # and so are their warnings
            except Exception as again:
                writer.abort()
                result.counts = {}
                result.shard = None
                result.disk_full = result.disk_full or _disk_full(again, unit.shard.parent)
    finally:
        source.close()
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu
    return result


def _run_typed(parser: Parser, source: Source, writer: ShardWriter, result: UnitResult) -> None:
    allowed = tuple(parser.kinds)
    wrong: set[str] = set()
    try:
        for artefact in parser.parse(source):
            if not isinstance(artefact, allowed):
                name = type(artefact).__name__
                if name not in wrong:
                    wrong.add(name)
                    result.problems.append(
                        UnitProblem(
                            "error", f"yielded a {name}, which is not among the parser's kinds; skipped"
                        )
                    )
                continue
            writer.add(artefact)
    finally:  # what the parser reported about records it did yield counts even when it then failed
        for message, locator in source.take_warnings():
            table = locator.table if locator is not None else None
            rowid = locator.rowid if locator is not None else None
            result.problems.append(UnitProblem("warning", message, record_table=table, record_rowid=rowid))
