"""Extraction: run the parsers over an exhibit's evidence and fill the artefact store.

For each exhibit::

    open the evidence tree (read-only) ── walk it once, match every file against the parsers' globs
      └─ per matched file: copy it (+ -wal/-shm/-journal) to scratch, hash while copying, re-hash the copy
           └─ per parser: schema fingerprint ─ applies? ─ sources row ─ units of work
                (one typed unit, plus the parser's bulk queries split into rowid ranges)
    units run in a pool of processes (``--jobs``), each writing its own shard;
    the main process merges shards in submission order (deterministic ids), updates full-text
    indexes, records errors; the ledger gets extraction_started, parser_error (per failing parser
    and file) and extraction_completed with the parser versions and counts.

Nothing a parser or a damaged file does stops the run: it becomes a ``sources`` status (error,
unsupported schema, not applicable) with its reason, an ``extraction_errors`` row, and for errors a
ledger entry. The caller decides the exit status from ``ExtractionReport.failed``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sqlite3
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evidence_intake import SOFTWARE, host_name, pid_alive
from evidence_intake.artefacts.store import ArtefactStore, SourceRecord
from evidence_intake.artefacts.text import storable, storable_value
from evidence_intake.errors import EvidenceError, InsufficientSpaceError, IntakeError, disk_full, no_room
from evidence_intake.evidence.model import Entry, EvidenceTree
from evidence_intake.parsers.base import BulkQuery, Parser
from evidence_intake.parsers.planning import Refusal, admit, match_files, probe_database, rowid_ranges
from evidence_intake.parsers.pool import WORKER_NICENESS as WORKER_NICENESS  # re-exported
from evidence_intake.parsers.pool import InlineExecutor as InlineExecutor  # re-exported
from evidence_intake.parsers.pool import default_jobs, make_executor
from evidence_intake.parsers.registry import ParserInfo, ParserRegistry
from evidence_intake.parsers.schema import SchemaInfo
from evidence_intake.parsers.source import (
    CopiedFile,
    Source,
    SourceFile,
    copy_with_companions,
)
from evidence_intake.parsers.summary import ExhibitSummary as ExhibitSummary  # re-exported
from evidence_intake.parsers.summary import ExtractionReport as ExtractionReport  # re-exported
from evidence_intake.parsers.summary import ParserSummary as ParserSummary  # re-exported
from evidence_intake.parsers.unit import UnitResult, WorkUnit, run_unit

BULK_CHUNK_ROWS = 100_000
# The first ranges of a bulk query are 1/8, 1/4 and 1/2 of BULK_CHUNK_ROWS: the main process gets
# rows to merge sooner instead of idling while the workers convert their first full ranges.
BULK_RAMP = (8, 4, 2)
ProgressFn = Callable[[str, int, int], None]  # (exhibit, files done, files matched)
TreeOpener = Callable[[Any, str], EvidenceTree]


class CaseLike(Protocol):
    """The part of ``evidence_intake.case.Case`` extraction uses (tests pass a small fake)."""

    @property
    def scratch_dir(self) -> Path: ...

    @property
    def artefacts_path(self) -> Path: ...

    settings: Any

    def exhibit(self, exhibit_id: str) -> Any: ...

    def record(
        self, action: str, *, examiner: str, exhibit: str | None = None, details: Any = None
    ) -> Any: ...


def default_opener(case: Any, exhibit_id: str, keys: Mapping[str, str] | None = None) -> EvidenceTree:
    """The exhibit's latest completed acquisition, opened read-only (evidence.opener); ``keys`` open
    its encrypted volumes (BitLocker, FileVault) or an encrypted iOS backup ("*")."""
    try:
        opener = importlib.import_module("evidence_intake.evidence.opener")
    except ImportError as exc:
        raise EvidenceError(
            "opening acquired evidence is not available in this build "
            "(evidence_intake.evidence.opener is missing)",
            hint="install a release that includes the evidence openers",
        ) from exc
    tree: EvidenceTree = opener.open_exhibit(case, exhibit_id, keys=keys)
    return tree


@dataclass(slots=True)
class _SourceState:
    """Book-keeping of one parser on one file while its units run."""

    info: ParserInfo
    file: SourceFile
    source_id: int
    pending: int = 0
    records: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    closed: bool = False  # its sources row has its final status


@dataclass(slots=True)
class _FileState:
    folder: Path
    pending: int = 0
    done: bool = False


class Extraction:
    """One ``extract`` of one exhibit. Use ``extract()``; this class keeps its state together."""

    def __init__(
        self,
        case: CaseLike,
        store: ArtefactStore,
        exhibit_id: str,
        parsers: Sequence[ParserInfo],
        *,
        examiner: str,
        executor: Executor,
        jobs: int,
        open_tree: TreeOpener,
        progress: ProgressFn | None,
        keys_for: Sequence[str] = (),
    ) -> None:
        self.case = case
        self.store = store
        self.exhibit_id = exhibit_id
        self.parsers = list(parsers)
        self.examiner = examiner
        self.executor = executor
        self.jobs = jobs
        self.open_tree = open_tree
        self.progress = progress
        self.keys_for = sorted(keys_for)  # the volumes a key was given for; never the keys
        self.extraction_id = str(uuid.uuid4())
        self.summary = ExhibitSummary(exhibit_id, self.extraction_id)
        for info in self.parsers:
            self.summary.parsers[info.name] = ParserSummary(info.name, info.version)
        self.region = _region(case, exhibit_id)
        self.scratch = scratch_folder(case, self.extraction_id)
        self.window = max(2, jobs * 3)  # units in flight: workers stay busy while the main process merges
        self._queue: deque[tuple[WorkUnit, Future[UnitResult], _SourceState, _FileState]] = deque()
        self._units = 0
        self._files_done = 0
        self._files_total = 0

    # -- the run ----------------------------------------------------------------------------------

    def run(self) -> ExhibitSummary:
        started = time.perf_counter()
        tree = self.open_tree(self.case, self.exhibit_id)
        versions = {i.name: i.version for i in self.parsers}
        # Only names of volumes the exhibit has: a password typed where a volume name goes (--key SECRET)
        # must not end up in the ledger, which keeps everything for good.
        names = {volume.name for volume in tree.volumes()}
        keys_for = [name for name in self.keys_for if name == "*" or (name in names and name)]
        self._ledger(
            "extraction_started",
            {"extraction_id": self.extraction_id, "parsers": versions, "jobs": self.jobs}
            | ({"keys_given_for": keys_for} if keys_for else {}),
        )
        self.store.begin_run(
            self.extraction_id,
            exhibit=self.exhibit_id,
            examiner=self.examiner,
            software=SOFTWARE,
            parsers=versions,
        )
        status = "failed"
        reason: str | None = None  # why the run stopped, when it did
        try:
            self.scratch.mkdir(parents=True, exist_ok=True)
            matches = self._scan(tree)
            self._files_total = len(matches)
            self._report_progress()
            for n, (entry, infos, companions) in enumerate(matches):
                self._process_file(tree, entry, infos, companions, n)
            self._drain()
            self.store.ensure_indexes()
            self.store.optimize_search()
            status = "completed" if not self._any_errors() else "partial"
        except KeyboardInterrupt:
            status = "interrupted"
            reason = "interrupted (Ctrl-C or a signal to stop)"
            raise
        except BaseException as exc:
            reason = exc.message if isinstance(exc, IntakeError) else f"{exc.__class__.__name__}: {exc}"
            raise
        finally:
            for _unit, future, _state, _file in self._queue:
                future.cancel()  # units not started yet; the pool is shut down by extract()
            self.summary.status = status
            self.summary.seconds = time.perf_counter() - started
            self.summary.records = self.store.counts(self.exhibit_id)
            try:
                tree.close()
            finally:
                shutil.rmtree(self.scratch, ignore_errors=True)  # first: it frees space on a full disk
                try:
                    self._finish(status, reason)
                except Exception:
                    if reason is None:
                        raise
                    # what stopped the run is what to report; its record stays 'running' in the store,
                    # and the next extraction closes it as interrupted (close_stale_runs)
        return self.summary

    def _any_errors(self) -> bool:
        return any(p.errors for p in self.summary.parsers.values())

    def _finish(self, status: str, reason: str | None = None) -> None:
        counts = {name: s.to_dict() for name, s in self.summary.parsers.items()}
        if reason is not None:
            reason = storable(reason)
            try:  # best effort: on a full disk even this row may not fit, the ledger entry says it too
                self.store.add_error(
                    extraction_id=self.extraction_id,
                    exhibit=self.exhibit_id,
                    severity="error",
                    error=f"the extraction stopped: {reason}",
                )
            except Exception:  # noqa: S110 - the ledger entry below carries the reason
                pass
        # completed and partial runs finished; a failed or interrupted one is extraction_failed, and
        # its details say which
        action = "extraction_completed" if status in ("completed", "partial") else "extraction_failed"
        entry = self._ledger(
            action,
            {
                "extraction_id": self.extraction_id,
                "status": status,
                "parsers": {i.name: i.version for i in self.parsers},
                "counts": counts,
                "records": self.summary.records,
                "seconds": round(self.summary.seconds, 3),
            }
            | ({} if reason is None else {"reason": reason}),
        )
        self.store.finish_run(
            self.extraction_id, status=status, counts=counts, ledger_seq=getattr(entry, "seq", None)
        )

    def _ledger(self, action: str, details: Mapping[str, Any]) -> Any:
        """One ledger entry of this run; text from the evidence (messages, paths) made encodable."""
        return self.case.record(
            action, examiner=self.examiner, exhibit=self.exhibit_id, details=storable_value(dict(details))
        )

    def _problem(self, text: str) -> None:
        if len(self.summary.problems) < 50:
            self.summary.problems.append(storable(text))

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.exhibit_id, self._files_done, self._files_total)

    # -- finding files ----------------------------------------------------------------------------

    def _scan(self, tree: EvidenceTree) -> list[tuple[Entry, list[ParserInfo], list[Entry]]]:
        return match_files(tree, self.parsers)

    # -- one file ---------------------------------------------------------------------------------

    def _process_file(
        self, tree: EvidenceTree, entry: Entry, infos: list[ParserInfo], companions: list[Entry], n: int
    ) -> None:
        folder = self.scratch / f"f{n:06d}"
        file_state = _FileState(folder)
        wants_sqlite = any(i.cls.sqlite for i in infos)
        try:
            main, copies = copy_with_companions(tree, entry, companions if wants_sqlite else [], folder)
        except InsufficientSpaceError:
            raise  # the case's disk is full: every other file would fail the same way
        except IntakeError as exc:
            for info in infos:
                message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
                with self._isolated(info, entry, None, "recording that the file could not be copied"):
                    self._fail_early(info, entry, None, (), message)
            self._file_done(file_state)
            return
        # Only SQLite parsers look at a database's layout; a vCard or XML file is not opened as one.
        probe = probe_database(main.local_path) if wants_sqlite else (False, None, None, None)
        is_sqlite, schema_info, schema_error, damaged = probe
        for info in infos:
            with self._isolated(info, entry, main.sha256, "starting it", main, copies):
                self._start_parser(
                    info, entry, main, copies, is_sqlite, schema_info, schema_error, damaged, file_state
                )
        self._file_done_if_idle(file_state)

    @contextmanager
    def _isolated(
        self,
        info: ParserInfo,
        file: Entry | SourceFile,
        sha: str | None,
        doing: str,
        main: CopiedFile | None = None,
        copies: Sequence[CopiedFile] = (),
    ) -> Iterator[None]:
        """One parser on one file fails alone, whatever fails around it (its error cannot be recorded,
        its rows cannot be stored): that becomes its error and the run goes on.

        A full disk stops the run (every other file would fail the same way), and so does Ctrl-C.
        """
        try:
            yield
        except Exception as exc:
            _stop_if_full(exc, self.scratch)
            message = f"{exc.__class__.__name__}: {exc} (while {doing})"
            try:
                self._fail_early(info, file, sha, copies, message)
            except InsufficientSpaceError:
                raise
            except Exception as again:
                self.summary.parsers[info.name].errors += 1
                self._problem(
                    f"{info.name} on {file.location}: {message}; recording it failed too: "
                    f"{again.__class__.__name__}: {again}"
                )

    def _base_file(self, entry: Entry, main: CopiedFile, copies: tuple[CopiedFile, ...]) -> SourceFile:
        return SourceFile(
            exhibit=self.exhibit_id,
            region=self.region,
            path=entry.path,
            location=entry.location,
            volume=entry.volume,
            filesystem=entry.filesystem,
            inode=None if entry.inode is None else str(entry.inode),
            size=main.size,
            sha256=main.sha256,
            local_path=main.local_path,
            companions=copies,
        )

    def _record(
        self,
        info: ParserInfo,
        file: SourceFile | Entry,
        sha: str | None,
        companions: Sequence[CopiedFile],
        schema: str | None = None,
        tables: Sequence[str] | None = None,
    ) -> SourceRecord:
        size = file.size
        return SourceRecord(
            extraction_id=self.extraction_id,
            exhibit=self.exhibit_id,
            parser=info.name,
            parser_version=info.version,
            source_partition=file.volume,
            source_filesystem=file.filesystem or None,
            source_path=file.path,
            source_inode=None if file.inode is None else str(file.inode),
            source_size=size,
            source_sha256=sha,
            companions=[c.to_dict() for c in companions],
            schema=schema,
            tables_seen=tables,
        )

    def _fail_early(
        self,
        info: ParserInfo,
        entry: Entry | SourceFile,
        sha: str | None,
        copies: Sequence[CopiedFile],
        message: str,
        *,
        status: str = "error",
        tables: Sequence[str] | None = None,
    ) -> None:
        """A parser that cannot even start on a file: error, unsupported schema or not applicable."""
        summary = self.summary.parsers[info.name]
        summary.files += 1
        source_id = self.store.add_source(
            self._record(info, entry, sha, copies, tables=tables), status=status, detail=message
        )
        if status == "error":
            summary.errors += 1
            self._error(info, source_id, entry, sha, message, ledger=True)
        elif status == "unsupported schema":
            summary.unsupported += 1
            self._error(info, source_id, entry, sha, message, severity="warning")
        else:
            summary.not_applicable += 1

    def _error(
        self,
        info: ParserInfo,
        source_id: int | None,
        file: Entry | SourceFile,
        sha: str | None,
        message: str,
        *,
        severity: str = "error",
        ledger: bool = False,
        record_table: str | None = None,
        record_rowid: int | None = None,
        more: Sequence[str] = (),
        records_kept: int | None = None,
    ) -> None:
        """Store ``message`` (and ``more`` of the same file) as extraction errors; with ``ledger``, one
        parser_error entry for them all."""
        message, more = storable(message), [storable(m) for m in more]
        # the ledger entry is written even when the store refuses the rows (raised after it)
        not_stored: Exception | None = None
        try:
            self._add_errors(
                info,
                source_id,
                file,
                sha,
                (message, *more),
                severity=severity,
                record_table=record_table,
                record_rowid=record_rowid,
            )
        except InsufficientSpaceError:
            raise
        except Exception as exc:
            not_stored = exc
        self._problem(f"{info.name} on {file.location}: {message}")
        if ledger:
            self._ledger(
                "parser_error",
                {
                    "extraction_id": self.extraction_id,
                    "parser": info.name,
                    "parser_version": info.version,
                    "source_partition": file.volume,
                    "source_path": file.path,
                    "source_sha256": sha,
                    "source_id": source_id,
                    **({} if records_kept is None else {"records_kept": records_kept}),
                    "errors": [message, *more][:10],
                    "error_count": 1 + len(more),
                }
                | (
                    {}
                    if not_stored is None
                    else {"not_stored": f"{not_stored.__class__.__name__}: {not_stored}"}
                ),
            )
        if not_stored is not None:
            raise not_stored

    def _add_errors(
        self,
        info: ParserInfo,
        source_id: int | None,
        file: Entry | SourceFile,
        sha: str | None,
        texts: Sequence[str],
        *,
        severity: str,
        record_table: str | None,
        record_rowid: int | None,
    ) -> None:
        for text in texts:
            self.store.add_error(
                extraction_id=self.extraction_id,
                exhibit=self.exhibit_id,
                severity=severity,
                error=text,
                parser=info.name,
                parser_version=info.version,
                source_id=source_id,
                source_partition=file.volume,
                source_path=file.path,
                source_sha256=sha,
                record_table=record_table,
                record_rowid=record_rowid,
            )

    def _start_parser(
        self,
        info: ParserInfo,
        entry: Entry,
        main: CopiedFile,
        copies: tuple[CopiedFile, ...],
        is_sqlite: bool,
        schema_info: SchemaInfo | None,
        schema_error: str | None,
        damaged: str | None,
        file_state: _FileState,
    ) -> None:
        base = self._base_file(entry, main, copies)
        tables = sorted(schema_info.tables) if schema_info else None
        admitted = admit(info.cls, base, is_sqlite, schema_info, schema_error, damaged)
        if isinstance(admitted, Refusal):
            self._fail_early(
                info,
                base,
                main.sha256,
                copies,
                admitted.reason,
                status=admitted.status,
                tables=admitted.tables,
            )
            return
        file = admitted
        source = Source(file)
        parser = info.cls()
        try:
            verdict = parser.applies(source)
            queries: Sequence[BulkQuery] = parser.bulk(source) if verdict.applies else ()
            ranges = [(q, r) for q in queries for r in self._split(source, q)]
        except Exception as exc:
            source.close()
            self._fail_early(
                info, file, main.sha256, copies, f"{exc.__class__.__name__}: {exc} (while preparing)"
            )
            return
        finally:
            source.close()
        if not verdict.applies:
            self._fail_early(
                info,
                file,
                main.sha256,
                copies,
                verdict.reason or "not applicable",
                status="not applicable",
                tables=tables,
            )
            return
        summary = self.summary.parsers[info.name]
        summary.files += 1
        schema_name = file.schema.name if file.schema else None
        source_id = self.store.add_source(self._record(info, file, main.sha256, copies, schema_name, tables))
        state = _SourceState(info, file, source_id)
        units: list[WorkUnit] = []
        try:
            if damaged:
                state.warnings += 1
                self._error(info, source_id, file, main.sha256, damaged, severity="warning")
            if type(parser).parse is not Parser.parse:
                units.append(self._unit(info, file, source_id, None, None))
            for query, rowid_range in ranges:
                units.append(self._unit(info, file, source_id, query, rowid_range))
            if units:
                expected = sum((r[1] - r[0] + 1) for _, r in ranges if r is not None)
                self.store.prepare_bulk(expected)
        except Exception as exc:
            _stop_if_full(exc, self.scratch)
            state.errors.append(f"{exc.__class__.__name__}: {exc} (while preparing its units)")
            units = []
        if not units:
            self._close_source_isolated(state)
            return
        state.pending = len(units)
        file_state.pending += len(units)
        for unit in units:
            self._submit(unit, state, file_state)

    def _split(self, source: Source, query: BulkQuery) -> list[tuple[int, int] | None]:
        return rowid_ranges(source, query, chunk_rows=BULK_CHUNK_ROWS, ramp=BULK_RAMP)

    def _unit(
        self,
        info: ParserInfo,
        file: SourceFile,
        source_id: int,
        query: BulkQuery | None,
        rowid_range: tuple[int, int] | None,
    ) -> WorkUnit:
        self._units += 1
        unit_id = f"u{self._units:06d}"
        return WorkUnit(
            unit_id=unit_id,
            parser=info.cls,
            source=file,
            source_id=source_id,
            shard=self.scratch / f"{unit_id}.shard.sqlite",
            bulk=query,
            rowid_range=rowid_range,
        )

    # -- running and merging ----------------------------------------------------------------------

    def _submit(self, unit: WorkUnit, state: _SourceState, file_state: _FileState) -> None:
        try:
            future = self.executor.submit(run_unit, unit)
        except Exception as exc:  # a broken pool: the unit fails like one whose worker failed
            future = Future()
            future.set_exception(exc)
        self._queue.append((unit, future, state, file_state))
        while len(self._queue) > self.window:
            self._merge_head()

    def _drain(self) -> None:
        while self._queue:
            self._merge_head()

    def _merge_head(self) -> None:
        unit, future, state, file_state = self._queue.popleft()
        try:
            result = future.result()
        except Exception as exc:
            result = UnitResult(unit_id=unit.unit_id, shard=None)
            from evidence_intake.parsers.unit import UnitProblem

            result.problems.append(
                UnitProblem("error", f"the worker running it failed: {exc.__class__.__name__}: {exc}")
            )
        try:
            self._take_result(unit, result, state)
        except Exception as exc:
            _stop_if_full(exc, self.store.path.parent)
            state.errors.append(f"its result could not be recorded: {exc.__class__.__name__}: {exc}")
        state.pending -= 1
        if state.pending == 0:
            self._close_source_isolated(state)
        file_state.pending -= 1
        self._file_done_if_idle(file_state)

    def _take_result(self, unit: WorkUnit, result: UnitResult, state: _SourceState) -> None:
        """Merge a unit's shard and record its warnings (its errors wait for the source's closing)."""
        info = state.info
        if result.disk_full:
            if result.shard is not None:
                result.shard.unlink(missing_ok=True)
            # the shard's disk, or the folder of SQLite's temporary files (sorting, large queries): the
            # files are gone by now, so which one filled up cannot be told afterwards
            temporary = _temporary_folder()
            raise InsufficientSpaceError(
                f"no space left for the rows of {info.name} from {state.file.location}: the disk of the "
                f"scratch folder {self.scratch} or of SQLite's temporary folder {temporary} is full",
                path=self.scratch,
                hint="free space on the disk that holds the case folder (or where SQLite's temporary files "
                "go: SQLITE_TMPDIR chooses it), then run extract again; rows already stored are kept",
            )
        if result.shard is not None and result.shard.exists():
            if result.counts:
                try:
                    added = self.store.merge_shard(result.shard, state.source_id)
                    state.records += sum(added.values())
                except sqlite3.DatabaseError as exc:
                    if no_room(self.store.path.parent):  # out of inodes: SQLite cannot create its journal
                        raise InsufficientSpaceError(
                            f"the artefact store {self.store.path} could not take the rows of {info.name}: "
                            f"{exc}; its disk has no space or no inodes left",
                            path=self.store.path,
                            hint="free space on the disk that holds the case folder, then run extract again "
                            "(rows already stored are not stored twice)",
                        ) from exc
                    state.errors.append(f"its rows could not be stored: {exc}")
            result.shard.unlink(missing_ok=True)
        for problem in result.problems:
            if problem.severity == "error":
                state.errors.append(problem.message)
            else:
                state.warnings += 1
                self._error(
                    info,
                    state.source_id,
                    state.file,
                    state.file.sha256,
                    problem.message,
                    severity="warning",
                    record_table=problem.record_table,
                    record_rowid=problem.record_rowid,
                )

    def _close_source_isolated(self, state: _SourceState) -> None:
        """``_close_source``; when recording fails, the source is closed as an error all the same."""
        try:
            self._close_source(state)
        except Exception as exc:
            _stop_if_full(exc, self.store.path.parent)
            info = state.info
            message = f"{exc.__class__.__name__}: {exc} (while recording its result)"
            self._problem(f"{info.name} on {state.file.location}: {message}")
            summary = self.summary.parsers[info.name]
            if state.closed:  # closed in the store; its error rows or ledger entry failed
                if not state.errors:
                    summary.parsed -= 1
                    summary.errors += 1
                return
            summary.errors += 1  # not closed: no error entry was attempted yet
            try:
                self._ledger(
                    "parser_error",
                    {
                        "extraction_id": self.extraction_id,
                        "parser": info.name,
                        "parser_version": info.version,
                        "source_partition": state.file.volume,
                        "source_path": state.file.path,
                        "source_sha256": state.file.sha256,
                        "source_id": state.source_id,
                        "errors": [message, *state.errors][:10],
                        "error_count": 1 + len(state.errors),
                    },
                )
            except Exception as again:
                self._problem(f"{info.name} on {state.file.location}: its ledger entry failed: {again}")
            try:
                self.store.finish_source(
                    state.source_id,
                    status="error",
                    records=state.records,
                    errors=len(state.errors) + 1,
                    warnings=state.warnings,
                    detail=message,
                )
            except InsufficientSpaceError:
                raise
            except Exception as again:
                self._problem(f"{info.name} on {state.file.location}: closing its source failed: {again}")

    def _close_source(self, state: _SourceState) -> None:
        info = state.info
        summary = self.summary.parsers[info.name]
        summary.warnings += state.warnings
        if state.errors:
            status = "error"
            detail = state.errors[0] + (
                f" (and {len(state.errors) - 1} more)" if len(state.errors) > 1 else ""
            )
        else:
            status = "parsed"
            detail = None
        # an error keeps an earlier run's rows of the file, if any, and then drops this run's
        removed = self.store.finish_source(
            state.source_id,
            status=status,
            records=state.records,
            errors=len(state.errors),
            warnings=state.warnings,
            detail=detail,
        )
        state.closed = True
        summary.records += state.records - removed
        if not state.errors:
            summary.parsed += 1
            return
        summary.errors += 1
        more = state.errors[1:]
        if removed:
            more = [*more, f"the {removed} rows read were not kept: an earlier run's rows of the file stay"]
        self._error(
            info,
            state.source_id,
            state.file,
            state.file.sha256,
            state.errors[0],
            more=more,
            ledger=True,
            records_kept=state.records - removed,
        )

    def _file_done_if_idle(self, file_state: _FileState) -> None:
        if file_state.pending == 0 and not file_state.done:
            self._file_done(file_state)

    def _file_done(self, file_state: _FileState) -> None:
        file_state.done = True
        shutil.rmtree(file_state.folder, ignore_errors=True)
        self._files_done += 1
        self._report_progress()


def _stop_if_full(exc: Exception, folder: Path) -> None:
    """Raise what stops the whole run when ``exc`` is a full disk (every other file would fail the same
    way); return when it is an error of this parser or file alone."""
    if isinstance(exc, InsufficientSpaceError):
        raise exc
    full = _full_disk(exc, folder)
    if full is not None:
        raise full from exc


def _full_disk(exc: BaseException, folder: Path) -> InsufficientSpaceError | None:
    """``exc`` as the full-disk error it is (an OSError ENOSPC/EDQUOT, or SQLite's "disk is full"),
    else None."""
    if isinstance(exc, OSError) and disk_full(exc):
        return InsufficientSpaceError(
            f"no space left on the disk holding {folder}: {exc}",
            path=folder,
            hint="free space on the disk that holds the case folder, then run extract again; "
            "rows already stored are kept",
        )
    if (
        isinstance(exc, sqlite3.OperationalError)
        and ((getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF) == sqlite3.SQLITE_FULL
    ):
        return InsufficientSpaceError(
            f"no space left on the disk holding {folder} (or SQLite's temporary folder "
            f"{_temporary_folder()}): {exc}",
            path=folder,
            hint="free space on the disk that holds the case folder, then run extract again; "
            "rows already stored are kept",
        )
    return None


def _temporary_folder() -> str:
    """Where SQLite puts its temporary files (sorting, large queries) on Unix, as SQLite chooses it."""
    for candidate in (
        os.environ.get("SQLITE_TMPDIR"),
        os.environ.get("TMPDIR"),
        "/var/tmp",  # noqa: S108 - named only to find which folder SQLite uses, never written here
        "/usr/tmp",
        "/tmp",  # noqa: S108
    ):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return "."


def scratch_folder(case: CaseLike, extraction_id: str) -> Path:
    """Where a run copies evidence databases and writes its shards (removed when the run ends)."""
    return Path(case.scratch_dir) / f"extract-{extraction_id[:12]}"


def close_stale_runs(case: CaseLike, store: ArtefactStore, *, examiner: str) -> list[str]:
    """Runs left 'running' by a process that no longer exists are closed as interrupted.

    A killed ``extract`` (kill -9, a power cut) can neither close its run nor remove its scratch
    folder (copies of evidence databases and shards). The next extraction of the case does: the run
    becomes interrupted with an ``extraction_failed`` entry saying so, its unfinished sources become
    incomplete (a re-run's partial rows give way to the earlier run's rows, as after Ctrl-C), and its
    scratch folder is removed. Runs of another machine (a case folder on shared storage) and runs
    whose process is alive are left alone; runs recorded before processes were (no pid) are closed.
    """
    closed: list[str] = []
    host = host_name()
    for run in store.running_runs():
        pid = run["pid"]
        if run["host"] not in (None, host):
            continue
        if pid is not None and pid != os.getpid() and pid_alive(int(pid)):
            continue
        unfinished = store.run_sources(run["id"], "running")
        who = f"process {pid} on {run['host']}" if pid is not None else "process"
        entry = case.record(
            "extraction_failed",
            examiner=examiner,
            exhibit=run["exhibit"],
            details=storable_value(
                {
                    "extraction_id": run["id"],
                    "status": "interrupted",
                    "reason": f"the extracting {who} ended without finishing (killed, or the machine "
                    "stopped); closed by the next extraction of the case",
                    "started_at": run["started_at"],
                    "sources_incomplete": unfinished,
                }
            ),
        )
        store.finish_run(run["id"], status="interrupted", counts=None, ledger_seq=getattr(entry, "seq", None))
        shutil.rmtree(scratch_folder(case, run["id"]), ignore_errors=True)
        closed.append(run["id"])
    return closed


def _region(case: CaseLike, exhibit_id: str) -> str:
    try:
        exhibit = case.exhibit(exhibit_id)
    except IntakeError:
        raise
    region = getattr(exhibit, "region", None) or getattr(case.settings, "region", None) or "ZZ"
    return str(region).upper()


def extract(
    case: CaseLike,
    exhibits: Iterable[str],
    *,
    examiner: str,
    parsers: Sequence[str] | None = None,
    jobs: int | None = None,
    registry: ParserRegistry | None = None,
    open_tree: TreeOpener | None = None,
    executor: Executor | None = None,
    progress: ProgressFn | None = None,
    keys: Mapping[str, str] | None = None,
) -> ExtractionReport:
    """Extract artefacts from each exhibit into the case's artefact store; never raises for bad evidence.

    ``parsers`` names a subset (all registered parsers when empty). The report says per exhibit and
    parser what was found; ``report.failed`` is True when any parser failed on any file or an
    exhibit could not be opened (the CLI then exits with status 8). ``keys`` (volume name → key, as
    for ``files --key``) open encrypted volumes; the ledger records for which volumes, never the keys.
    """
    registry = registry if registry is not None else ParserRegistry.discover()
    selected = registry.select(parsers)
    jobs = jobs if jobs is not None else default_jobs()
    opener = open_tree or (
        default_opener if not keys else lambda case_, exhibit_: default_opener(case_, exhibit_, keys)
    )
    exhibits = list(exhibits)
    for exhibit_id in exhibits:
        _region(case, exhibit_id)  # NotFoundError for an unknown exhibit, before anything is written
    report = ExtractionReport()
    own_executor = executor is None
    pool = executor if executor is not None else make_executor(jobs)
    store = ArtefactStore(Path(case.artefacts_path))
    try:
        close_stale_runs(case, store, examiner=examiner)
        for exhibit_id in exhibits:
            run = Extraction(
                case,
                store,
                exhibit_id,
                selected,
                examiner=examiner,
                executor=pool,
                jobs=jobs,
                open_tree=opener,
                progress=progress,
                keys_for=list(keys or {}),
            )
            try:
                report.exhibits.append(run.run())
            except Exception as exc:
                if len(exhibits) == 1:
                    raise  # one exhibit asked for: its own error and exit status say it best
                # the next exhibits are still extracted, whatever stopped this one
                failed = ExhibitSummary(exhibit_id, run.extraction_id, status="failed")
                text = str(exc) if isinstance(exc, IntakeError) else f"{exc.__class__.__name__}: {exc}"
                failed.problems.append(storable(text))
                report.exhibits.append(failed)
    finally:
        store.close()
        if own_executor:
            pool.shutdown(wait=True, cancel_futures=True)
    return report
