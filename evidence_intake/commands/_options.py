"""Options shared by every command, so that scripts read alike: --case, --exhibit, --examiner, --json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
