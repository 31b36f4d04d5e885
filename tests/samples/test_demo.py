"""`make demo` end to end: every step succeeds, and what it writes is valid for the tools that read it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def test_demo_runs_every_step_and_its_case_export_is_valid_case_uco(
    tmp_path: Path, require_tool: Callable[..., str]
) -> None:
    case_validate = require_tool("case_validate", "case-utils, from PyPI")
    pdftotext = require_tool("pdftotext", "poppler-utils")
    case = tmp_path / "demo-case"
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "samples" / "demo.py"), "--case", str(case)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    for name in (
        "reports/custody-en.pdf",
        "reports/custody-th.pdf",
        "reports/artefacts.html",
        "exports/case-uco.jsonld",
        "exports/EX-001-bundle.zip",
    ):
        assert (case / name).is_file(), name
    validated = subprocess.run(
        [case_validate, str(case / "exports" / "case-uco.jsonld")],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert validated.returncode == 0, validated.stdout[-4000:] + validated.stderr[-4000:]
    thai = subprocess.run(
        [pdftotext, "-raw", str(case / "reports" / "custody-th.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "TCSD 77/2568" in thai and "2568" in thai
    for exhibit in ("EX-001", "EX-002", "EX-003"):
        assert exhibit in thai
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidence_intake",
            "artefacts",
            "--kind",
            "messages",
            "--case",
            str(case),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    apps = {row["app"] for row in json.loads(listing.stdout)}
    assert {"SMS", "WhatsApp", "LINE", "Telegram", "iMessage"} <= apps, apps
