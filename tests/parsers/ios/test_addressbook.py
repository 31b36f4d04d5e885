"""ios.addressbook on AddressBook.sqlitedb from the real schema: names, labels, IM and social accounts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from evidence_intake.parsers.ios.addressbook import IosAddressBookParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

DB = "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"
LABELS = ["_$!<Mobile>!$_", "_$!<Work>!$_", "_$!<HomeFAX>!$_", "สายบอส Boss line", "_$!<Custom>!$_"]
KEYS = ["service", "username", "identifier", "url"]


def person(rowid: int, **fields: Any) -> dict[str, Any]:
    return {"ROWID": rowid, "Kind": 0, "StoreID": 1, "CreationDate": 700000000 + rowid, **fields}


PEOPLE = [
    person(1, First="สมชาย", Last="ใจดี", Note="ลูกค้า VIP"),
    person(2, First="志强", Last="陈", Organization="金龙公司"),
    person(3, First="Ko Min", Last="Thu"),
    person(4, Organization="KBank", Kind=1),
    person(5, First="Golden Dawn", Last="HR"),
    person(6),
    person(7, Prefix="Pol.Lt.", First="Somchai", Middle="K.", Last="Jaidee", Suffix="Jr."),
    person(8, DisplayName="ร้านทอง"),
]
# (UID, person, property, label rowid, value)
VALUES = [
    (1, 1, 3, 1, "081-234-5678"),
    (2, 1, 3, 2, "02 123 4567"),
    (3, 1, 4, 2, "Somchai@Example.com"),
    (4, 2, 3, 4, "+86 139 5550 0178"),
    (5, 2, 13, 1, None),
    (6, 3, 3, 1, "09 42555 0188"),
    (7, 4, 3, 3, "02-888-8888"),
    (8, 5, 4, 2, "golden.dawn.hr@example.com"),
    (9, 5, 13, 2, None),
    (10, 5, 46, None, "https://facebook.com/gd.hr"),
    (11, 6, 3, 5, "0899990000"),
    (12, 6, 3, 1, None),  # an empty phone field: not a number
]
ENTRIES = [
    (5, 1, "WeChat"),
    (5, 2, "chen_zq"),
    (9, 1, "Telegram"),
    (9, 2, "golden_dawn_hr"),
    (10, 1, "Facebook"),
    (10, 2, "gd.hr"),
    (10, 3, "100001234"),
    (10, 4, "https://facebook.com/gd.hr"),
]


def addressbook(root: Path, *, entries: bool = True) -> Path:
    rows: dict[str, list[dict[str, Any]]] = {
        "ABStore": [{"ROWID": 1, "Name": "Local", "Type": 0, "Enabled": 1}],
        "ABMultiValueLabel": [{"value": v} for v in LABELS],
        "ABMultiValueEntryKey": [{"value": v} for v in KEYS],
        "ABPerson": PEOPLE,
        "ABMultiValue": [
            {"UID": u, "record_id": r, "property": p, "identifier": 0, "label": label, "value": v}
            for u, r, p, label, v in VALUES
        ],
        "ABMultiValueEntry": [{"parent_id": p, "key": k, "value": v} for p, k, v in ENTRIES],
    }
    path = build(root / "ev" / DB, "ios/addressbook", rows)
    if not entries:
        conn = sqlite3.connect(path)
        conn.executescript("DROP TABLE ABMultiValueEntry; DROP TABLE ABMultiValueEntryKey;")
        conn.close()
    return root / "ev"


def phone(number: str, label: str | None, e164: str | None) -> dict[str, Any]:
    return {"number": number, "label": label, "e164": e164}


def handle(app: str, user_id: str | None, username: str | None) -> dict[str, Any]:
    return {"app": app, "user_id": user_id, "username": username}


EXPECTED: list[dict[str, Any]] = [
    {"record_rowid": 1, "name": "สมชาย ใจดี", "organization": None, "notes": "ลูกค้า VIP",
     "phones": [phone("081-234-5678", "mobile", "+66812345678"), phone("02 123 4567", "work", "+6621234567")],
     "emails": ["Somchai@Example.com"], "handles": []},
    {"record_rowid": 2, "name": "陈志强", "organization": "金龙公司", "notes": None,
     "phones": [phone("+86 139 5550 0178", "สายบอส Boss line", "+8613955500178")], "emails": [],
     "handles": [handle("WeChat", None, "chen_zq")]},
    {"record_rowid": 3, "name": "Ko Min Thu", "organization": None, "notes": None,
     "phones": [phone("09 42555 0188", "mobile", None)], "emails": [], "handles": []},
    {"record_rowid": 4, "name": "KBank", "organization": "KBank", "notes": None,
     "phones": [phone("02-888-8888", "home fax", "+6628888888")], "emails": [], "handles": []},
    {"record_rowid": 5, "name": "Golden Dawn HR", "organization": None, "notes": None, "phones": [],
     "emails": ["golden.dawn.hr@example.com"],
     "handles": [handle("Telegram", None, "golden_dawn_hr"), handle("Facebook", "100001234", "gd.hr")]},
    {"record_rowid": 6, "name": None, "organization": None, "notes": None,
     "phones": [phone("0899990000", "custom", "+66899990000")], "emails": [], "handles": []},
    {"record_rowid": 7, "name": "Pol.Lt. Somchai K. Jaidee Jr.", "organization": None, "notes": None,
     "phones": [], "emails": [], "handles": []},
    {"record_rowid": 8, "name": "ร้านทอง", "organization": None, "notes": None,
     "phones": [], "emails": [], "handles": []},
]  # fmt: skip


def contacts(case: FakeCase) -> list[dict[str, Any]]:
    rows = store_rows(
        case,
        "SELECT record_rowid, app, name, phones, emails, handles, organization, notes, is_deleted "
        "FROM contacts ORDER BY record_rowid",
    )
    for row in rows:
        assert row.pop("app") == "Contacts" and row.pop("is_deleted") == 0
        for key in ("phones", "emails", "handles"):
            row[key] = json.loads(row[key])
    return rows


def test_every_contact_exactly(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(addressbook(tmp_path)), IosAddressBookParser)
    assert not report.failed
    for expected, actual in zip(EXPECTED, contacts(case), strict=True):
        assert actual == expected
    (source,) = store_rows(case, "SELECT schema, records FROM sources")
    assert source == {"schema": "entries", "records": 8}
    ids = {(r["value"], r["type"]) for r in store_rows(case, "SELECT value, type FROM identifiers")}
    assert {("golden_dawn_hr", "username"), ("100001234", "user_id"), ("+66812345678", "phone")} <= ids
    assert ("somchai@example.com", "email") in ids  # e-mails are compared lower-cased


def test_without_entry_tables_the_handles_are_not_read(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(addressbook(tmp_path, entries=False)), IosAddressBookParser)
    (source,) = store_rows(case, "SELECT schema FROM sources")
    assert source["schema"] == "basic"
    got = contacts(case)
    assert [c["handles"] for c in got] == [[]] * 8
    assert [c["phones"] for c in got] == [c["phones"] for c in EXPECTED]


def test_a_region_given_for_the_exhibit_reads_local_numbers(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(addressbook(tmp_path)), IosAddressBookParser, exhibits=("EX-002",))  # region US
    third = contacts(case)[2]
    assert third["phones"] == [phone("09 42555 0188", "mobile", None)]  # not a US number either


def test_without_multivalues_it_is_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / DB
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT)")
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosAddressBookParser)
    assert report.exhibits[0].parsers["ios.addressbook"].unsupported == 1
    (source,) = store_rows(case, "SELECT status, detail FROM sources")
    assert source["status"] == "unsupported schema" and "tables seen: ABPerson" in source["detail"]
    assert "lacks ABMultiValue" in source["detail"]
