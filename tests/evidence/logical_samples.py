"""A phone-like tree (Android paths, Thai, Chinese and Burmese names, an empty folder, a symlink)
built as a folder, a tar (plain or compressed) and a zip inside the tests, with its truth."""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evidence_intake.evidence.model import Entry, EntryType


@dataclass(frozen=True)
class Item:
    path: str  # as stored in the container, '/'-separated, no leading slash
    kind: EntryType
    data: bytes = b""
    target: str = ""
    mtime: int = 1_741_944_600  # 2025-03-14T09:30:00Z; even seconds suit zip's DOS time
    mode: int = 0o644


def _msgstore() -> bytes:
    """A small WhatsApp msgstore.db with the current `message` table layout."""
    with sqlite3.connect(":memory:") as db:
        db.executescript(
            """
            CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER,
              from_me INTEGER, key_id TEXT, sender_jid_row_id INTEGER, status INTEGER,
              timestamp INTEGER, received_timestamp INTEGER, message_type INTEGER, text_data TEXT,
              starred INTEGER);
            INSERT INTO message VALUES (1, 1, 0, 'A1B2', 0, 0, 1741944600000, 1741944601000, 0,
              'โอน USDT ไปที่ TQ5... แล้ว', 0);
            """
        )
        return db.serialize()


def phone_items() -> list[Item]:
    msgstore = _msgstore()
    return [
        Item("data", EntryType.DIRECTORY, mode=0o771, mtime=1_741_944_000),
        Item("data/data", EntryType.DIRECTORY, mode=0o771, mtime=1_741_944_002),
        Item("data/data/com.whatsapp", EntryType.DIRECTORY, mode=0o751, mtime=1_741_944_004),
        Item("data/data/com.whatsapp/databases", EntryType.DIRECTORY, mode=0o771, mtime=1_741_944_006),
        Item("data/data/com.whatsapp/databases/msgstore.db", EntryType.FILE, msgstore, mode=0o660),
        Item("data/data/com.whatsapp/databases/wa.db", EntryType.FILE, b"SQLite format 3\x00" + bytes(4080)),
        Item("data/data/com.whatsapp/cache", EntryType.DIRECTORY, mode=0o771, mtime=1_741_944_008),
        Item("sdcard", EntryType.DIRECTORY, mode=0o770, mtime=1_741_944_010),
        Item("sdcard/Download", EntryType.DIRECTORY, mode=0o770, mtime=1_741_944_012),
        Item("sdcard/Download/สัญญาเงินกู้.pdf", EntryType.FILE, b"%PDF-1.4\n" + bytes(range(256)) * 8),
        Item("sdcard/微信", EntryType.DIRECTORY, mode=0o770, mtime=1_741_944_014),
        Item("sdcard/微信/聊天记录.txt", EntryType.FILE, "转账 500 USDT 到 TRON 地址".encode()),
        Item("sdcard/မြန်မာ", EntryType.DIRECTORY, mode=0o770, mtime=1_741_944_016),
        Item("sdcard/မြန်မာ/မှတ်စု.txt", EntryType.FILE, "ငွေလွှဲ".encode(), mtime=1_741_944_018),
        Item("sdcard/DCIM", EntryType.DIRECTORY, mode=0o770, mtime=1_741_944_020),
        Item("sdcard/DCIM/IMG_20250314_093000.jpg", EntryType.FILE, b"\xff\xd8\xff\xe0" + os.urandom(70_000)),
        Item("sdcard/last_photo", EntryType.LINK, target="DCIM/IMG_20250314_093000.jpg", mode=0o777),
    ]


def truth(items: list[Item]) -> list[tuple[str, EntryType, int, datetime, str | None]]:
    rows = []
    for item in items:
        size = len(item.data) if item.kind is EntryType.FILE else 0
        if item.kind is EntryType.LINK:
            size = len(item.target.encode())
        rows.append(
            (
                "/" + item.path,
                item.kind,
                size,
                datetime.fromtimestamp(item.mtime, UTC),
                item.target or None,
            )
        )
    return rows


def listing(entries: list[Entry]) -> list[tuple[str, EntryType, int, datetime | None, str | None]]:
    return [(e.path, e.type, e.size, e.mtime, e.link_target) for e in entries]


def tar_info(item: Item) -> tarfile.TarInfo:
    info = tarfile.TarInfo(item.path)
    info.mtime, info.mode, info.uid, info.gid = item.mtime, item.mode, 10_123, 10_123
    if item.kind is EntryType.DIRECTORY:
        info.type = tarfile.DIRTYPE
    elif item.kind is EntryType.LINK:
        info.type, info.linkname = tarfile.SYMTYPE, item.target
    else:
        info.size = len(item.data)
    return info


def build_tar(path: Path, items: list[Item], compression: str = "") -> Path:
    mode = {"": "w", "gzip": "w:gz", "bzip2": "w:bz2", "xz": "w:xz"}[compression]
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tar:
        for item in items:
            tar.addfile(tar_info(item), _reader(item.data) if item.kind is EntryType.FILE else None)
    return path


def _reader(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def zip_info(item: Item) -> zipfile.ZipInfo:
    name = item.path + ("/" if item.kind is EntryType.DIRECTORY else "")
    info = zipfile.ZipInfo(name, time.gmtime(item.mtime)[:6])
    info.create_system = 3
    if item.kind is EntryType.DIRECTORY:
        info.external_attr = ((0o040000 | item.mode) << 16) | 0x10
    elif item.kind is EntryType.LINK:
        info.external_attr = (0o120000 | item.mode) << 16
    else:
        info.external_attr = (0o100000 | item.mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_zip(path: Path, items: list[Item]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for item in items:
            content = item.target.encode() if item.kind is EntryType.LINK else item.data
            archive.writestr(zip_info(item), content)
    return path


def build_folder(root: Path, items: list[Item]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for item in items:
        target = root / item.path
        if item.kind is EntryType.DIRECTORY:
            target.mkdir()
        elif item.kind is EntryType.LINK:
            target.symlink_to(item.target)
        else:
            target.write_bytes(item.data)
            target.chmod(item.mode)
    for item in reversed(items):  # children first, so that setting a child's time does not move its folder's
        target = root / item.path
        if item.kind is EntryType.DIRECTORY:
            target.chmod(item.mode)
        os.utime(target, (item.mtime, item.mtime), follow_symlinks=False)
    return root


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and mtime, to prove nothing was written."""
    found: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            info = full.lstat()
            found[str(full.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found
