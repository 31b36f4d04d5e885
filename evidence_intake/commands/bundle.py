"""`evidence-intake bundle verify`: check a received exchange package, with no case and no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.commands._options import JsonOpt
from evidence_intake.errors import IntegrityError
from evidence_intake.exchange.verify import verify_bundle

app = typer.Typer(
    help=(
        "Exchange packages received from partner agencies.\n\n"
        "Example: evidence-intake bundle verify EX-001-bundle.zip"
    ),
    no_args_is_help=True,
)


@app.command("verify")
def verify(
    path: Annotated[Path, typer.Argument(help="The package folder or .zip file.")],
    trust_key: Annotated[
        list[str] | None,
        typer.Option("--trust-key", help="Key id the sender gave you by another channel; repeatable."),
    ] = None,
    expect_head: Annotated[
        str | None, typer.Option("--expect-head", help="Checkpoint SIZE:ROOT the sender gave you.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check every proof, signature and hash in an exchange package; exit status 5 if anything differs.

    Needs no case folder and no network. Each problem names the file or ledger entry concerned.

    Example: evidence-intake bundle verify EX-001-bundle.zip --trust-key 3f9a0c1d2e4b5a69
    """
    result = verify_bundle(path, trusted_keys=tuple(trust_key or ()), expect=expect_head)
    if json_out:
        console.print_json(result.to_dict())
    else:
        for problem in result.problems:
            console.problem(problem)
        for item in result.checked:
            console.info(f"checked: {item}")
        console.key_values(
            None,
            [
                ("package", result.path),
                ("case", f"{result.case_number} ({result.case_id})"),
                ("exhibit", result.exhibit),
                ("checkpoint", result.checkpoint),
                ("signed by", f"key {result.signer} ({result.signer_owner})"),
                ("result", "VERIFIED" if result.ok else f"FAILED: {len(result.problems)} problem(s)"),
            ],
        )
        if result.ok and not result.trusted:
            console.warn(
                f"the package is consistent and signed by key {result.signer}; compare that key id with "
                "the one the sending agency gave you (or pass it with --trust-key)"
            )
    if not result.ok:
        raise IntegrityError(
            f"the package {result.path} does not verify: {result.problems[0]}"
            + (f" (and {len(result.problems) - 1} more problem(s))" if len(result.problems) > 1 else ""),
            hint="do not rely on it; ask the sending agency for a new copy, and compare the two",
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bundle")
