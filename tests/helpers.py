"""Helpers shared by tests: a case made through the CLI, and running the CLI with exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evidence_intake.cli import app


def cli(*args: str | Path, expect: int = 0) -> Any:
    """Run the CLI in-process; check the exit status; return the result (stdout, stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == expect, (
        f"exit {result.exit_code} != {expect}\nstdout:\n{result.stdout}\n"
        f"stderr:\n{result.stderr}\n{result.exception!r}"
    )
    return result


def cli_json(*args: str | Path, expect: int = 0) -> Any:
    return json.loads(cli(*args, "--json", expect=expect).stdout)


def make_case(root: Path, *, examiner: str = "Pol.Lt. Somchai Jaidee") -> Path:
    cli(
        "case",
        "init",
        root,
        "--case-number",
        "TCSD 123/2568",
        "--title",
        "Operation Dawn",
        "--examiner",
        examiner,
        "--agency",
        "Technology Crime Suppression Division",
    )
    return root


def add_exhibit(case: Path, exhibit: str = "EX-001", kind: str = "phone", *extra: str) -> Any:
    return cli_json(
        "exhibit",
        "add",
        "--case",
        case,
        "--exhibit",
        exhibit,
        "--kind",
        kind,
        "--description",
        f"test exhibit {exhibit}",
        *extra,
    )
