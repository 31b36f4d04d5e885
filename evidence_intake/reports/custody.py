"""Producing a custody report: check the ledger, sign its head, render, write, and record the report.

The order matters. The ledger is verified first and its head signed (as ``custody head`` does), so the
report states a head that a court can later check with ``custody verify --expect-head``; the report then
covers exactly the entries up to that head. The file is written once (never over an existing one), its
SHA-256 computed over the bytes written, and a ``report_generated`` entry records it. A ledger that does
not verify still gets its report (it says so on every page), but nothing is added to a broken ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain_of_custody import Checkpoint, LedgerError
from evidence_intake.case import Case, safe_name
from evidence_intake.custody import verified_head
from evidence_intake.errors import (
    IntegrityError,
    UsageError,
    write_error,
)
from evidence_intake.register import relative_to_case
from evidence_intake.reports.fonts import FontFile, fc_match, plan_fonts
from evidence_intake.reports.i18n import LANGUAGES, Labels
from evidence_intake.reports.model import CustodyReport, build_custody_report
from evidence_intake.reports.output import check_target, kept_only_if_recorded, new_file
from evidence_intake.timeutil import utcnow

FORMATS = ("pdf", "html")
FontLookup = Callable[[Iterable[int], "str | None"], "FontFile | None"]


@dataclass
class ReportResult:
    path: Path
    format: str
    lang: str
    exhibit: str | None
    sha256: str
    size: int
    head: Checkpoint
    intact: bool
    ledger_seq: int | None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "lang": self.lang,
            "exhibit": self.exhibit,
            "sha256": self.sha256,
            "size": self.size,
            "ledger_head": str(self.head),
            "ledger_intact": self.intact,
            "ledger_seq": self.ledger_seq,
            "warnings": self.warnings,
        }


def default_path(case: Case, *, exhibit: str | None, fmt: str, lang: str) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    scope = safe_name(exhibit) if exhibit else "case"
    return case.reports_dir / f"custody-{scope}-{lang}-{stamp}.{fmt}"


def render(
    report: CustodyReport, *, fmt: str, lang: str, lookup: FontLookup = fc_match
) -> tuple[bytes, list[str]]:
    """The document's bytes and the warnings met while rendering (fonts that are missing)."""
    labels = Labels(lang)
    if fmt == "html":
        from evidence_intake.reports.html import render_html

        return render_html(report, labels).encode("utf-8"), []
    from evidence_intake.reports.pdf import render_pdf

    plan = plan_fonts("\n".join(report.texts()), lookup=lookup)
    return render_pdf(report, labels, plan), plan.warnings()


def generate_custody_report(
    case: Case,
    *,
    fmt: str,
    lang: str = "en",
    exhibit: str | None = None,
    out: Path | None = None,
    examiner: str,
    lookup: FontLookup = fc_match,
) -> ReportResult:
    """Write the custody report of the case (or of one exhibit) and record it in the ledger."""
    if fmt not in FORMATS:
        raise UsageError(f"report format {fmt!r} is not one of: {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise UsageError(f"report language {lang!r} is not one of: {', '.join(LANGUAGES)}")
    if exhibit is not None:
        case.exhibit(exhibit)  # an unknown exhibit: the error that lists the known ones
    path = (out or default_path(case, exhibit=exhibit, fmt=fmt, lang=lang)).expanduser().resolve()
    check_target(path)
    verification, head, signed = verified_head(case)
    try:
        report = build_custody_report(
            case, exhibit=exhibit, examiner=examiner, verification=verification, head=head, signed_head=signed
        )
    except LedgerError as exc:
        raise IntegrityError(
            f"the ledger {case.ledger_path} cannot be read: {exc}",
            path=case.ledger_path,
            hint="run `evidence-intake custody verify`; restore the ledger from a backup",
        ) from exc
    data, warnings = render(report, fmt=fmt, lang=lang, lookup=lookup)
    _write_new(path, data)
    sha256 = hashlib.sha256(data).hexdigest()
    seq: int | None = None
    if verification.ok:
        with kept_only_if_recorded(path):
            entry = case.record(
                "report_generated",
                examiner=examiner,
                exhibit=exhibit,
                details={
                    "report": "custody",
                    "format": fmt,
                    "lang": lang,
                    "scope": exhibit or "case",
                    "path": relative_to_case(case, path),
                    "sha256": sha256,
                    "size": len(data),
                    "ledger_head": str(head),
                    "warnings": warnings,
                },
            )
        seq = entry.seq
    return ReportResult(
        path=path,
        format=fmt,
        lang=lang,
        exhibit=exhibit,
        sha256=sha256,
        size=len(data),
        head=head,
        intact=verification.ok,
        ledger_seq=seq,
        warnings=warnings,
    )


def _write_new(path: Path, data: bytes) -> None:
    """Write a new file (refusing an existing one), durably, then make it read-only.

    A write that fails part way (a full disk) deletes what it wrote: a cut-off report must not be
    mistaken for one. Nothing is recorded in the ledger then, as for the artefact reports.
    """
    created: list[Path] = []
    try:
        with new_file(path, created) as fh:
            fh.write(data)
    except OSError as exc:
        for written in created:
            written.unlink(missing_ok=True)
        raise write_error(exc, path, "the report") from exc
    path.chmod(0o444)
