"""The chat-app parsers on the committed Android sample, end to end through the real command line.

A case is made, EX-001 is registered and acquired from samples/android-EX-001.tar.gz, ``extract``
runs every built-in parser, and ``artefacts`` reads the results back: the WhatsApp, LINE, Viber and
Messenger contents and the shared identifiers that samples/README.md promises must all be there.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add_exhibit, cli, cli_json, make_case

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "android-EX-001.tar.gz"
CHAT_PARSERS = {
    # parser: records (messages + calls + contacts + accounts)
    "android.whatsapp": 10 + 2,
    "android.whatsapp.contacts": 4,
    "android.whatsapp.account": 1,
    "android.line": 5 + 1 + 2,
    "android.viber": 3 + 1 + 1,
    "android.messenger": 4 + 1 + 1,
}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not SAMPLE.is_file():
        pytest.fail(f"{SAMPLE} is missing: the samples are part of the project")
    root = make_case(tmp_path_factory.mktemp("sample") / "case")
    add_exhibit(root, "EX-001", "phone")
    cli_json("acquire", SAMPLE, "--exhibit", "EX-001", "--case", root)
    result = cli_json("extract", "--exhibit", "EX-001", "--jobs", "0", "--case", root)
    return {"root": root, "result": result}


def artefacts(extracted: dict[str, Any], kind: str, *args: str) -> list[dict[str, Any]]:
    out = cli("artefacts", "--kind", kind, "--format", "json", "--case", extracted["root"], *args).stdout
    return list(json.loads(out))


def identifiers(extracted: dict[str, Any], value: str) -> set[tuple[str, str, str]]:
    conn = sqlite3.connect(Path(extracted["root"]) / "artefacts.sqlite")
    try:
        found = conn.execute("SELECT kind, role, app FROM identifiers WHERE value = ?", (value,)).fetchall()
    finally:
        conn.close()
    return {(k, r, a) for k, r, a in found}


def test_every_chat_parser_read_its_files(extracted: dict[str, Any]) -> None:
    (exhibit,) = extracted["result"]["exhibits"]
    assert exhibit["status"] == "completed"
    by_parser = {p["parser"]: p for p in exhibit["parsers"]}
    for name, records in CHAT_PARSERS.items():
        summary = by_parser[name]
        assert (summary["parsed"], summary["records"], summary["errors"], summary["warnings"]) == (
            summary["files"],
            records,
            0,
            0,
        ), summary
    assert by_parser["android.viber"]["files"] == 2  # viber_messages and viber_data


def test_whatsapp_contents(extracted: dict[str, Any]) -> None:
    messages = [m for m in artefacts(extracted, "messages") if m["app"] == "WhatsApp"]
    assert len(messages) == 10
    boss = [m for m in messages if m["thread_id"] == "203944150871257@lid"]
    assert {m["sender_phone"] for m in boss if m["direction"] == "incoming"} == {"+855965550187"}
    picture = next(m for m in boss if m["attachments"])
    assert picture["body"] is None and picture["attachments"][0]["mime_type"] == "image/jpeg"
    (revoked,) = [m for m in messages if m["is_deleted"]]
    assert revoked["status"] == "deleted for everyone" and revoked["body"] is None
    group = [m for m in messages if m["thread_name"] == "ทีมขาย Team A 销售组"]
    assert len(group) == 4 and any(a["name"] == "script_v3.pdf" for m in group for a in m["attachments"])
    calls = sorted(
        (c["call_type"], c["status"]) for c in artefacts(extracted, "calls") if c["app"] == "WhatsApp"
    )
    assert calls == [("video", "missed"), ("voice", "answered")]
    contacts = [c for c in artefacts(extracted, "contacts") if c["parser"] == "android.whatsapp.contacts"]
    assert sorted(c["name"] for c in contacts) == sorted(
        ["王老板 Boss Wang", "刘洋 (HR Shenzhen)", "Ko Min (အလုပ်သမား)", "ทีมขาย Team A 销售组"]
    )
    owner = [a for a in artefacts(extracted, "accounts") if a["parser"] == "android.whatsapp.account"]
    assert [(a["phone_e164"], a["user_id"]) for a in owner] == [
        ("+66925550143", "66925550143@s.whatsapp.net")
    ]


def test_line_viber_and_messenger_contents(extracted: dict[str, Any]) -> None:
    messages = artefacts(extracted, "messages")
    line = [m for m in messages if m["app"] == "LINE"]
    assert {m["thread_name"] for m in line} == {"การเงิน 财务", None}
    assert any(m["body"] is None and m["attachments"] for m in line)  # the picture-only message
    (call,) = [c for c in artefacts(extracted, "calls") if c["app"] == "LINE"]
    assert call["direction"] == "incoming" and call["name"] == "ปราณี"
    viber = [m for m in messages if m["app"] == "Viber"]
    assert [m["direction"] for m in viber] == ["incoming", "outgoing", "incoming"]
    assert {m["sender_phone"] for m in viber} == {"+85592555014", None}
    messenger = [m for m in messages if m["app"] == "Messenger"]
    assert len(messenger) == 4 and sum(bool(m["attachments"]) for m in messenger) == 1
    assert {m["direction"] for m in messenger} == {"incoming", "outgoing"}


def test_shared_identifiers_of_the_readme(extracted: dict[str, Any]) -> None:
    # WhatsApp privacy id 203944150871257@lid: the chat with Boss Wang, mapped by jid_map to his number
    assert ("messages", "sender", "WhatsApp") in identifiers(extracted, "203944150871257@lid")
    boss = identifiers(extracted, "+855965550187")
    assert {("messages", "sender", "WhatsApp"), ("calls", "number", "WhatsApp")} <= boss
    assert ("contacts", "phone", "WhatsApp") in boss
    # Ko Min writes in the WhatsApp group
    assert ("messages", "sender", "WhatsApp") in identifiers(extracted, "+959425550188")
    # the TRON address and the mule account in the LINE group "การเงิน 财务"
    for text in ("TL1T4ekNMJUDkVLu2xQYTEGTcBhCf3C8PH", "KBank 123-4-55501-2"):
        (found,) = artefacts(extracted, "messages", "--search", text)
        assert (found["app"], found["thread_name"]) == ("LINE", "การเงิน 财务")
    # the victim is approached on LINE and on Messenger, in Thai
    assert ("messages", "sender", "LINE") in identifiers(extracted, "u3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f")
    assert ("contacts", "handle", "Messenger") in identifiers(extracted, "100077555019902")
