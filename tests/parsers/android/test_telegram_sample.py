"""android.telegram on the project's Android sample (samples/android-EX-001.tar.gz), end to end.

samples/README.md promises: a private dialog with @golden_dawn_hr (user id 6512340871; English,
Chinese and Burmese) and a basic group "园区通知 compound notices", five messages whose blobs are
``message#76bec211`` (layer 173), users.name "golden dawn hr;;;golden_dawn_hr", and the owner's own
user (7123450143, "chen"). Read through the real evidence opener and the registered parser.
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
from evidence_intake.parsers.android.telegram import AndroidTelegramParser
from evidence_intake.parsers.registry import ParserRegistry
from tests.parsers.cli import invoke, use_case
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.util import store_rows

ANDROID = Path(__file__).resolve().parents[3] / "samples" / "android-EX-001.tar.gz"
HR, OWNER, GROUP = "6512340871", "7123450143", "-4155501877"


@pytest.fixture()
def extracted(case: FakeCase, run_extract: Runner) -> FakeCase:
    if not ANDROID.is_file():
        pytest.fail(f"{ANDROID} is missing: the samples are part of the project")
    registry = ParserRegistry(i for i in ParserRegistry.discover() if i.name == AndroidTelegramParser.name)
    report = run_extract(open_evidence([ANDROID]), registry=registry)
    summary = report.exhibits[0].parsers["android.telegram"]
    assert (summary.files, summary.parsed, summary.errors, summary.warnings) == (1, 1, 0, 0)
    return case


def test_messages_of_the_sample(extracted: FakeCase) -> None:
    rows = store_rows(
        extracted,
        "SELECT record_rowid, thread_id, thread_name, direction, sender, sender_name, sender_user_id, "
        "recipients, account, sent_at, sent_at_raw, body, status, source_path "
        "FROM messages WHERE app = 'Telegram' ORDER BY sent_at",
    )
    assert len(rows) == 5
    assert {r["source_path"] for r in rows} == {"/data/data/org.telegram.messenger/files/cache4.db"}
    assert [r["thread_id"] for r in rows] == [HR, HR, HR, GROUP, GROUP]
    assert [r["thread_name"] for r in rows] == ["golden dawn hr"] * 3 + ["园区通知 compound notices"] * 2
    assert [r["direction"] for r in rows] == ["incoming", "outgoing", "incoming", "incoming", "outgoing"]
    assert [r["sender_user_id"] for r in rows] == [HR, None, HR, HR, None]
    assert [r["recipients"] for r in rows] == ["[]", f'["{HR}"]', "[]", "[]", "[]"]
    assert {r["account"] for r in rows} == {OWNER}
    first = rows[0]
    assert first["sender_name"] == "golden dawn hr" and first["sent_at"] == "2025-02-25T03:00:00.000000Z"
    assert first["sent_at_raw"] == 1740452400 and first["body"].startswith("Recruitment ad approved")
    assert rows[1]["body"] == "发出去了，已经有3个人回复。" and rows[1]["status"] == "read"
    assert rows[2]["body"] == "မြန်မာစကားပြောနိုင်သူ ၂ ယောက် ထပ်လိုအပ်သည်"
    assert (
        rows[3]["body"] == "明天上午九点全体开会，手机统一上交。 ประชุมพรุ่งนี้ 9 โมง"
        and rows[4]["body"] == "收到"
    )


def test_owner_contacts_and_shared_identifiers(extracted: FakeCase) -> None:
    (account,) = store_rows(
        extracted, "SELECT app, user_id, display_name, username, record_table FROM accounts"
    )
    assert account == {
        "app": "Telegram",
        "user_id": OWNER,
        "display_name": "chen",
        "username": None,
        "record_table": "users",
    }
    contacts = store_rows(
        extracted, "SELECT name, handles, account, notes, record_table FROM contacts ORDER BY id"
    )
    assert [c["name"] for c in contacts] == ["golden dawn hr", "Golden Dawn HR"]
    hr, phone_book = contacts
    assert hr["handles"] == f'[{{"app":"Telegram","user_id":"{HR}","username":"golden_dawn_hr"}}]'
    assert hr["notes"] == "in the owner's Telegram contacts (mutual)" and hr["account"] == OWNER
    assert phone_book["record_table"] == "user_contacts_v7" and phone_book["account"] == "phone book cache"

    def where(value: str) -> set[tuple[str, str]]:
        rows = store_rows(extracted, "SELECT kind, role FROM identifiers WHERE value = ?", (value,))
        return {(r["kind"], r["role"]) for r in rows}

    assert where("golden_dawn_hr") == {("contacts", "handle")}
    assert where(HR) == {("contacts", "handle"), ("messages", "sender")}
    assert where(OWNER) == {("accounts", "account")}


def test_through_the_cli(monkeypatch: pytest.MonkeyPatch, case: FakeCase) -> None:
    """``evidence-intake extract`` then ``artefacts`` on the sample, as an examiner would run them."""
    use_case(monkeypatch, case)
    opener = types.ModuleType("evidence_intake.evidence.opener")

    def open_exhibit(_case: Any, exhibit: str, keys: Any = None) -> EvidenceTree:
        return open_evidence([ANDROID])

    opener.open_exhibit = open_exhibit  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evidence_intake.evidence.opener", opener)
    monkeypatch.setenv("COLUMNS", "250")
    out = json.loads(
        invoke("extract", "--exhibit", "EX-001", "--parser", "android.telegram", "-j", "0", "--json").stdout
    )
    (exhibit,) = out["exhibits"]
    assert exhibit["status"] == "completed" and not out["failed"]
    assert {k: v for k, v in exhibit["records"].items() if v} == {"messages": 5, "contacts": 2, "accounts": 1}
    found = json.loads(invoke("artefacts", "--kind", "messages", "--search", "ประชุมพรุ่งนี้", "--json").stdout)
    assert [(r["app"], r["thread_name"], r["record_table"]) for r in found] == [
        ("Telegram", "园区通知 compound notices", "messages_v2")
    ]
    handles = json.loads(invoke("artefacts", "--kind", "contacts", "--search", "golden", "--json").stdout)
    assert HR in {h["user_id"] for c in handles for h in c["handles"]}
