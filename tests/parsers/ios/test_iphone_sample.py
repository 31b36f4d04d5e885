"""The built-in parsers on the project's iPhone sample (samples/iphone-EX-002.zip), end to end.

The zip is a file-system extraction with the real app schemas and synthetic content; samples/README.md
lists what each database holds and which identifiers a correlation step must find. The phone is the
Myanmar recruiter's, so the exhibit is registered with region MM (its local numbers are Burmese).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.evidence.model import EvidenceTree
from evidence_intake.evidence.opener import open_evidence
from evidence_intake.parsers.registry import ParserRegistry
from samples import story
from samples.encodings import tron_address
from tests.parsers.cli import invoke, use_case
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase, FakeExhibit
from tests.parsers.util import sha256_tree, store_rows

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
IPHONE = SAMPLES / "iphone-EX-002.zip"


@pytest.fixture()
def case(tmp_path: Path) -> FakeCase:
    return FakeCase(tmp_path / "case", exhibits={"EX-002": FakeExhibit("EX-002", region="MM")})


@pytest.fixture()
def extracted(case: FakeCase, run_extract: Runner) -> FakeCase:
    if not IPHONE.is_file():
        pytest.fail(f"{IPHONE} is missing: the samples are part of the project")
    before = sha256_tree(SAMPLES)
    registry = ParserRegistry(i for i in ParserRegistry.discover() if i.builtin)
    report = run_extract(open_evidence([IPHONE]), registry=registry, exhibits=("EX-002",))
    assert not report.failed, report.exhibits[0].problems
    assert sha256_tree(SAMPLES) == before
    return case


def count(case: FakeCase, sql: str, *params: object) -> int:
    return int(store_rows(case, sql, params)[0]["n"])


def test_counts_match_the_sample(extracted: FakeCase) -> None:
    def per_parser(kind: str) -> dict[str, int]:
        rows = store_rows(extracted, f"SELECT parser, count(*) AS n FROM {kind} GROUP BY parser")
        return {r["parser"]: r["n"] for r in rows}

    assert per_parser("messages") == {"ios.sms": 9, "ios.whatsapp": 8, "ios.line": 2}
    assert per_parser("contacts") == {
        "ios.addressbook": 4,
        "ios.whatsapp.contacts": 2,
        "ios.line": 1,
        "vcard": 4,
    }
    assert per_parser("calls") == {"ios.callhistory": 4, "ios.whatsapp.calls": 2}
    assert count(extracted, "SELECT count(*) AS n FROM extraction_errors") == 0


def test_messages_app_sms_db(extracted: FakeCase) -> None:
    rows = store_rows(extracted, "SELECT * FROM messages WHERE parser = 'ios.sms' ORDER BY record_rowid")
    assert [r["sent_at"][:4] for r in rows[:2]] == ["2017", "2017"]  # restored rows: dates in seconds
    assert rows[0]["sent_at"] == "2017-06-02T02:15:00.000000Z" and rows[0]["sent_at_raw"] < 10**9
    assert rows[2]["sent_at"] == "2025-03-03T12:00:00.000000Z" and rows[2]["sent_at_raw"] > 10**15
    imessage = rows[6]
    assert (
        imessage["app"] == "iMessage" and "@golden_dawn_hr 有事找我" in imessage["body"]
    )  # attributedBody only
    picture = rows[7]
    assert picture["body"] is None and json.loads(picture["attachments"])[0]["mime_type"] == "image/heic"
    deleted = rows[8]
    assert deleted["is_deleted"] == 1 and deleted["direction"] == "outgoing"
    assert json.loads(deleted["recipient_phones"]) == [story.KO_MIN.phone]


def test_whatsapp_chat_with_boss_wang(extracted: FakeCase) -> None:
    rows = store_rows(extracted, "SELECT * FROM messages WHERE parser = 'ios.whatsapp' ORDER BY record_rowid")
    assert tron_address(story.TRON_LABEL_2) in rows[2]["body"]
    assert (
        rows[3]["body"] == "Location: 16.713100, 98.570800" and json.loads(rows[3]["attachments"])[0]["path"]
    )
    assert rows[4]["is_deleted"] == 1 and rows[4]["status"] == "deleted for everyone"
    group = rows[5]
    assert group["thread_id"].endswith("@g.us") and group["sender_phone"] == story.KO_MIN.phone
    assert group["sender_name"] == "Ko Min"


BY_PARSER = (
    "SELECT i.kind, i.role, s.parser FROM identifiers AS i JOIN (SELECT id, 'contacts' AS kind, parser "
    "FROM contacts UNION ALL SELECT id, 'messages', parser FROM messages UNION ALL "
    "SELECT id, 'calls', parser FROM calls) AS s ON s.id = i.row_id AND s.kind = i.kind WHERE i.value = ?"
)


def test_shared_identifiers_are_found(extracted: FakeCase) -> None:
    def where(value: str) -> set[tuple[str, str, str]]:
        rows = store_rows(extracted, BY_PARSER, (value,))
        return {(r["kind"], r["role"], r["parser"]) for r in rows}

    boss = where(story.BOSS_WANG.phone)
    assert {
        ("contacts", "phone", "ios.whatsapp.contacts"),
        ("contacts", "phone", "vcard"),
        ("calls", "number", "ios.callhistory"),
        ("calls", "number", "ios.whatsapp.calls"),
        ("messages", "sender", "ios.whatsapp"),
    } <= boss
    assert ("contacts", "handle", "ios.whatsapp.contacts") in where("855965550187@s.whatsapp.net")
    assert ("contacts", "handle", "ios.whatsapp.contacts") in where(story.ANDROID_WHATSAPP_LID + "@lid")
    telegram = where(story.TELEGRAM_USERNAME)
    assert {("contacts", "handle", "ios.addressbook"), ("contacts", "handle", "vcard")} <= telegram
    ko_min = where(story.KO_MIN.phone)  # written 09 42555 0188 in the address book: region MM
    assert {
        ("contacts", "phone", "ios.addressbook"),
        ("messages", "sender", "ios.sms"),
        ("messages", "sender", "ios.whatsapp"),
        ("calls", "number", "ios.callhistory"),
    } <= ko_min
    assert ("messages", "sender", "ios.line") in where(story.LINE_MID_CHEN)


def test_through_the_cli(monkeypatch: pytest.MonkeyPatch, case: FakeCase) -> None:
    """``evidence-intake extract --exhibit EX-002`` on the zip: the summary and ``artefacts`` read back."""
    use_case(monkeypatch, case)
    opener = types.ModuleType("evidence_intake.evidence.opener")

    def open_exhibit(_case: Any, exhibit: str, keys: Any = None) -> EvidenceTree:
        assert exhibit == "EX-002"
        return open_evidence([IPHONE])

    opener.open_exhibit = open_exhibit  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evidence_intake.evidence.opener", opener)
    out = json.loads(invoke("extract", "--exhibit", "EX-002", "--jobs", "1", "--json").stdout)
    (exhibit,) = out["exhibits"]
    assert not out["failed"] and exhibit["status"] == "completed"
    assert {k: v for k, v in exhibit["records"].items() if v} == {"messages": 19, "contacts": 11, "calls": 6}
    found = json.loads(
        invoke("artefacts", "--kind", "messages", "--search", "golden_dawn_hr", "--json").stdout
    )
    assert [(r["parser"], r["app"]) for r in found] == [("ios.sms", "iMessage")]
