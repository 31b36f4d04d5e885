"""`evidence-intake case …`: create a case folder and show what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, JsonOpt
from evidence_intake.register import exhibit_ids, list_acquisitions

app = typer.Typer(
    help="Create and inspect case folders.\n\nExample: evidence-intake case show --case ./CASE-001",
    no_args_is_help=True,
)


@app.command("init")
def init(
    folder: Annotated[Path, typer.Argument(help="New (or empty) folder for the case.", file_okay=False)],
    case_number: Annotated[str, typer.Option("--case-number", help="Case number as on the case file.")],
    title: Annotated[str, typer.Option("--title", help="Short title of the case.")],
    examiner: Annotated[str, typer.Option("--examiner", help="Examiner in charge; default actor.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Agency or unit.")] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone for rendering local times.")
    ] = "Asia/Bangkok",
    region: Annotated[
        str,
        typer.Option(
            "--region",
            help="Country for phone numbers without a country code: ISO 3166-1 code (TH, MM, CN, KH).",
        ),
    ] = "TH",
    json_out: JsonOpt = False,
) -> None:
    """Create a case folder with its ledger, register and a workstation signing key.

    Example: evidence-intake case init ./CASE-001 --case-number "TCSD 123/2568"
    --title "Operation Dawn" --examiner "Pol.Lt. Somchai" --agency "TCSD"
    """
    case = Case.init(
        folder,
        case_number=case_number,
        title=title,
        examiner=examiner,
        agency=agency,
        timezone=timezone,
        region=region,
    )
    with case:
        checkpoint = case.ledger.checkpoint()
        if json_out:
            console.print_json({"case": case.settings.to_dict(), "root": case.root, "head": str(checkpoint)})
            return
        console.info(f"case {case.settings.case_number} created in {case.root}")
        console.key_values(
            None,
            [
                ("case folder", case.root),
                ("case id", case.settings.case_id),
                ("ledger head", checkpoint.short()),
            ],
        )


@app.command("show")
def show(case_dir: CaseOpt = None, json_out: JsonOpt = False) -> None:
    """Show the case settings, its exhibits and the ledger head.

    Example: evidence-intake case show --case ./CASE-001
    """
    with Case.locate(case_dir, reading=True) as case:
        s = case.settings
        ids = exhibit_ids(case)
        acquisitions = list_acquisitions(case)
        checkpoint = case.ledger.checkpoint()
        if json_out:
            console.print_json(
                {
                    "case": s.to_dict(),
                    "root": case.root,
                    "exhibits": ids,
                    "acquisitions": len(acquisitions),
                    "ledger_entries": checkpoint.tree_size,
                    "head": str(checkpoint),
                }
            )
            return
        console.key_values(
            f"Case {s.case_number}",
            [
                ("title", s.title),
                ("agency", s.agency),
                ("examiner", s.examiner),
                ("time zone", s.timezone),
                ("phone region", s.region),
                ("created", s.created_at),
                ("case id", s.case_id),
                ("folder", case.root),
                ("exhibits", ", ".join(ids) or "none"),
                ("acquisitions", len(acquisitions)),
                ("ledger head", checkpoint.short()),
            ],
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="case")
