"""`evidence-intake export …`: the case in CASE/UCO JSON-LD, and an exhibit's exchange package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, ExhibitOpt, JsonOpt, OptionalExhibitOpt
from evidence_intake.exchange.bundle import export_bundle
from evidence_intake.exchange.export import export_case_uco

app = typer.Typer(
    help=(
        "Exports for partner agencies: CASE/UCO JSON-LD and exchange packages.\n\n"
        "Example: evidence-intake export case-uco --case ./CASE-001 --out CASE-001.jsonld"
    ),
    no_args_is_help=True,
)


@app.command("case-uco")
def case_uco(
    out: Annotated[Path, typer.Option("--out", help="The .jsonld file to write (never overwritten).")],
    exhibit: OptionalExhibitOpt = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export the case (or one exhibit) in the CASE/UCO ontology as JSON-LD.

    Exhibits become devices with their identifiers, acquisitions and extractions investigative actions
    with provenance records and hashes, and every custody entry an action linked to the one before it.

    Example: evidence-intake export case-uco --out CASE-001.jsonld
    """
    with Case.locate(case_dir) as case:
        result = export_case_uco(case, out=out, exhibit=exhibit, examiner=case.examiner(examiner))
        if json_out:
            console.print_json(result)
        else:
            console.key_values(
                None,
                [
                    ("file", result["path"]),
                    ("sha256", result["sha256"]),
                    ("nodes", result["nodes"]),
                    ("ledger entry", result["ledger_seq"]),
                ],
            )


@app.command("bundle")
def bundle(
    exhibit: ExhibitOpt,
    out: Annotated[Path, typer.Option("--out", help="A new folder, or a new FILE.zip.")],
    with_images: Annotated[
        bool, typer.Option("--with-images", help="Also pack the image files (large).")
    ] = False,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write an exhibit's exchange package: its record, custody entries with inclusion proofs against a
    signed checkpoint, signers' public keys, acquisition records and hashes, CASE/UCO JSON-LD.

    The receiver checks it with `evidence-intake bundle verify`, without the case and offline.

    Example: evidence-intake export bundle --exhibit EX-001 --out EX-001-bundle.zip --with-images
    """
    with Case.locate(case_dir) as case:
        with console.progress() as bar:
            task = bar.add_task("packing", total=None)
            result = export_bundle(
                case,
                exhibit=exhibit,
                out=out,
                examiner=case.examiner(examiner),
                with_images=with_images,
                progress=lambda message: bar.update(task, description=message),
            )
        for note in result.notes:
            console.warn(note)
        if json_out:
            console.print_json(result.to_dict())
        else:
            console.key_values(
                None,
                [
                    ("package", result.path),
                    ("sha256", result.sha256),
                    ("files", result.files),
                    ("checkpoint", result.checkpoint.checkpoint),
                    ("signed by", f"workstation key {result.checkpoint.key_id}"),
                    ("ledger entry", result.ledger_seq),
                ],
            )
            console.info(
                f"give the receiver the key id {result.checkpoint.key_id} and the checkpoint "
                f"{result.checkpoint.checkpoint.short()} by a separate channel (letter, phone)"
            )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="export")
