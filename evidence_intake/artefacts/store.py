"""The artefact store, ``artefacts.sqlite`` in the case folder: written by the engine only.

Writing happens in one process (SQLite has one writer): the engine registers a run, a ``sources``
row per parser and file, then merges each unit's shard into the base tables (ids offset past the
current maximum, so ids stay dense and the row ranges of a source are known without an index),
updates the full-text indexes for exactly the merged ids, and closes the source with its counts.

Re-running a parser on the same file replaces its rows once the new run of it has completed: the
older ``sources`` row is kept (marked ``superseded_by``) for the record, its artefact rows are
deleted. A re-run that does not complete (an error, an unsupported schema, not applicable,
interrupted, a full disk, a killed process) replaces nothing: the older rows stay, and the rows the
new run had read are removed, so the views never show two runs of the same file. So ``extract`` can
be run again and again without duplicates and without losing what an earlier run read.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_of_custody.schema import apply_migration_steps, pending_migrations
from evidence_intake import host_name
from evidence_intake.artefacts.kinds import KINDS, PROVENANCE_COLUMNS, KindSpec
from evidence_intake.artefacts.schema import MIGRATION_SET, SECONDARY_INDEXES, STEPS
from evidence_intake.artefacts.text import storable, storable_value, text_factory
from evidence_intake.errors import InsufficientSpaceError, IntakeError, NotFoundError, no_room, sqlite_error
from evidence_intake.timeutil import iso_utc, utcnow

# Bulk loads bigger than this drop the secondary indexes and rebuild them once at the end.
BULK_INDEX_THRESHOLD = 200_000


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Values of a new ``sources`` row."""

    extraction_id: str
    exhibit: str
    parser: str
    parser_version: str
    source_partition: str
    source_filesystem: str | None
    source_path: str
    source_inode: str | None
    source_size: int | None
    source_sha256: str | None
    companions: Sequence[Mapping[str, Any]] = ()
    schema: str | None = None
    tables_seen: Sequence[str] | None = None


class ArtefactStore:
    """An opened ``artefacts.sqlite``; migrations are applied on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.parent.is_dir():
            raise NotFoundError(
                f"{path.parent} does not exist: no case folder to hold the artefact store",
                path=path,
                hint="give the case folder with --case",
            )
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.text_factory = text_factory
            # A rollback journal, not WAL: the store stays one file (no -wal/-shm to forget when it
            # is copied for a prosecutor), and bulk appends are written once instead of twice.
            # Readers wait for a commit instead of failing. synchronous=FULL: with a rollback journal,
            # NORMAL can leave a database damaged by a power cut at the wrong moment; the extra syncs
            # cost nothing measurable here (one commit per merged unit, bench/extract.py).
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-131072")
            conn.execute("PRAGMA temp_store=MEMORY")
            # Under the write lock, so that an extract and a report opening an old store at once
            # migrate it once; sqlite-utils (without plugins: no third-party code) only if needed.
            apply_migration_steps(conn, MIGRATION_SET, STEPS)
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()  # not left open until the error is forgotten (a busy disk, a held lock)
            raise store_error(path, exc) from exc
        self.conn = conn
        self._indexes_dropped = False

    def close(self) -> None:
        if self._indexes_dropped:
            self.ensure_indexes()
        self.conn.close()

    def __enter__(self) -> ArtefactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. A full disk becomes InsufficientSpaceError (exit 7): the store is
        left as it was before the transaction, and the run can be repeated once there is space."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:  # SQLite has already rolled back after some errors
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
            # a disk out of inodes is "unable to open database file": the journal cannot be created
            out_of_inodes = code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) and no_room(
                self.path.parent
            )
            if code != sqlite3.SQLITE_FULL and not out_of_inodes:
                raise
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise InsufficientSpaceError(
                f"the artefact store {self.path} could not be written: {exc}; nothing of this step was kept",
                path=self.path,
                hint="free space on the disk that holds the case folder, then run extract again "
                "(what was stored before is kept; re-running does not duplicate it)",
            ) from exc

    # -- runs and sources -------------------------------------------------------------------------

    def begin_run(
        self, extraction_id: str, *, exhibit: str, examiner: str, software: str, parsers: Mapping[str, str]
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO extraction_runs (id, exhibit, status, started_at, examiner, software, parsers, "
                "host, pid) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                _storable(
                    extraction_id,
                    exhibit,
                    iso_utc(utcnow()),
                    examiner,
                    software,
                    _dumps(dict(parsers)),
                    host_name(),
                    os.getpid(),
                ),
            )

    def running_runs(self) -> list[dict[str, Any]]:
        """Runs recorded as running (``id``, ``exhibit``, ``host``, ``pid``, ``started_at``), oldest first:
        going on in another process, or left so by one that was killed."""
        rows = self.conn.execute(
            "SELECT id, exhibit, host, pid, started_at FROM extraction_runs WHERE status = 'running' "
            "ORDER BY started_at, rowid"
        ).fetchall()
        return [dict(zip(("id", "exhibit", "host", "pid", "started_at"), r, strict=True)) for r in rows]

    def run_sources(self, extraction_id: str, status: str) -> int:
        """How many sources of a run have ``status``."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM sources WHERE extraction_id = ? AND status = ?", (extraction_id, status)
            ).fetchone()[0]
        )

    def finish_run(
        self, extraction_id: str, *, status: str, counts: Mapping[str, Any] | None, ledger_seq: int | None
    ) -> None:
        """Close a run. Its sources still running become incomplete: what a first run of a file read
        is kept; a re-run's rows are dropped and the earlier run's stay (``_keep_older``)."""
        with self.transaction() as c:
            c.execute(
                "UPDATE extraction_runs SET status = ?, completed_at = ?, counts = ?, ledger_seq = ? "
                "WHERE id = ?",
                (
                    status,
                    iso_utc(utcnow()),
                    None if counts is None else _dumps(dict(counts)),
                    ledger_seq,
                    extraction_id,
                ),
            )
            self._close_unfinished(c, extraction_id, f"the run stopped ({status}) before this file was done")

    def _close_unfinished(self, c: sqlite3.Connection, extraction_id: str, detail: str) -> None:
        running = c.execute(
            "SELECT id, row_ranges FROM sources WHERE extraction_id = ? AND status = 'running' ORDER BY id",
            (extraction_id,),
        ).fetchall()
        for source_id, ranges in running:
            records = 0  # the rows merged before it stopped
            for kind, spans in json.loads(ranges or "{}").items():
                for lo, hi in spans:
                    records += c.execute(
                        f"SELECT count(*) FROM {KINDS[kind].table} "
                        "WHERE id BETWEEN ? AND ? AND source_id = ?",
                        (lo, hi, source_id),
                    ).fetchone()[0]
            c.execute(
                "UPDATE sources SET status = 'incomplete', completed_at = ?, detail = ?, records = ? "
                "WHERE id = ?",
                _storable(iso_utc(utcnow()), detail, records, source_id),
            )
            self._keep_older(c, source_id)

    def add_source(self, record: SourceRecord, *, status: str = "running", detail: str | None = None) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO sources (extraction_id, exhibit, parser, parser_version, source_partition, "
                "source_filesystem, source_path, source_inode, source_size, source_sha256, "
                "companions, status, "
                "schema, tables_seen, detail, started_at, completed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _storable(
                    record.extraction_id,
                    record.exhibit,
                    record.parser,
                    record.parser_version,
                    record.source_partition,
                    record.source_filesystem,
                    record.source_path,
                    record.source_inode,
                    record.source_size,
                    record.source_sha256,
                    _dumps(list(record.companions)),
                    status,
                    record.schema,
                    None if record.tables_seen is None else _dumps(list(record.tables_seen)),
                    detail,
                    iso_utc(utcnow()),
                    None if status == "running" else iso_utc(utcnow()),
                ),
            )
            source_id = int(cur.lastrowid or 0)
            # a run that could not even start on the file (error, unsupported schema, not applicable)
            # has no rows and replaces nothing: what an earlier run read stays
        return source_id

    def _supersede(self, c: sqlite3.Connection, source_id: int) -> None:
        """Older runs of this parser on this file: keep their sources rows, delete their artefacts.

        Called only when the newer run of the file has completed (parsed), so that the store holds
        what the latest complete run got, and never two copies.
        """
        older = c.execute(
            f"SELECT o.id, o.row_ranges FROM {_OLDER_RUNS} WHERE n.id = ?", (source_id,)
        ).fetchall()
        for old_id, ranges in older:
            self._delete_source_rows(c, old_id, ranges)
            c.execute("UPDATE sources SET superseded_by = ? WHERE id = ?", (source_id, old_id))

    def _keep_older(self, c: sqlite3.Connection, source_id: int) -> int:
        """A run of a parser on a file that did not complete: if an earlier run of it completed or left
        rows, those stay and the rows this run had read are removed (else both would show in the
        views). Returns how many rows were removed; the source's ``detail`` says so.

        One exception: an earlier run that did not complete either, on the same bytes (SHA-256), gives
        way to this one when this one read at least as many records. A file that is damaged for good
        then gets the best a newer parser version can read from it, instead of the first attempt's
        rows for ever.
        """
        older = c.execute(
            f"SELECT o.id, o.status, o.source_sha256, o.records FROM {_OLDER_RUNS} "
            "AND (o.status = 'parsed' OR o.row_ranges != '{}') WHERE n.id = ? ORDER BY o.id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        if older is None:
            return 0  # nothing read before: what this run read is kept, marked by its status
        ranges, detail, sha256, records = c.execute(
            "SELECT row_ranges, detail, source_sha256, records FROM sources WHERE id = ?", (source_id,)
        ).fetchone()
        _, older_status, older_sha256, older_records = older
        if older_status != "parsed" and sha256 is not None and sha256 == older_sha256:
            if records and records >= (older_records or 0):
                self._supersede(c, source_id)
                return 0
        removed = self._delete_source_rows(c, source_id, ranges)
        note = (
            f"the rows of the earlier run (source {older[0]}) are kept; the {removed} rows this run "
            "had read are not"
        )
        c.execute(
            "UPDATE sources SET row_ranges = '{}', records = 0, detail = ? WHERE id = ?",
            _storable(f"{detail}; {note}" if detail else note, source_id),
        )
        return removed

    def _delete_source_rows(self, c: sqlite3.Connection, source_id: int, ranges: str | None) -> int:
        removed = 0
        for kind, spans in json.loads(ranges or "{}").items():
            spec = KINDS[kind]
            for lo, hi in spans:
                removed += self._delete_rows(c, spec, lo, hi, source_id)
        return removed

    def _delete_rows(self, c: sqlite3.Connection, spec: KindSpec, lo: int, hi: int, source_id: int) -> int:
        where = "id BETWEEN ? AND ? AND source_id = ?"
        if spec.fts:
            # exactly the rows merge_shard indexed: a 'delete' of a row that was never indexed (no
            # text) still counts it off the index's row total, which goes wrong and then negative
            # ("database disk image is malformed")
            c.execute(
                f"INSERT INTO {spec.fts} ({spec.fts}, rowid, {spec.fts_column}) "
                f"SELECT 'delete', id, {spec.fts_column} FROM {spec.table} WHERE {where} "
                f"AND {spec.fts_column} IS NOT NULL",
                (lo, hi, source_id),
            )
        c.execute(
            "DELETE FROM identifiers WHERE kind = ? AND row_id BETWEEN ? AND ?", (spec.name, lo, hi)
        )  # the range holds only this source's rows: ids of a merge are contiguous
        c.execute("DELETE FROM undecodable_text WHERE source_id = ? AND kind = ?", (source_id, spec.name))
        return int(c.execute(f"DELETE FROM {spec.table} WHERE {where}", (lo, hi, source_id)).rowcount)

    def finish_source(
        self,
        source_id: int,
        *,
        status: str,
        records: int,
        errors: int,
        warnings: int,
        detail: str | None = None,
    ) -> int:
        """Close a source. Parsed: older runs of the file are replaced. Any other status: they stay,
        and this run's rows are removed when they exist (returns how many were removed)."""
        with self.transaction() as c:
            c.execute(
                "UPDATE sources SET status = ?, records = ?, errors = ?, warnings = ?, detail = ?, "
                "completed_at = ? "
                "WHERE id = ?",
                _storable(status, records, errors, warnings, detail, iso_utc(utcnow()), source_id),
            )
            if status == "parsed":
                self._supersede(c, source_id)
                return 0
            return self._keep_older(c, source_id)

    def add_error(
        self,
        *,
        extraction_id: str,
        exhibit: str,
        severity: str,
        error: str,
        parser: str | None = None,
        parser_version: str | None = None,
        source_id: int | None = None,
        source_partition: str | None = None,
        source_path: str | None = None,
        source_sha256: str | None = None,
        record_table: str | None = None,
        record_rowid: int | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO extraction_errors (extraction_id, exhibit, parser, parser_version, source_id, "
                "source_partition, source_path, source_sha256, severity, error, record_table, "
                "record_rowid, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _storable(
                    extraction_id,
                    exhibit,
                    parser,
                    parser_version,
                    source_id,
                    source_partition,
                    source_path,
                    source_sha256,
                    severity,
                    error,
                    record_table,
                    record_rowid,
                    iso_utc(utcnow()),
                ),
            )

    # -- merging shards ---------------------------------------------------------------------------

    def prepare_bulk(self, expected_rows: int) -> None:
        """Drop the secondary indexes before a big load; ``ensure_indexes`` rebuilds them.

        Only when the load is big and at least as big as what the store already holds: rebuilding
        then costs at most about twice what keeping the indexes up to date would, and is faster in
        practice. A store that already holds many exhibits keeps its indexes (rebuilding them after
        each phone would cost time in proportion to the whole case).
        """
        if expected_rows < BULK_INDEX_THRESHOLD or self._indexes_dropped:
            return
        held = sum(
            self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {spec.table}").fetchone()[0]
            for spec in KINDS.values()
        )
        if held > expected_rows:
            return
        with self.transaction() as c:
            for name in SECONDARY_INDEXES:
                c.execute(f"DROP INDEX IF EXISTS {name}")
        self._indexes_dropped = True

    def ensure_indexes(self) -> None:
        """Create every secondary index that is missing (after a bulk load, or one that was cut short)."""
        with self.transaction() as c:
            for sql in SECONDARY_INDEXES.values():
                c.execute(sql)
        self._indexes_dropped = False

    def merge_shard(self, shard: Path, source_id: int) -> dict[str, int]:
        """Copy a unit's rows into the store in one transaction; returns rows added per kind."""
        added: dict[str, int] = {}
        self.conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        try:
            shard_tables = {
                r[0] for r in self.conn.execute("SELECT name FROM shard.sqlite_master WHERE type = 'table'")
            }
            with self.transaction() as c:
                ranges = json.loads(
                    c.execute("SELECT row_ranges FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
                    or "{}"
                )
                for spec in KINDS.values():
                    if spec.table not in shard_tables:
                        continue
                    top = c.execute(f"SELECT max(id) FROM shard.{spec.table}").fetchone()[0]
                    if top is None:
                        continue
                    offset = c.execute(f"SELECT coalesce(max(id), 0) FROM main.{spec.table}").fetchone()[0]
                    cols = [c for c in (*PROVENANCE_COLUMNS, *spec.column_names) if c != "id"]
                    col_list = ", ".join(cols)
                    n = c.execute(
                        f"INSERT INTO main.{spec.table} (id, {col_list}) "
                        f"SELECT id + ?, {col_list} FROM shard.{spec.table} ORDER BY id",
                        (offset,),
                    ).rowcount
                    c.execute(
                        "INSERT INTO main.identifiers (kind, row_id, exhibit, app, role, type, value, raw) "
                        "SELECT kind, row_id + ?, exhibit, app, role, type, value, raw FROM "
                        "shard.identifiers "
                        "WHERE kind = ? ORDER BY id",
                        (offset, spec.name),
                    )
                    c.execute(
                        "INSERT INTO main.undecodable_text (kind, row_id, source_id, record_table, "
                        "record_rowid, "
                        "column_name, raw) SELECT kind, row_id + ?, source_id, record_table, record_rowid, "
                        "column_name, raw FROM shard.undecodable_text WHERE kind = ? ORDER BY id",
                        (offset, spec.name),
                    )
                    if spec.fts:
                        c.execute(
                            f"INSERT INTO {spec.fts} (rowid, {spec.fts_column}) SELECT id, {spec.fts_column} "
                            f"FROM main.{spec.table} WHERE id > ? AND {spec.fts_column} IS NOT NULL",
                            (offset,),
                        )
                    ranges.setdefault(spec.name, []).append([offset + 1, offset + top])
                    added[spec.name] = n
                c.execute("UPDATE sources SET row_ranges = ? WHERE id = ?", (_dumps(ranges), source_id))
        finally:
            self.conn.execute("DETACH DATABASE shard")
        return added

    def optimize_search(self) -> None:
        """Merge the full-text index segments written during a run (keeps searches fast)."""
        for spec in KINDS.values():
            if spec.fts:
                with self.transaction() as c:
                    c.execute(f"INSERT INTO {spec.fts} ({spec.fts}, rank) VALUES ('merge', 500)")

    # -- reading ----------------------------------------------------------------------------------

    def counts(self, exhibit: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for spec in KINDS.values():
            if exhibit is None:
                n = self.conn.execute(f"SELECT count(*) FROM {spec.table}").fetchone()[0]
            else:
                n = self.conn.execute(
                    f"SELECT count(*) FROM {spec.table} WHERE exhibit = ?", (exhibit,)
                ).fetchone()[0]
            out[spec.name] = int(n)
        return out


# The other runs ``o`` of the parser and file of source ``n`` that it may replace or give way to: not
# yet replaced, finished (a source still running belongs to an extraction going on in another process,
# which settles it when it finishes), and of another extraction (two files of one run that share a
# path, such as a tar's duplicate members, are two files, not two runs). Whichever complete run
# finishes last holds the file's rows, so two extractions of one case at once leave one copy.
_OLDER_RUNS = (
    "sources AS n JOIN sources AS o ON o.exhibit = n.exhibit AND o.parser = n.parser "
    "AND o.source_partition = n.source_partition AND o.source_path = n.source_path "
    "AND o.id != n.id AND o.extraction_id != n.extraction_id AND o.status != 'running' "
    "AND o.superseded_by IS NULL"
)


def require_store(path: Path) -> None:
    """The store exists; otherwise the error that says nothing has been extracted in the case yet."""
    if not path.is_file():
        raise NotFoundError(
            f"{path} does not exist: nothing has been extracted in this case yet",
            path=path,
            hint="run: evidence-intake extract --exhibit EX-001 (or --all)",
        )
    if path.stat().st_size == 0:  # cut to nothing: reading it back would show (and report) no artefacts
        raise IntakeError(
            f"{path} is empty: the artefact store was lost (a full disk, an interrupted copy)",
            path=path,
            hint="extract the exhibits again (the evidence is not affected): evidence-intake extract --all",
        )


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the store: rows as ``sqlite3.Row``, text that is not UTF-8 decoded
    without failing, and a wait (rather than an error) while an extraction commits."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.text_factory = text_factory
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")  # an extraction may be committing
    return conn


def open_read_only(path: Path) -> sqlite3.Connection:
    """The store of a case, for reading artefacts back (the `artefacts` command, artefact reports).

    A missing store is the clear "nothing extracted yet" error. The store is opened for writing first
    only when it must be: a store written by an older version is migrated, and one left with a
    rollback journal by an extraction that was killed is rolled back (a read-only connection can do
    neither); then it is opened read-only.
    """
    require_store(path)
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if _hot_journal(path):
        if not writable:
            raise _needs_writable(
                path,
                "was left mid-write by an extraction that was stopped, and the rest of "
                "that write must be undone first",
            )
        ArtefactStore(path).close()
    conn = connect_read_only(path)
    try:
        pending = pending_migrations(conn, MIGRATION_SET, STEPS)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise store_error(path, exc) from exc
    if pending:
        conn.close()
        if not writable:
            raise _needs_writable(path, f"was written by an older version and needs {', '.join(pending)}")
        ArtefactStore(path).close()
        conn = connect_read_only(path)
    return conn


def _needs_writable(path: Path, why: str) -> IntakeError:
    """A store on storage that cannot be written (a disc for the court) that must change before it is read."""
    return IntakeError(
        f"{path} {why}, which cannot be done where it is (the folder cannot be written)",
        path=path,
        hint="copy the case folder to writable storage and read the copy; the file is not damaged",
    )


def _hot_journal(path: Path) -> bool:
    journal = path.with_name(path.name + "-journal")
    try:
        return journal.stat().st_size > 0
    except OSError:
        return False


def store_error(path: Path, exc: sqlite3.DatabaseError) -> IntakeError:
    """What to tell the user when SQLite refuses the store (see errors.sqlite_error)."""
    return sqlite_error(
        exc,
        path,
        message=f"{path} is not a usable artefact store: {exc}",
        damaged_hint="move the damaged file aside and extract again; the evidence is not affected",
        other_hint="check the disk and the case folder; if the store is damaged, move it aside and "
        "extract again",
    )


def _storable(*values: Any) -> tuple[Any, ...]:
    """Parameters of a statement with every text made encodable (``text.storable``): an error message
    or a path from bad evidence must not make SQLite refuse the row that records it."""
    return tuple(storable(v) if isinstance(v, str) else v for v in values)


def _dumps(value: Any) -> str:
    return json.dumps(storable_value(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
