"""`report artefacts` options and failures: kinds chosen several ways, a store that cannot be read."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.artefacts.kinds import KINDS
from evidence_intake.case import Case
from evidence_intake.errors import IntakeError, UsageError
from evidence_intake.reports import artefacts as artefact_reports
from evidence_intake.reports.artefacts_cells import Renderer, headers
from evidence_intake.reports.artefacts_data import KIND_ORDER, parse_kinds
from evidence_intake.reports.artefacts_html import TITLES
from tests.helpers import cli, cli_json
from tests.reports.artefact_case import EXAMINER, build_case, hostile_dump


def test_kinds_repeated_or_comma_separated_come_in_report_order() -> None:
    assert parse_kinds(None) == list(KIND_ORDER)
    assert parse_kinds(["calls,messages", "messages", " secrets "]) == ["messages", "calls", "secrets"]
    with pytest.raises(UsageError, match="unknown artefact kind 'wallet'") as caught:
        parse_kinds(["calls", "wallet"])
    assert "wallet_addresses" in str(caught.value)  # the hint lists the names


def test_every_kind_the_store_knows_has_its_section_in_reports() -> None:
    """The report's kinds come from kinds.KINDS: a new kind needs its title, column heads and cells."""
    assert KIND_ORDER[0] == "messages" and KIND_ORDER[-1] == "encrypted_stores"  # the report's reading order
    for kind in KINDS:
        assert TITLES[kind] and headers(kind, "UTC") and callable(getattr(Renderer, kind))


def test_cli_takes_kinds_both_ways(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3, dump=hostile_dump())
    result = cli_json(
        "report", "artefacts", "--case", root, "--kind", "calls,messages", "--kind", "wallet_addresses",
        "--format", "jsonl", "--out", tmp_path / "some.jsonl",
    )  # fmt: skip
    assert result["kinds"] == ["messages", "calls", "wallet_addresses"]
    assert result["counts"] == {"messages": 6, "calls": 1, "wallet_addresses": 1}
    help_text = cli("report", "artefacts", "--help").stdout
    assert "Example: evidence-intake report artefacts" in help_text


def test_a_store_that_fails_while_read_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_case(tmp_path, sms=3, dump=hostile_dump())
    out = tmp_path / "report.html"

    def locked(*_args: Any, **_kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(artefact_reports.data, "source_files", locked)
    with Case.open(root) as case, pytest.raises(IntakeError, match="database is locked") as caught:
        artefact_reports.generate_artefact_report(case, fmt="html", out=out, examiner=EXAMINER)
    assert "artefacts.sqlite" in str(caught.value) and "no report was written" in str(caught.value)
    assert not out.exists()
    with Case.open(root) as case:
        assert not list(case.ledger.entries(action="report_generated"))


def test_a_damaged_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    root = build_case(tmp_path, sms=3)
    store = root / "artefacts.sqlite"
    store.write_bytes(b"this is not a database, it was overwritten" * 100)
    result = cli("report", "artefacts", "--case", root, "--out", tmp_path / "r.html", expect=1)
    assert str(store) in result.stderr and "extract again" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "r.html").exists()
