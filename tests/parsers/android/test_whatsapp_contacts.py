"""android.whatsapp.contacts (wa.db) and android.whatsapp.account (the app's shared preferences)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evidence_intake.parsers.android.whatsapp_contacts import WhatsAppAccountParser, WhatsAppContactsParser
from tests.parsers.android.chatdb import build, errors, rows, sources
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree

WA = "data/data/com.whatsapp/databases/wa.db"
PREFS = "/data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml"


def contact(jid: str, user: int, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"jid": jid, "is_whatsapp_user": user}
    row.update(extra)
    return row


CONTACTS = [
    contact(
        "855965550187@s.whatsapp.net",
        1,
        number="+855 96 555 0187",
        display_name="王老板 Boss Wang",
        wa_name="王老板",
        status="忙",
        phone_type=2,
    ),
    contact("66815550199@s.whatsapp.net", 0, number="081-555-0199", display_name="คุณปราณี", phone_type=1),
    contact("959425550188@s.whatsapp.net", 1, wa_name="Ko Min", phone_label="Myanmar SIM"),  # no book entry
    contact("120363025555018@g.us", 1, display_name="ทีมขาย Team A 销售组"),
    contact("8613955500178@s.whatsapp.net", 1, number="", display_name="", company="深圳人力"),
]


def test_contacts_exact_rows(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    root = tmp_path / "evidence"
    build(root / WA, "android/whatsapp_wa", {"wa_contacts": CONTACTS})
    report = run_extract(FolderTree(root), WhatsAppContactsParser)
    assert not report.failed
    got = rows(
        case, "contacts", ("record_rowid", "app", "name", "phones", "handles", "organization", "notes")
    )
    decoded = [(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5], r[6]) for r in got]

    def handle(jid: str) -> list[dict[str, Any]]:
        return [{"app": "WhatsApp", "user_id": jid, "username": None}]

    assert decoded == [
        (
            1,
            "WhatsApp",
            "王老板 Boss Wang",
            [{"number": "+855 96 555 0187", "label": "mobile", "e164": "+855965550187"}],
            handle("855965550187@s.whatsapp.net"),
            None,
            "WhatsApp name: 王老板\nAbout: 忙",
        ),
        # an address-book number without WhatsApp: a contact, but no WhatsApp handle
        (
            2,
            "WhatsApp",
            "คุณปราณี",
            [{"number": "081-555-0199", "label": "home", "e164": "+66815550199"}],
            [],
            None,
            None,
        ),
        (
            3,
            "WhatsApp",
            "Ko Min",
            [{"number": "+959425550188", "label": "Myanmar SIM", "e164": "+959425550188"}],
            handle("959425550188@s.whatsapp.net"),
            None,
            "WhatsApp name: Ko Min",
        ),
        (4, "WhatsApp", "ทีมขาย Team A 销售组", [], handle("120363025555018@g.us"), None, None),
        (
            5,
            "WhatsApp",
            None,
            [{"number": "+8613955500178", "label": None, "e164": "+8613955500178"}],
            handle("8613955500178@s.whatsapp.net"),
            "深圳人力",
            None,
        ),
    ]


def test_contacts_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    build(root / WA, "CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY, jid TEXT, display_name TEXT);", {})
    report = run_extract(FolderTree(root), WhatsAppContactsParser)
    assert not report.failed and report.exhibits[0].parsers["android.whatsapp.contacts"].unsupported == 1
    (source,) = sources(case)
    assert source["status"] == "unsupported schema"
    assert "wa_contacts.is_whatsapp_user" in str(source["detail"]) and "wa_contacts.number" in str(
        source["detail"]
    )


def test_contacts_not_sqlite_is_an_error(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({"/" + WA: os.urandom(4096)}), WhatsAppContactsParser)
    assert report.failed and "is not a SQLite database" in errors(case)[0]


def prefs(*entries: str) -> bytes:
    body = "\n".join(f"    {e}" for e in entries)
    return f"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n{body}\n</map>\n".encode()


ACCOUNT_COLUMNS = ("app", "user_id", "phone", "phone_e164", "display_name", "record_offset")


def test_account_from_the_registered_jid(case: FakeCase, run_extract: Runner) -> None:
    data = prefs(
        '<boolean name="db_migrated" value="true" />',
        '<string name="registration_jid">66925550143</string>',
        '<string name="push_name">陈志强 (Chen)</string>',
        '<long name="last_login" value="1741900000000" />',
    )
    report = run_extract(MemoryTree({PREFS: data}), WhatsAppAccountParser)
    assert not report.failed
    offset = data.index(b'<string name="registration_jid"')
    assert rows(case, "accounts", ACCOUNT_COLUMNS) == [
        ("WhatsApp", "66925550143@s.whatsapp.net", "+66925550143", "+66925550143", "陈志强 (Chen)", offset)
    ]


def test_account_from_country_code_and_number(case: FakeCase, run_extract: Runner) -> None:
    data = prefs('<string name="cc">95</string>', '<string name="ph">9765550123</string>')
    run_extract(MemoryTree({PREFS.replace("_light", ""): data}), WhatsAppAccountParser)
    offset = data.index(b'<string name="ph"')
    assert rows(case, "accounts", ACCOUNT_COLUMNS) == [
        ("WhatsApp", "959765550123@s.whatsapp.net", "+959765550123", "+959765550123", None, offset)
    ]


def test_preferences_without_the_keys_are_not_applicable(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({PREFS: prefs('<int name="theme" value="2" />')}), WhatsAppAccountParser)
    assert not report.failed
    (source,) = sources(case)
    assert source["status"] == "not applicable" and "no registered number" in str(source["detail"])


def test_broken_xml_is_an_error_naming_the_file(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({PREFS: b"<map><string name='ph'>123"}), WhatsAppAccountParser)
    assert report.failed
    (message,) = errors(case)
    assert PREFS in message and "not a readable preferences XML file" in message


def test_a_document_type_declaration_is_refused(case: FakeCase, run_extract: Runner) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE map [<!ENTITY a "aaaaaaaaaa">]>'
        b'<map><string name="push_name">&a;</string></map>'
    )
    report = run_extract(MemoryTree({PREFS: bomb}), WhatsAppAccountParser)
    assert report.failed
    (message,) = errors(case)
    assert "declares a document type" in message and rows(case, "accounts", ("id",)) == []
