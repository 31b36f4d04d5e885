"""vcard: 2.1 quoted-printable, 3.0, 4.0, several cards per file with their byte offsets, damage."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from evidence_intake.parsers.vcard import VCardParser, cards, join_soft_breaks
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import MemoryTree
from tests.parsers.util import store_rows

PATH = "/sdcard/Download/contacts_2025-03.vcf"


def qp(text: str, charset: str = "utf-8") -> str:
    return "".join(f"={b:02X}" for b in text.encode(charset))


THAI_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp('ใจดี')};{qp('สมชาย')};;;\r\n"
    # a soft line break in the middle of the quoted-printable value, as Android exports long names
    f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp('สมชาย ใจ')}=\r\n{qp('ดี')}\r\n"
    "TEL;CELL;PREF:081-234-5678\r\nTEL;WORK;FAX:02 123 4567\r\n"
    f"NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:{qp('บัญชีม้า')}=0D=0A{qp('KBank 123-4-55501-2')}\r\n"
    "END:VCARD\r\n"
)
IOS_30 = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:HR;Golden Dawn;;;\r\nFN:Golden Dawn HR\r\n"
    "ORG:Golden Dawn;Recruitment\r\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:golden.dawn.hr@example.com\r\n"
    "X-SOCIALPROFILE;type=telegram;x-user=golden_dawn_hr:https://t.me/golden_dawn_hr\r\n"
    "item1.IMPP;X-SERVICE-TYPE=WeChat:x-apple:chen_zq\r\nX-LINE:u1f0c5e5a9b3c4d7e8f901a2b3c4d5e6f\r\n"
    "END:VCARD\r\n"
)
CHINESE_40 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nN:王;老板;;;\r\nTEL;TYPE=cell;VALUE=uri:tel:+855-96-555-0187\r\n"
    "IMPP;PREF=1:xmpp:boss.wang@example.com\r\nEND:VCARD\r\n"
)
GB_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    f"FN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:{qp('刘洋', 'gb2312')}\r\nTEL;HOME:+86 139 5550 0178\r\n"
    "END:VCARD\r\n"
)


def run(run_extract: Runner, data: bytes, path: str = PATH) -> Any:
    return run_extract(MemoryTree({path: data}), VCardParser)


def contacts(case: FakeCase) -> list[dict[str, Any]]:
    rows = store_rows(
        case,
        "SELECT record_offset, app, name, phones, emails, handles, organization, notes, has_undecodable_text "
        "FROM contacts ORDER BY record_offset",
    )
    for row in rows:
        for key in ("phones", "emails", "handles"):
            row[key] = json.loads(row[key])
    return rows


def test_four_cards_of_three_versions_with_their_offsets(case: FakeCase, run_extract: Runner) -> None:
    data = (THAI_21 + IOS_30 + CHINESE_40 + GB_21).encode()
    report = run(run_extract, data)
    assert not report.failed
    offsets = [
        0,
        len(THAI_21.encode()),
        len((THAI_21 + IOS_30).encode()),
        len((THAI_21 + IOS_30 + CHINESE_40).encode()),
    ]
    got = contacts(case)
    assert [g["record_offset"] for g in got] == offsets
    assert all(data[o:].startswith(b"BEGIN:VCARD") for o in offsets)
    thai, ios, chinese, gb = got
    assert thai == {
        "record_offset": 0, "app": "vCard", "name": "สมชาย ใจดี",
        "phones": [{"number": "081-234-5678", "label": "mobile", "e164": "+66812345678"},
                   {"number": "02 123 4567", "label": "work fax", "e164": "+6621234567"}],
        "emails": [], "handles": [], "organization": None, "notes": "บัญชีม้า\r\nKBank 123-4-55501-2",
        "has_undecodable_text": 0,
    }  # fmt: skip
    assert ios["name"] == "Golden Dawn HR" and ios["organization"] == "Golden Dawn, Recruitment"
    assert ios["emails"] == ["golden.dawn.hr@example.com"]
    assert ios["handles"] == [
        {"app": "Telegram", "user_id": None, "username": "golden_dawn_hr"},
        {"app": "WeChat", "user_id": None, "username": "chen_zq"},
        {"app": "LINE", "user_id": None, "username": "u1f0c5e5a9b3c4d7e8f901a2b3c4d5e6f"},
    ]
    assert chinese["name"] == "王老板"
    assert chinese["phones"] == [{"number": "+855-96-555-0187", "label": "mobile", "e164": "+855965550187"}]
    assert chinese["handles"] == [{"app": "XMPP", "user_id": None, "username": "boss.wang@example.com"}]
    assert gb["name"] == "刘洋" and gb["phones"][0]["e164"] == "+8613955500178"
    ids = {(r["value"], r["type"]) for r in store_rows(case, "SELECT value, type FROM identifiers")}
    assert {("golden_dawn_hr", "username"), ("+855965550187", "phone"), ("+66812345678", "phone")} <= ids


def test_utf16_with_a_byte_order_mark(case: FakeCase, run_extract: Runner) -> None:
    data = codecs.BOM_UTF16_LE + (IOS_30 + CHINESE_40).encode("utf-16-le")
    assert not run(run_extract, data).failed
    got = contacts(case)
    assert [g["record_offset"] for g in got] == [2, 2 + len(IOS_30.encode("utf-16-le"))]
    assert [g["name"] for g in got] == ["Golden Dawn HR", "王老板"]


def test_a_broken_card_is_reported_and_the_others_kept(case: FakeCase, run_extract: Runner) -> None:
    broken = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=X-NO-SUCH;ENCODING=QUOTED-PRINTABLE:=E0=B8\r\nEND:VCARD\r\n"
    )
    data = (IOS_30 + broken + CHINESE_40).encode()
    report = run(run_extract, data)
    assert report.failed
    assert [g["name"] for g in contacts(case)] == ["Golden Dawn HR", "王老板"]
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error" and source["records"] == 2
    assert f"the card at byte {len(IOS_30)} could not be read" in source["detail"]
    assert "X-NO-SUCH" in source["detail"] and "the other cards are kept" in source["detail"]


def test_every_broken_card_is_named_by_its_offset(case: FakeCase, run_extract: Runner) -> None:
    broken = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=X-NO-SUCH;ENCODING=QUOTED-PRINTABLE:=E0=B8\r\nEND:VCARD\r\n"
    )
    data = (broken + IOS_30 + broken + broken).encode()
    second = len(broken) + len(IOS_30)
    assert run(run_extract, data).failed
    assert [g["name"] for g in contacts(case)] == ["Golden Dawn HR"]
    (source,) = store_rows(case, "SELECT detail FROM sources")
    assert "the card at byte 0 could not be read" in source["detail"]
    assert f"nor could the cards at bytes {second}, {second + len(broken)}" in source["detail"]


def test_a_file_cut_short_keeps_the_last_card_and_says_so(case: FakeCase, run_extract: Runner) -> None:
    data = (IOS_30 + CHINESE_40[: CHINESE_40.index("IMPP")]).encode()
    report = run(run_extract, data)
    assert not report.failed and report.exhibits[0].parsers["vcard"].warnings == 1
    assert [g["name"] for g in contacts(case)] == ["Golden Dawn HR", "王老板"]
    (warning,) = store_rows(case, "SELECT severity, error FROM extraction_errors")
    assert warning["severity"] == "warning"
    assert f"the card at byte {len(IOS_30)} has no END:VCARD" in warning["error"]


def test_undeclared_legacy_bytes_are_replaced_and_flagged(case: FakeCase, run_extract: Runner) -> None:
    raw = "สมชาย".encode("tis-620")  # 8-bit Thai, no CHARSET, not quoted-printable
    data = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:" + raw + b"\r\nTEL:0812345678\r\nEND:VCARD\r\n"
    report = run(run_extract, data)
    assert not report.failed
    (got,) = contacts(case)
    assert got["name"] == "\ufffd" * len(raw) and got["has_undecodable_text"] == 1
    (kept,) = store_rows(case, "SELECT column_name, raw FROM undecodable_text")
    assert kept == {"column_name": "name", "raw": raw}


def test_a_vcf_that_is_not_a_vcard_is_not_applicable(case: FakeCase, run_extract: Runner) -> None:
    report = run(run_extract, b"name,phone\nSomchai,0812345678\n")
    assert not report.failed and report.exhibits[0].parsers["vcard"].not_applicable == 1
    (source,) = store_rows(case, "SELECT status, detail FROM sources")
    assert source["status"] == "not applicable" and "no BEGIN:VCARD" in source["detail"]


def test_many_cards(case: FakeCase, run_extract: Runner, tmp_path: Path) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:ลูกค้า {n}\r\nTEL:08{n:08d}\r\nEND:VCARD\r\n"
    data = "".join(card.format(n=n) for n in range(3000)).encode()
    assert not run(run_extract, data).failed
    got = contacts(case)
    assert len(got) == 3000 and got[-1]["name"] == "ลูกค้า 2999"


def test_soft_breaks_are_joined_only_in_quoted_printable_lines() -> None:
    text = "NOTE;ENCODING=QUOTED-PRINTABLE:ab=\r\ncd\r\nURL:http://x/?a=\r\nEND:VCARD\r\n"
    assert (
        join_soft_breaks(text) == "NOTE;ENCODING=QUOTED-PRINTABLE:abcd\r\nURL:http://x/?a=\r\nEND:VCARD\r\n"
    )


def test_nested_agent_card_stays_in_its_parent() -> None:
    data = (
        b"BEGIN:VCARD\nFN:a\nAGENT:\nBEGIN:VCARD\nFN:b\nEND:VCARD\nEND:VCARD\nBEGIN:VCARD\nFN:c\nEND:VCARD\n"
    )
    found = list(cards(data))
    assert [c.offset for c in found] == [0, data.index(b"BEGIN:VCARD\nFN:c")]
    assert all(c.complete for c in found)


BAD = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
BAD_SHOWN = "ส\ufffdA"


def card(*lines: bytes, version: bytes = b"3.0") -> bytes:
    return (
        b"BEGIN:VCARD\r\nVERSION:"
        + version
        + b"\r\n"
        + b"".join(x + b"\r\n" for x in lines)
        + b"END:VCARD\r\n"
    )


def kept(case: FakeCase) -> list[tuple[str, bytes]]:
    got = store_rows(case, "SELECT column_name, raw FROM undecodable_text ORDER BY id")
    return [(str(k["column_name"]), bytes(k["raw"])) for k in got]


def test_invalid_utf8_in_name_parts_stays_flagged_in_the_composed_name(
    case: FakeCase, run_extract: Runner
) -> None:
    report = run(run_extract, card(b"N:" + BAD + b";Somchai;;;", b"TEL:0812345678"))
    assert not report.failed
    (got,) = contacts(case)
    assert (got["name"], got["has_undecodable_text"]) == (f"Somchai {BAD_SHOWN}", 1)
    assert kept(case) == [("name", b"Somchai " + BAD)]


def test_invalid_utf8_in_cjk_name_parts_stays_flagged(case: FakeCase, run_extract: Runner) -> None:
    report = run(run_extract, card("N:王;".encode() + b"\xe8\x80\x81\xff;;;", b"TEL:0812345678"))
    assert not report.failed
    (got,) = contacts(case)
    assert (got["name"], got["has_undecodable_text"]) == ("王老\ufffd", 1)
    assert kept(case) == [("name", "王".encode() + b"\xe8\x80\x81\xff")]


def test_invalid_utf8_in_an_organization_list_and_notes_stays_flagged(
    case: FakeCase, run_extract: Runner
) -> None:
    report = run(run_extract, card(b"FN:Gold", b"ORG:Gold;" + BAD, b"NOTE:first", b"NOTE:" + BAD))
    assert not report.failed
    (got,) = contacts(case)
    assert (got["organization"], got["notes"], got["has_undecodable_text"]) == (
        f"Gold, {BAD_SHOWN}",
        f"first\n{BAD_SHOWN}",
        1,
    )
    assert kept(case) == [("organization", b"Gold, " + BAD), ("notes", b"first\n" + BAD)]


def test_invalid_utf8_in_a_tel_uri_and_a_label_stays_flagged(case: FakeCase, run_extract: Runner) -> None:
    bad_label = b"\xe0\xb8\xaa\xff"
    report = run(
        run_extract,
        card(
            b"FN:x", b"TEL;TYPE=" + bad_label + b":0812345678", b"TEL;VALUE=uri:tel:081" + BAD, version=b"4.0"
        ),
    )
    assert not report.failed
    (got,) = contacts(case)
    assert got["phones"] == [
        {"number": "0812345678", "label": "ส\ufffd", "e164": "+66812345678"},
        {"number": f"081{BAD_SHOWN}", "label": None, "e164": None},
    ]
    assert got["has_undecodable_text"] == 1
    assert kept(case) == [("phones", bad_label), ("phones", b"081" + BAD)]


def test_invalid_utf8_in_handles_stays_flagged(case: FakeCase, run_extract: Runner) -> None:
    report = run(
        run_extract,
        card(b"FN:x", b"X-SOCIALPROFILE;type=telegram:https://t.me/" + BAD, b"IMPP:xmpp:" + BAD),
    )
    assert not report.failed
    (got,) = contacts(case)
    assert got["handles"] == [
        {"app": "Telegram", "user_id": None, "username": BAD_SHOWN},
        {"app": "XMPP", "user_id": None, "username": BAD_SHOWN},
    ]
    assert got["has_undecodable_text"] == 1
    assert kept(case) == [("handles", BAD), ("handles", BAD)]
