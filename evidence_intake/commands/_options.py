"""Options shared by every command, so that scripts read alike: --case, --exhibit, --examiner, --json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake.errors import UsageError

CaseOpt = Annotated[
    Path | None,
    typer.Option(
        "--case",
        help="Case folder. Default: $EVIDENCE_INTAKE_CASE, else the current folder or a parent of it.",
        show_default=False,
        file_okay=False,
    ),
]
ExaminerOpt = Annotated[
    str | None,
    typer.Option(
        "--examiner",
        help="Acting examiner. Default: $EVIDENCE_INTAKE_EXAMINER, else the case's examiner.",
        show_default=False,
    ),
]
ExhibitOpt = Annotated[str, typer.Option("--exhibit", help="Exhibit id, as registered in the case.")]
OptionalExhibitOpt = Annotated[
    str | None, typer.Option("--exhibit", help="Exhibit id; all exhibits when left out.", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


KeyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--key",
        help=(
            "Key for an encrypted volume, as VOLUME (asked for without echo) or VOLUME=SECRET; VOLUME is "
            "p2, p3.v1…, or * for any (also for an image without partitions). BitLocker password or "
            "recovery password, FileVault password, LUKS passphrase; for an encrypted iOS backup, its "
            "password as *. "
            "Never stored or logged."
        ),
        show_default=False,
    ),
]


def parse_keys(values: list[str] | None) -> dict[str, str]:
    keys: dict[str, str] = {}
    for value in values or []:
        volume, sep, secret = value.partition("=")
        volume = volume.strip()
        if not volume:
            raise UsageError(
                f"--key {value.split('=')[0]!r}: no volume named", hint="write --key p2 or --key p2=SECRET"
            )
        if not sep:
            secret = typer.prompt(f"Key for volume {volume}", hide_input=True, err=True)
        keys[volume] = secret
    return keys
