"""Filtering a streamed listing: globs, deleted entries, content types."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.errors import UsageError
from evidence_intake.evidence.listing import compile_glob, entry_record, list_files
from evidence_intake.evidence.model import Entry, EntryType
from tests.evidence.fakes import fake_case
from tests.evidence.imaging import make_fat

Tools = Callable[..., dict[str, str]]


def entry(path: str, volume: str = "") -> Entry:
    return Entry(path=path, name=path.rsplit("/", 1)[-1], type=EntryType.FILE, size=0, volume=volume)


@pytest.mark.parametrize(
    ("pattern", "path", "volume", "expected"),
    [
        ("*.db", "/data/data/com.whatsapp/databases/msgstore.db", "", True),
        ("*.db", "/data/msgstore.db-wal", "", False),
        ("/data/*/msgstore.db", "/data/x/msgstore.db", "", True),
        ("/data/*/msgstore.db", "/data/x/y/msgstore.db", "", False),
        ("/data/**/msgstore.db", "/data/x/y/msgstore.db", "", True),
        ("**/msgstore.db", "/msgstore.db", "", True),
        ("data/**", "/data/a/b", "", True),
        ("p2:/Users/**", "/Users/a/wallet.dat", "p2", True),
        ("p2:/Users/**", "/Users/a/wallet.dat", "p1", False),
        ("p2:", "/anything", "p2", True),
        ("IMG_????.jpg", "/DCIM/IMG_0001.jpg", "", True),
        ("[!.]*", "/.hidden", "", False),
        ("บันทึก*", "/ไทย/บันทึก.txt", "", True),
    ],
)
def test_globs(pattern: str, path: str, volume: str, expected: bool) -> None:
    assert compile_glob(pattern)(entry(path, volume)) is expected


def test_empty_glob_is_refused() -> None:
    with pytest.raises(UsageError):
        compile_glob("  ")


def test_record_is_flat_and_utc() -> None:
    record = entry_record(entry("/a.txt"), None)
    assert record["location"] == "/a.txt" and record["mtime"] is None and record["type"] == "file"
    assert list(entry_record(None, None)) == list(record)


@pytest.fixture
def phone_card(tools: Tools, tmp_path: Path) -> Path:
    db = tmp_path / "db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel")
    return make_fat(
        t,
        tmp_path / "card.img",
        folders=["DCIM", "Android"],
        files={
            "DCIM/holiday.jpg": db.read_bytes(),  # a database disguised as a photo
            "DCIM/real_photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200),
            "Android/notes.txt": b"plain notes\n",
            "Android/old_wallet_export.txt": b"gone",
        },
        deleted=["Android/old_wallet_export.txt"],
    )


def test_list_files_filters(phone_card: Path) -> None:
    case = fake_case(phone_card)
    with list_files(case, "EX-001", mime="application/vnd.sqlite3") as listing:
        found = [(item.entry.path, item.mime) for item in listing.entries()]
        assert found == [("/DCIM/holiday.jpg", "application/vnd.sqlite3")]
        assert listing.acquisition.id == "acq-0001" and listing.volumes[0].filesystem.startswith("fat")
    with list_files(case, "EX-001", deleted_only=True) as listing:
        assert [i.entry.path for i in listing.entries()] == ["/Android/old_wallet_export.txt"]
    with list_files(case, "EX-001", path_glob="*.jpg", mime="image/*") as listing:
        assert [i.entry.path for i in listing.entries()] == ["/DCIM/real_photo.jpg"]


def test_bad_glob_refused_before_opening(tmp_path: Path) -> None:
    case = fake_case(tmp_path / "does-not-exist.img")
    with pytest.raises(UsageError):
        list_files(case, "EX-001", path_glob="")
