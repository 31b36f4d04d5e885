"""`evidence-intake report …`: the custody report (PDF or HTML, English or Thai) and artefact reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, JsonOpt, OptionalExhibitOpt
from evidence_intake.errors import IntegrityError
from evidence_intake.reports.artefacts import FORMATS as ARTEFACT_FORMATS
from evidence_intake.reports.artefacts import generate_artefact_report
from evidence_intake.reports.artefacts_data import KIND_ORDER
from evidence_intake.reports.custody import generate_custody_report

app = typer.Typer(
    help=(
        "Reports on the case: the chain-of-custody report and the extracted artefacts.\n\n"
        "Example: evidence-intake report custody --case ./CASE-001 --format html"
    ),
    no_args_is_help=True,
)


@app.command("custody")
def custody(
    exhibit: OptionalExhibitOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf or html.")] = "pdf",
    lang: Annotated[str, typer.Option("--lang", help="en or th (Thai, with Buddhist Era dates).")] = "en",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (never overwritten). Default: a dated name in reports/."),
    ] = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the chain-of-custody report of the case, or of one exhibit, and record it in the ledger.

    The report holds the case header, each exhibit with its identifiers, seals and photographs, every
    acquisition with its hashes, error map and verifications, the extractions, the complete chain of
    custody, the ledger's verification and signature lines; every page's footer carries the ledger head.

    Example: evidence-intake report custody --exhibit EX-001 --format pdf --lang th --out EX-001-custody.pdf
    """
    with Case.locate(case_dir) as case:
        result = generate_custody_report(
            case, fmt=fmt, lang=lang, exhibit=exhibit, out=out, examiner=case.examiner(examiner)
        )
        for warning in result.warnings:
            console.warn(warning)
        if json_out:
            console.print_json(result.to_dict())
        else:
            console.key_values(
                None,
                [
                    ("report", result.path),
                    ("sha256", result.sha256),
                    ("size", f"{result.size} bytes"),
                    ("ledger head", result.head),
                    ("ledger entry", result.ledger_seq if result.ledger_seq is not None else "none"),
                ],
            )
        if not result.intact:
            raise IntegrityError(
                f"the ledger does not verify: the report {result.path} was written and lists the problems, "
                "but nothing was added to the broken ledger",
                hint="run `evidence-intake custody verify` and compare the ledger with its backups",
            )


@app.command("artefacts")
def artefacts(
    exhibit: OptionalExhibitOpt = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help=f"Kind to include (repeat, or separate with commas): {', '.join(KIND_ORDER)}. Default: all.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(ARTEFACT_FORMATS)}.")] = "html",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write (never overwritten); a new folder for CSV of several kinds. "
            "Default: a dated name in reports/.",
        ),
    ] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show secrets unmasked (recorded in the ledger).")
    ] = False,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the extracted artefacts of the case, or of one exhibit, and record the report in the ledger.

    html is one self-contained page (searchable, sortable tables; conversations as threads; nothing in it
    is fetched or run from the evidence); csv, jsonl and xlsx are flat exports. Every row keeps its
    provenance: exhibit, source path and SHA-256, parser and version, record locator. Secrets stay masked
    unless --reveal. Spreadsheet cells that could run as formulas are neutralised.

    Example: evidence-intake report artefacts --exhibit EX-001 --kind messages --format html --out EX-001.html
    """
    with Case.locate(case_dir) as case:
        result = generate_artefact_report(
            case,
            fmt=fmt,
            examiner=case.examiner(examiner),
            out=out,
            exhibit=exhibit,
            kinds=kind,
            reveal=reveal,
        )
        for warning in result.warnings:
            console.warn(warning)
        if json_out:
            console.print_json(result.to_dict())
            return
        console.key_values(
            None,
            [
                ("report", result.path),
                ("sha256", result.sha256),
                ("size", f"{result.size} bytes"),
                ("rows", ", ".join(f"{k} {n}" for k, n in result.counts.items())),
                ("secrets", "revealed" if result.revealed else "masked"),
                ("ledger entry", result.ledger_seq),
            ],
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
