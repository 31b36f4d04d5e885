"""Damaged input on every iOS database parser: the engine reports it, the parsers ride it, the run goes on."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.base import Parser
from evidence_intake.parsers.ios.addressbook import IosAddressBookParser
from evidence_intake.parsers.ios.callhistory import IosCallHistoryParser
from evidence_intake.parsers.ios.line import IosLineParser
from evidence_intake.parsers.ios.sms import IosSmsParser
from evidence_intake.parsers.ios.whatsapp import (
    IosWhatsAppCallsParser,
    IosWhatsAppContactsParser,
    IosWhatsAppParser,
)
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build, mac_s, utc
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows

NOK = "66812345678@s.whatsapp.net"
GROUP = "/private/var/mobile/Containers/Shared/AppGroup/5A3C1E8B-2F4D-4B6A-9C7E-1D2F3A4B5C6D"
PATHS: list[tuple[type[Parser], str]] = [
    (IosSmsParser, "/private/var/mobile/Library/SMS/sms.db"),
    (IosAddressBookParser, "/private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"),
    (IosCallHistoryParser, "/private/var/mobile/Library/CallHistoryDB/CallHistory.storedata"),
    (IosWhatsAppParser, f"{GROUP}/ChatStorage.sqlite"),
    (IosWhatsAppContactsParser, f"{GROUP}/ContactsV2.sqlite"),
    (IosWhatsAppCallsParser, f"{GROUP}/CallHistory.sqlite"),
    (IosLineParser, f"{GROUP}/Library/Application Support/PrivateStore/P_u1/Messages/Line.sqlite"),
]


@pytest.mark.parametrize(("parser", "path"), PATHS, ids=[p.name for p, _ in PATHS])
def test_a_file_that_is_not_sqlite_is_an_error_naming_it(
    case: FakeCase, run_extract: Runner, parser: type[Parser], path: str
) -> None:
    report = run_extract(MemoryTree({path: os.urandom(16384)}), parser)
    assert report.failed
    (source,) = store_rows(case, "SELECT status, parser, source_path, detail FROM sources")
    assert (source["status"], source["parser"], source["source_path"]) == ("error", parser.name, path)
    assert "is not a SQLite database" in source["detail"] and path.lstrip("/") in source["detail"]
    assert case.actions("parser_error")[0].details["source_path"] == path


def chat_storage(root: Path, count: int, text: Any = None) -> Path:
    """ChatStorage.sqlite with ``count`` messages of about 300 bytes in one chat."""
    base = mac_s(utc(2025, 3, 1))
    build(
        root / "ev" / GROUP.lstrip("/") / "ChatStorage.sqlite",
        "ios/whatsapp_chatstorage",
        {
            "ZWACHATSESSION": [{"Z_PK": 1, "ZCONTACTJID": NOK, "ZPARTNERNAME": "นก"}],
            "ZWAMESSAGE": [
                {"Z_PK": i, "ZCHATSESSION": 1, "ZISFROMME": i % 2, "ZMESSAGETYPE": 0,
                 "ZMESSAGEDATE": base + i, "ZFROMJID": NOK, "ZTEXT": text or f"ข้อความ {i} " + "x" * 300}
                for i in range(1, count + 1)
            ],
        },
    )  # fmt: skip
    return root / "ev"


def test_pages_of_garbage_in_chatstorage_give_an_error_and_the_rows_before(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = chat_storage(tmp_path, 3000) / GROUP.lstrip("/") / "ChatStorage.sqlite"
    data = bytearray(path.read_bytes())
    page, rng = 4096, random.Random(7)
    middle = len(data) // page // 2
    for n in range(middle, middle + 4):
        data[n * page : (n + 1) * page] = rng.randbytes(page)
    report = run_extract(
        MemoryTree({"/" + path.relative_to(tmp_path / "ev").as_posix(): bytes(data)}), IosWhatsAppParser
    )
    assert report.failed
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error" and 0 < source["records"] < 3000, source


def test_invalid_utf8_and_huge_text_in_chatstorage(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    evidence = chat_storage(tmp_path, 2, text="ok")
    conn = sqlite3.connect(evidence / GROUP.lstrip("/") / "ChatStorage.sqlite")
    raw = "โอน".encode() + b"\xe0\xb8"  # cut in the middle of a Thai character
    conn.execute("UPDATE ZWAMESSAGE SET ZTEXT = CAST(? AS TEXT) WHERE Z_PK = 1", (raw,))
    conn.execute("UPDATE ZWAMESSAGE SET ZTEXT = ? WHERE Z_PK = 2", ("USDT " * 2_000_000,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(evidence), IosWhatsAppParser)
    assert not report.failed
    first, second = store_rows(case, "SELECT body, has_undecodable_text FROM messages ORDER BY record_rowid")
    assert first == {"body": "โอน\ufffd", "has_undecodable_text": 1}
    assert second["body"] == "USDT " * 2_000_000
    (kept,) = store_rows(case, "SELECT raw FROM undecodable_text")
    assert kept["raw"] == raw


def test_one_damaged_file_does_not_stop_the_others(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    evidence = chat_storage(tmp_path, 5)
    (evidence / PATHS[0][1].lstrip("/")).parent.mkdir(parents=True)
    (evidence / PATHS[0][1].lstrip("/")).write_bytes(b"\x00" * 8192)
    report = run_extract(FolderTree(evidence), IosSmsParser, IosWhatsAppParser)
    assert report.failed
    got = {r["parser"]: (r["status"], r["records"]) for r in store_rows(case, "SELECT * FROM sources")}
    assert got == {"ios.sms": ("error", 0), "ios.whatsapp": ("parsed", 5)}
