"""export-file: the copy's hash is the content's, it never overwrites and never leaves --out."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from evidence_intake.errors import ConflictError, EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.export import copy_entry, destination_for, export_file, safe_part
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Volume
from tests.evidence.fakes import fake_case
from tests.evidence.imaging import make_fat

Tools = Callable[..., dict[str, str]]
PAYLOAD = os.urandom(300_000)


@pytest.fixture
def card(tools: Tools, tmp_path: Path) -> Path:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel")
    return make_fat(
        t,
        tmp_path / "card.img",
        size_kib=8192,
        folders=["WhatsApp", "WhatsApp/Databases"],
        files={"WhatsApp/Databases/msgstore.db.crypt14": PAYLOAD, "readme.txt": b"r"},
    )


def test_export_copies_hashes_and_records(card: Path, tmp_path: Path) -> None:
    case = fake_case(card)
    out = tmp_path / "out"
    result = export_file(case, "EX-001", "/WhatsApp/Databases/msgstore.db.crypt14", out, examiner="Lt. B")
    assert result.destination == out / "WhatsApp" / "Databases" / "msgstore.db.crypt14"
    assert result.destination.read_bytes() == PAYLOAD
    assert result.sha256 == hashlib.sha256(PAYLOAD).hexdigest() and result.size == len(PAYLOAD)
    assert not result.destination.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert [p.name for p in result.destination.parent.iterdir()] == ["msgstore.db.crypt14"]  # no partial left
    (entry,) = case.recorded
    assert entry["action"] == "exported" and entry["exhibit"] == "EX-001" and entry["examiner"] == "Lt. B"
    details = entry["details"]
    assert (
        details["acquisition"] == "acq-0001"
        and details["location"] == "/WhatsApp/Databases/msgstore.db.crypt14"
    )
    assert details["sha256"] == result.sha256 and details["size"] == len(PAYLOAD)
    assert details["destination"] == str(result.destination)


def test_export_refuses_to_overwrite(card: Path, tmp_path: Path) -> None:
    case = fake_case(card)
    out = tmp_path / "out"
    export_file(case, "EX-001", "/readme.txt", out, examiner="x")
    with pytest.raises(ConflictError, match="never overwrites"):
        export_file(case, "EX-001", "/readme.txt", out, examiner="x")
    assert len(case.recorded) == 1


def test_export_never_writes_into_the_cases_evidence_folder(card: Path, tmp_path: Path) -> None:
    case = fake_case(card)
    case.root = tmp_path / "case"
    for out in (case.root / "evidence", case.root / "evidence" / "EX-001" / "extra"):
        with pytest.raises(UsageError, match="inside the case's evidence folder"):
            export_file(case, "EX-001", "/readme.txt", out, examiner="x")
        assert not out.exists()
    assert case.recorded == []


def test_export_dotdot_in_the_location_stays_inside(card: Path, tmp_path: Path) -> None:
    case = fake_case(card)
    out = tmp_path / "deep" / "out"
    result = export_file(case, "EX-001", "/../../../readme.txt", out, examiner="x")
    assert result.destination == out / "readme.txt"
    assert not (tmp_path / "readme.txt").exists()


def test_export_of_missing_entry_or_folder(card: Path, tmp_path: Path) -> None:
    case = fake_case(card)
    with pytest.raises(NotFoundError, match="no entry /nothing"):
        export_file(case, "EX-001", "/nothing", tmp_path / "out", examiner="x")
    with pytest.raises(UsageError, match="folder"):
        export_file(case, "EX-001", "/WhatsApp", tmp_path / "out", examiner="x")
    assert case.recorded == []


class HostileTree(EvidenceTree):
    """Entries whose names try to climb out, as a crafted tar or a corrupt file system may hold."""

    def __init__(self, entries: dict[str, bytes], volume: str = "") -> None:
        self.data = entries
        self.volume = volume
        self.problems = []

    def volumes(self) -> list[Volume]:
        return []

    def walk(self) -> Iterator[Entry]:
        for path, data in self.data.items():
            yield Entry(
                path=path,
                name=path.rsplit("/", 1)[-1],
                type=EntryType.FILE,
                size=len(data),
                volume=self.volume,
            )

    def open(self, entry: Entry) -> BinaryIO:
        return io.BytesIO(self.data[entry.path])


@pytest.mark.parametrize(
    "path",
    ["/../../etc/passwd", "/a/../../../../tmp/x", "/..\\..\\windows\\x", "/ok/./../../x", "/C:/Windows/x"],
)
def test_hostile_names_cannot_escape(tmp_path: Path, path: str) -> None:
    out = tmp_path / "out"
    tree = HostileTree({path: b"payload"})
    (entry,) = list(tree.walk())
    target, size, digest = copy_entry(tree, entry, out)
    assert target.resolve().is_relative_to(out.resolve())
    assert (
        target.read_bytes() == b"payload" and size == 7 and digest == hashlib.sha256(b"payload").hexdigest()
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_symlink_inside_out_is_not_followed_outside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "a").symlink_to(tmp_path / "elsewhere")
    tree = HostileTree({"/a/b.txt": b"x"})
    with pytest.raises(UsageError, match="outside"):
        copy_entry(tree, next(tree.walk()), out)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_short_content_is_not_exported(tmp_path: Path) -> None:
    class Short(HostileTree):
        def walk(self) -> Iterator[Entry]:
            yield Entry(path="/f", name="f", type=EntryType.FILE, size=100)

    tree = Short({"/f": b"only ten b"})
    with pytest.raises(EvidenceError, match="read 10 bytes"):
        copy_entry(tree, next(tree.walk()), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_streams_and_volumes_in_destination(tmp_path: Path) -> None:
    entry = Entry(
        path="/Users/a/doc.txt",
        name="doc.txt",
        type=EntryType.FILE,
        size=1,
        volume="p3",
        stream="Zone.Identifier",
    )
    assert destination_for(entry, tmp_path) == tmp_path / "p3" / "Users" / "a" / "doc.txt_Zone.Identifier"
    assert safe_part('a<b>c:d"e|f?g*h') == "a_b_c_d_e_f_g_h"
    assert safe_part("..") is None and safe_part("name. ") == "name"
