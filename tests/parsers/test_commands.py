"""The parsers, extract and artefacts commands: arguments, output, exit statuses, the ledger."""

from __future__ import annotations

import csv
import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.evidence.model import EvidenceTree
from evidence_intake.parsers.android.sms import AndroidSmsParser
from tests.parsers.android.mmssms_schema import MMSSMS_SQL, sms_row
from tests.parsers.cli import invoke, use_case
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db

SMS_DB = "data/data/com.android.providers.telephony/databases/mmssms.db"


@pytest.fixture()
def evidence(tmp_path: Path) -> dict[str, Path]:
    """EX-001: a good SMS database; EX-002: an SMS database that is not SQLite."""
    good = tmp_path / "ex1"
    make_db(
        good / SMS_DB,
        MMSSMS_SQL,
        {
            "sms": [
                sms_row(1, "0812345678", 1700000000000, 1, "พรุ่งนี้โอนเงินให้แล้วนะ", date_sent=1699999999000),
                sms_row(2, "0812345678", 1700086400000, 2, "明天给你转账"),
            ]
        },
    )
    bad = tmp_path / "ex2"
    (bad / SMS_DB).parent.mkdir(parents=True)
    (bad / SMS_DB).write_bytes(b"\x00garbage" * 500)
    return {"EX-001": good, "EX-002": bad}


@pytest.fixture()
def mounted(monkeypatch: pytest.MonkeyPatch, case: FakeCase, evidence: dict[str, Path]) -> FakeCase:
    use_case(monkeypatch, case)
    opener = types.ModuleType("evidence_intake.evidence.opener")

    def open_exhibit(_case: Any, exhibit: str, keys: Any = None) -> EvidenceTree:
        return FolderTree(evidence[exhibit])

    opener.open_exhibit = open_exhibit  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evidence_intake.evidence.opener", opener)
    return case


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # tables are checked by content: no wrapping inside cells


def test_parsers_lists_the_built_ins_with_their_origin() -> None:
    data = json.loads(invoke("parsers", "--json").stdout)
    names = {p["name"]: p for p in data["parsers"]}
    sms = names["android.sms"]
    assert sms["distribution"] == "evidence-intake" and sms["kinds"] == ["messages"]
    assert "**/com.android.providers.telephony/databases/mmssms.db" in sms["globs"]
    assert sms["limitations"] and sms["version"] == AndroidSmsParser.version and data["failures"] == []
    table = invoke("parsers").stdout
    assert "android.calllog" in table and "evidence-intake" in table


def test_extract_one_exhibit_then_read_back(mounted: FakeCase) -> None:
    out = json.loads(invoke("extract", "--exhibit", "EX-001", "--jobs", "1", "--json").stdout)
    (ex,) = out["exhibits"]
    assert ex["status"] == "completed" and ex["records"]["messages"] == 2 and not out["failed"]
    assert [e.action for e in mounted.entries] == ["extraction_started", "extraction_completed"]

    rows = json.loads(invoke("artefacts", "--kind", "messages", "--json").stdout)
    assert [r["body"] for r in rows] == ["พรุ่งนี้โอนเงินให้แล้วนะ", "明天给你转账"]
    assert rows[0]["source_sha256"] and rows[0]["parser"] == "android.sms"

    found = invoke("artefacts", "--kind", "messages", "--search", "โอนเงิน", "--format", "jsonl").stdout
    assert [json.loads(line)["record_rowid"] for line in found.splitlines()] == [1]
    short = invoke("artefacts", "--kind", "messages", "--search", "转账", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(short.stdout)))
    assert [r["body"] for r in parsed] == ["明天给你转账"] and "shorter than 3" in short.stderr

    since = invoke("artefacts", "--kind", "messages", "--since", "2023-11-15 12:00", "--json")  # Bangkok time
    assert [r["record_rowid"] for r in json.loads(since.stdout)] == [2]
    table = invoke("artefacts", "--kind", "messages", "--exhibit", "EX-001").stdout
    assert "messages (2 of 2)" in table and "โอนเงิน" in table


def test_extract_all_with_a_bad_exhibit_exits_8_and_keeps_the_rest(mounted: FakeCase) -> None:
    result = invoke("extract", "--all", "-j", "0", expect=8)
    assert "EX-002" in result.stderr and "not a SQLite database" in result.stderr
    assert "android.sms" in result.stdout  # the summary table still shows
    assert [e.action for e in mounted.entries].count("parser_error") == 1
    rows = json.loads(invoke("artefacts", "--kind", "messages", "--json").stdout)
    assert {r["exhibit"] for r in rows} == {"EX-001"}


def test_usage_errors(mounted: FakeCase) -> None:
    assert "--exhibit ID" in invoke("extract", expect=2).stderr
    assert "--exhibit ID" in invoke("extract", "--all", "--exhibit", "EX-001", expect=2).stderr
    assert (
        "no parser named 'nope'"
        in invoke("extract", "--exhibit", "EX-001", "--parser", "nope", expect=3).stderr
    )
    assert "EX-999" in invoke("extract", "--exhibit", "EX-999", expect=3).stderr
    assert mounted.entries == []  # nothing recorded for refused commands
    assert "nothing has been extracted" in invoke("artefacts", "--kind", "messages", expect=3).stderr
    invoke("extract", "--exhibit", "EX-001", "-j", "0")
    assert "unknown artefact kind" in invoke("artefacts", "--kind", "emails", expect=2).stderr
    assert (
        "do not apply to contacts"
        in invoke("artefacts", "--kind", "contacts", "--since", "2024-01-01", expect=2).stderr
    )
    assert "unknown format" in invoke("artefacts", "--kind", "calls", "--format", "xml", expect=2).stderr
    # a mistyped exhibit id is an error naming the known ones, not an empty list
    unknown = invoke("artefacts", "--kind", "messages", "--exhibit", "EX-0001", "--json", expect=3)
    assert "EX-0001" in unknown.stderr and "EX-001" in unknown.stderr and unknown.stdout == ""


def test_secrets_are_masked_unless_revealed_and_revealing_is_recorded(
    mounted: FakeCase, tmp_path: Path
) -> None:
    from evidence_intake.artefacts.store import ArtefactStore, SourceRecord

    seed = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    with ArtefactStore(mounted.artefacts_path) as store:
        store.begin_run("run-1", exhibit="EX-001", examiner="x", software="t", parsers={})
        sid = store.add_source(
            SourceRecord("run-1", "EX-001", "test.wallet", "1.0", "", None, "/w.db", None, 1, "ab" * 32)
        )
        store.conn.execute(
            "INSERT INTO secret_rows (source_id, exhibit, record_table, record_rowid, app, "
            "secret_type, value, chain) "
            "VALUES (?, 'EX-001', 'k', 1, 'TronLink', 'seed phrase', ?, 'TRON')",
            (sid, seed),
        )
    masked = json.loads(invoke("artefacts", "--kind", "secrets", "--json").stdout)
    assert masked[0]["value"] == "[masked: 12-word phrase]"
    assert seed not in invoke("artefacts", "--kind", "secrets").stdout
    assert mounted.actions("secrets_revealed") == []
    shown = json.loads(invoke("artefacts", "--kind", "secrets", "--reveal", "--json").stdout)
    assert shown[0]["value"] == seed
    (entry,) = mounted.actions("secrets_revealed")
    assert entry.details["kind"] == "secrets" and entry.details["rows"] == 1


def test_every_command_has_help_with_an_example() -> None:
    for command in ("parsers", "extract", "artefacts"):
        text = invoke(command, "--help").stdout
        assert "Example: evidence-intake " + command in text, command
