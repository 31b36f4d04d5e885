"""Artefact reports: the extracted messages, contacts, calls, accounts, wallets and secrets of a case.

``generate_artefact_report`` writes one of four forms and records it in the custody ledger:

* ``html``: one self-contained page (artefacts_html): searchable, sortable tables and conversations;
* ``csv``: one file per kind (artefacts_flat); with one ``--kind`` the file itself, otherwise a new
  folder holding ``<kind>.csv`` and a ``SHA256SUMS`` file (``sha256sum -c SHA256SUMS`` checks it);
* ``jsonl``: every row of every kind, one JSON object a line, values exactly as stored;
* ``xlsx``: a workbook with a summary sheet, the files read, and a sheet per kind.

The order is what keeps the record straight: the scope is checked and the rows opened first (revealing
secrets writes its ``secrets_revealed`` entry then, before a single secret is read), the ledger head is
taken and printed in the report, the output is written to new files only (never over anything), the
SHA-256 of each file is computed by reading back what is on disk, and a ``report_generated`` entry
records those hashes. A run that fails part way deletes what it had written and records nothing.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from evidence_intake import SOFTWARE
from evidence_intake.artefacts.store import open_read_only
from evidence_intake.case import Case, safe_name
from evidence_intake.digests import sha256_file
from evidence_intake.errors import (
    ConflictError,
    IntakeError,
    UsageError,
    write_error,
)
from evidence_intake.register import relative_to_case
from evidence_intake.reports import artefacts_data as data
from evidence_intake.reports.artefacts_flat import XlsxWriter, column_width, write_csv, write_jsonl
from evidence_intake.reports.artefacts_html import ReportHeader, write_html
from evidence_intake.reports.output import check_target, kept_only_if_recorded, new_file
from evidence_intake.timeutil import iso_utc, utcnow

FORMATS = ("html", "csv", "jsonl", "xlsx")
# Past this many rows in one page a browser takes long to open it and to filter: say so.
HTML_ROWS_WARNING = 200_000
SUMS_NAME = "SHA256SUMS"


@dataclass(frozen=True, slots=True)
class ReportFile:
    path: Path
    sha256: str
    size: int
    kind: str | None = None


@dataclass
class ArtefactReportResult:
    path: Path  # the file, or the folder of a multi-kind CSV export
    format: str
    exhibit: str | None
    kinds: list[str]
    counts: dict[str, int]
    sha256: str  # of the file (for a CSV folder: of its SHA256SUMS)
    size: int
    files: list[ReportFile]
    revealed: bool
    ledger_head: str
    ledger_seq: int | None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "exhibit": self.exhibit,
            "kinds": self.kinds,
            "counts": self.counts,
            "sha256": self.sha256,
            "size": self.size,
            "files": [
                {"path": str(f.path), "kind": f.kind, "sha256": f.sha256, "size": f.size} for f in self.files
            ],
            "secrets_revealed": self.revealed,
            "ledger_head": self.ledger_head,
            "ledger_seq": self.ledger_seq,
            "warnings": self.warnings,
        }


def default_path(case: Case, *, exhibit: str | None, fmt: str, folder: bool, revealed: bool) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    scope = safe_name(exhibit) if exhibit else "case"
    name = f"artefacts-{scope}-{stamp}" + ("-revealed" if revealed else "")
    return case.reports_dir / (f"{name}-csv" if folder else f"{name}.{fmt}")


@contextmanager
def _text(fh: IO[bytes], *, bom: bool = False) -> Iterator[IO[str]]:
    wrapper = io.TextIOWrapper(fh, encoding="utf-8-sig" if bom else "utf-8", newline="")
    try:
        yield wrapper
        wrapper.flush()
    finally:
        wrapper.detach()


def _store_error(store: Path, exc: sqlite3.Error) -> IntakeError:
    return IntakeError(
        f"cannot read the artefact store {store}: {exc}; no report was written or recorded",
        path=store,
        hint="if an extraction is running, let it finish and try again; a damaged store can be rebuilt by "
        "moving it aside and extracting again (the evidence is not affected)",
    )


def _digest(path: Path) -> ReportFile:
    return ReportFile(path, sha256_file(path), path.stat().st_size)


def _cleanup(created: list[Path], folder: Path | None) -> None:
    for path in reversed(created):
        path.unlink(missing_ok=True)
    if folder is not None:
        try:
            folder.rmdir()
        except OSError:
            pass


def generate_artefact_report(
    case: Case,
    *,
    fmt: str,
    examiner: str,
    out: Path | None = None,
    exhibit: str | None = None,
    kinds: Sequence[str] | None = None,
    reveal: bool = False,
) -> ArtefactReportResult:
    """Write the artefacts of the case (or of one exhibit) as html, csv, jsonl or xlsx; record it."""
    if fmt not in FORMATS:
        raise UsageError(f"report format {fmt!r} is not one of: {', '.join(FORMATS)}")
    selected = data.parse_kinds(kinds)
    if exhibit is not None:
        case.exhibit(exhibit)  # an unknown exhibit: the error that lists the known ones
    store = Path(case.artefacts_path)
    open_read_only(store).close()  # missing: the "nothing extracted yet" error; older: migrated now
    as_folder = fmt == "csv" and len(selected) > 1
    revealing = reveal and "secrets" in selected
    target = out or default_path(case, exhibit=exhibit, fmt=fmt, folder=as_folder, revealed=revealing)
    path = target.expanduser().resolve()
    check_target(path, folder=True)

    try:
        sections = data.open_sections(
            store, selected, exhibit=exhibit, reveal=reveal, case=case, examiner=examiner
        )
    except sqlite3.Error as exc:
        raise _store_error(store, exc) from exc
    # Only secrets actually shown were revealed (and recorded by query): none found, none revealed.
    revealing = revealing and any(s.name == "secrets" and s.present and s.total for s in sections)
    head = str(case.ledger.checkpoint())
    header = ReportHeader(
        case_number=case.settings.case_number,
        title=case.settings.title,
        agency=case.settings.agency,
        examiner=examiner,
        timezone=case.settings.timezone,
        exhibit=exhibit,
        kinds=selected,
        generated_at=utcnow(),
        software=SOFTWARE,
        ledger_head=head,
        revealed=revealing,
    )
    warnings: list[str] = []
    created: list[Path] = []
    digested: dict[Path, ReportFile] = {}  # files already read back, by path
    folder = path if as_folder else None
    try:
        if fmt == "html":
            total = sum(s.total for s in sections)
            if total > HTML_ROWS_WARNING:
                warnings.append(
                    f"the HTML report holds {total} rows; browsers open and filter pages of more than about "
                    f"{HTML_ROWS_WARNING} rows slowly: narrow it with --exhibit or --kind, or use "
                    "--format csv, jsonl or xlsx"
                )
            threads = data.threads(store, exhibit=exhibit) if "messages" in selected else []
            with new_file(path, created) as fh, _text(fh) as text:
                counts = write_html(
                    text,
                    header,
                    sections,
                    threads=threads,
                    runs=data.runs(store, exhibit=exhibit),
                    files=data.source_files(store, exhibit=exhibit),
                )
        elif fmt == "jsonl":
            with new_file(path, created) as fh, _text(fh) as text:
                counts = write_jsonl(text, sections)
        elif fmt == "xlsx":
            counts, xlsx_warnings = _write_xlsx(path, created, header, sections, store)
            warnings.extend(xlsx_warnings)
        else:
            counts = _write_csv(path, created, sections, folder, digested)
        files = [digested.get(p) or _digest(p) for p in created]
    except sqlite3.Error as exc:
        _cleanup(created, folder)
        raise _store_error(store, exc) from exc
    except OSError as exc:
        _cleanup(created, folder)
        raise write_error(exc, path, "the report") from exc
    except BaseException:
        _cleanup(created, folder)
        raise
    for section in sections:
        if counts.get(section.name, 0) != section.total:
            warnings.append(
                f"{section.name}: {counts.get(section.name, 0)} rows written where the store counted "
                f"{section.total} when the report began (an extraction was writing to the store)"
            )
    kinds_of = {p: k for k, p in _csv_targets(path, selected).items()} if as_folder else {}
    files = [ReportFile(f.path, f.sha256, f.size, kinds_of.get(f.path)) for f in files]
    main = files[-1] if as_folder else files[0]  # SHA256SUMS is written last
    with kept_only_if_recorded(*reversed(created), *([folder] if folder is not None else [])):
        entry = case.record(
            "report_generated",
            examiner=examiner,
            exhibit=exhibit,
            details={
                "report": "artefacts",
                "format": fmt,
                "scope": exhibit or "case",
                "kinds": selected,
                "counts": counts,
                "secrets_revealed": revealing,
                "path": relative_to_case(case, path),
                "sha256": main.sha256,
                "size": main.size,
                "files": [
                    {"path": relative_to_case(case, f.path), "sha256": f.sha256, "size": f.size}
                    for f in files
                ]
                if as_folder
                else [],
                "ledger_head": head,
                "generated_at": iso_utc(header.generated_at),
                "warnings": warnings,
            },
        )
    for f in files:
        f.path.chmod(0o444)
    return ArtefactReportResult(
        path=path,
        format=fmt,
        exhibit=exhibit,
        kinds=selected,
        counts=counts,
        sha256=main.sha256,
        size=main.size,
        files=files,
        revealed=revealing,
        ledger_head=head,
        ledger_seq=entry.seq,
        warnings=warnings,
    )


def _csv_targets(path: Path, kinds: Sequence[str]) -> dict[str, Path]:
    return {kind: path / f"{kind}.csv" for kind in kinds}


def _write_csv(
    path: Path,
    created: list[Path],
    sections: Sequence[data.Section],
    folder: Path | None,
    digested: dict[Path, ReportFile],
) -> dict[str, int]:
    """Write the CSV file, or the folder of one CSV per kind with its SHA256SUMS; the files read back
    for SHA256SUMS are put in ``digested`` so that they are not read a second time for the ledger."""
    counts: dict[str, int] = {}
    if folder is None:
        section = sections[0]
        with new_file(path, created) as fh, _text(fh, bom=True) as text:
            counts[section.name] = write_csv(text, section)
        return counts
    try:
        folder.mkdir()
    except FileExistsError as exc:
        raise ConflictError(
            f"{folder} appeared while the report was being made; it was left as it is"
        ) from exc
    targets = _csv_targets(folder, [s.name for s in sections])
    for section in sections:
        with new_file(targets[section.name], created) as fh, _text(fh, bom=True) as text:
            counts[section.name] = write_csv(text, section)
    for p in created:
        digested[p] = _digest(p)
    sums = "".join(f"{digested[p].sha256}  {p.name}\n" for p in created)
    with new_file(folder / SUMS_NAME, created) as fh:
        fh.write(sums.encode("utf-8"))
    return counts


def _write_xlsx(
    path: Path, created: list[Path], header: ReportHeader, sections: Sequence[data.Section], store: Path
) -> tuple[dict[str, int], list[str]]:
    book = XlsxWriter()
    book.key_values(
        "Report",
        [
            ("Case", header.case_number),
            ("Title", header.title),
            ("Agency", header.agency),
            ("Scope", f"exhibit {header.exhibit}" if header.exhibit else "the whole case (every exhibit)"),
            ("Generated (UTC)", iso_utc(header.generated_at)),
            ("Generated by", header.examiner),
            ("Software", header.software),
            ("Ledger head when generated", header.ledger_head),
            ("Secrets", "revealed (recorded in the ledger)" if header.revealed else "masked"),
            ("Times", "ISO 8601 UTC as stored, each with its raw value in the …_raw column"),
            *((f"Rows: {s.name}", s.total) for s in sections),
            *((f"Note: {s.name}", note) for s in sections for note in s.notes),
        ],
    )
    files = data.source_files(store, exhibit=header.exhibit)
    book.table(
        "Files read",
        [
            "source_id",
            "exhibit",
            "parser",
            "parser_version",
            "source_partition",
            "source_filesystem",
            "source_path",
            "source_inode",
            "source_size",
            "source_sha256",
            "status",
            "records",
            "errors",
            "warnings",
            "detail",
        ],
        [
            (
                f.source_id,
                f.exhibit,
                f.parser,
                f.parser_version,
                f.partition,
                f.filesystem,
                f.path,
                f.inode,
                f.size,
                f.sha256,
                f.status,
                f.records,
                f.errors,
                f.warnings,
                f.detail,
            )
            for f in files
        ],
    )
    counts = {s.name: book.section(s, column_width) for s in sections}
    with new_file(path, created) as fh:
        book.save(fh, title=f"Artefact report: {header.case_number}", creator=SOFTWARE)
    return counts, book.notes.warnings()
