"""A small but complete case for report and exchange tests, built through the CLI like an officer would.

Two exhibits (a phone described in Thai, seized from a person with a Chinese name, photographed, and a USB
stick), an officer key so entries are signed, a hand-over with a Thai reason carrying tone marks, real
acquisitions of files made here (raw and E01), a later verification, and the ledger entries an extraction
run writes, appended with case.record as the parser engine does.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from evidence_intake.case import Case
from tests.helpers import cli, make_case

THAI_DESCRIPTION = "โทรศัพท์มือถือสีดำ ยี่ห้อ ซัมซุง"
THAI_REASON = "ส่งตรวจพิสูจน์ที่ศูนย์ฯ เพื่อทำสำเนาข้อมูล ผู้ใหญ่ น้ำ"
CHINESE_NAME = "王伟"
EXAMINER = "Pol.Lt. Somchai Jaidee"
RECEIVER = "ส.ต.อ. มาลี ศรีสุข"
IMEI = "356938035643809"


@dataclass
class BuiltCase:
    root: Path
    exhibits: list[str]
    images: dict[str, Path]


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, format="PNG")
    return out.getvalue()


def build_case(tmp_path: Path, *, with_e01: bool = True) -> BuiltCase:
    root = make_case(tmp_path / "case", examiner=EXAMINER)
    cli("custody", "keygen", "--case", root, "--examiner", EXAMINER)
    photo = tmp_path / "EX-001 front.png"
    photo.write_bytes(png_bytes())
    cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--kind",
        "phone",
        "--description",
        THAI_DESCRIPTION,
        "--make",
        "Samsung",
        "--model",
        "Galaxy A54",
        "--serial",
        "R58N12ABCDE",
        "--imei",
        IMEI,
        "--seal",
        "A-0107",
        "--seized-at",
        "14/03/2568 09:30",
        "--seized-from",
        f"{CHINESE_NAME} (suspect)",
        "--location",
        "KK Park, Myawaddy",
        "--photo",
        photo,
    )
    cli(
        "exhibit",
        "add",
        "--case",
        root,
        "--exhibit",
        "EX-002",
        "--kind",
        "storage",
        "--description",
        "SanDisk USB stick, red",
        "--serial",
        "4C530001230517",
        "--seal",
        "A-0108",
    )
    cli(
        "custody",
        "log",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--action",
        "transferred",
        "--to",
        RECEIVER,
        "--reason",
        THAI_REASON,
        "--location",
        "บก.ปอท. Bangkok",
    )
    images: dict[str, Path] = {}
    source = tmp_path / "phone.bin"
    source.write_bytes(os.urandom(300_000) + bytes(200_000))
    cli("acquire", source, "--case", root, "--exhibit", "EX-001")
    cli("verify", "--case", root, "--exhibit", "EX-001")
    usb = tmp_path / "usb.dd"
    usb.write_bytes(bytes(range(256)) * 2048)
    if with_e01:
        cli("acquire", usb, "--case", root, "--exhibit", "EX-002", "--format", "e01")
    else:
        cli("acquire", usb, "--case", root, "--exhibit", "EX-002")
    with Case.open(root) as case:
        for exhibit in ("EX-001", "EX-002"):
            images[exhibit] = case.latest_acquisition(exhibit).paths[0]
        case.record(
            "extraction_started",
            examiner=EXAMINER,
            exhibit="EX-001",
            details={
                "extraction_id": "x-1",
                "parsers": {"android.sms": "1.2.0", "line.chats": "0.9.1"},
                "jobs": 2,
            },
        )
        case.record(
            "parser_error",
            examiner=EXAMINER,
            exhibit="EX-001",
            details={
                "extraction_id": "x-1",
                "parser": "line.chats",
                "parser_version": "0.9.1",
                "source_path": "/data/data/jp.naver.line.android/databases/naver_line",
                "errors": ["database disk image is malformed"],
                "error_count": 1,
            },
        )
        case.record(
            "extraction_completed",
            examiner=EXAMINER,
            exhibit="EX-001",
            details={
                "extraction_id": "x-1",
                "status": "partial",
                "parsers": {"android.sms": "1.2.0", "line.chats": "0.9.1"},
                "counts": {
                    "android.sms": {
                        "parser": "android.sms",
                        "version": "1.2.0",
                        "files": 1,
                        "records": 9,
                        "errors": 0,
                    },
                    "line.chats": {
                        "parser": "line.chats",
                        "version": "0.9.1",
                        "files": 1,
                        "records": 0,
                        "errors": 1,
                    },
                },
                "records": {"message": 9},
                "seconds": 0.5,
            },
        )
    return BuiltCase(root=root, exhibits=["EX-001", "EX-002"], images=images)
