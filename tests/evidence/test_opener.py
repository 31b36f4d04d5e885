"""The opener: images to The Sleuth Kit, logical sources to their readers, by record or by content."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from evidence_intake.errors import EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Volume
from evidence_intake.evidence.opener import detect_kind, open_evidence, open_exhibit
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.fakes import fake_case

LOGICAL = "evidence_intake.evidence.logical"


class OneFile(EvidenceTree):
    def __init__(self, source: Path, kind: str) -> None:
        self.source, self.kind = source, kind
        self.problems = []

    def volumes(self) -> list[Volume]:
        return []

    def walk(self) -> Iterator[Entry]:
        yield Entry(path="/x", name="x", type=EntryType.FILE, size=0, filesystem=self.kind)

    def open(self, entry: Entry) -> BinaryIO:
        raise NotImplementedError


@pytest.fixture
def fake_logical(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(LOGICAL)
    module.FolderTree = lambda p: OneFile(p, "folder")  # type: ignore[attr-defined]
    module.TarTree = lambda p: OneFile(p, "tar")  # type: ignore[attr-defined]
    module.ZipTree = lambda p: OneFile(p, "zip")  # type: ignore[attr-defined]
    module.detect_logical = lambda p: (
        "folder" if Path(p).is_dir() else ("zip" if p.suffix == ".zip" else None)
    )  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, LOGICAL, module)
    return module


def test_images_by_content(corpus: Path) -> None:
    assert detect_kind(corpus / "disk-images" / "ext2.E01") == "e01"
    assert detect_kind(corpus / "disk-images" / "iso9660.raw") == "raw"
    with open_evidence([corpus / "disk-images" / "ext2.E01"]) as tree:
        assert isinstance(tree, TskTree) and tree.reader.format == "e01"


def test_recorded_kind_routes_logical_sources(tmp_path: Path, fake_logical: types.ModuleType) -> None:
    for kind in ("folder", "tar", "zip"):
        tree = open_evidence([tmp_path], kind=kind)
        assert isinstance(tree, OneFile) and tree.kind == kind and tree.source == tmp_path


def test_content_routes_logical_sources(tmp_path: Path, fake_logical: types.ModuleType) -> None:
    archive = tmp_path / "extraction.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    assert detect_kind(tmp_path) == "folder"
    assert detect_kind(archive) == "zip"
    assert isinstance(open_evidence([archive]), OneFile)


def test_without_logical_readers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, LOGICAL, None)
    with pytest.raises(EvidenceError, match="no reader"):
        open_evidence([tmp_path])
    with pytest.raises(EvidenceError, match="no reader"):
        open_evidence([tmp_path], kind="tar")
    raw = tmp_path / "disk.dd"
    raw.write_bytes(bytes(4096))
    assert detect_kind(raw) == "raw"  # a file can still be an image


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        open_evidence([])
    with pytest.raises(NotFoundError):
        open_evidence([tmp_path / "missing.E01"])
    with pytest.raises(UsageError, match="unknown evidence format"):
        open_evidence([tmp_path], kind="floppy")
    with pytest.raises(EvidenceError, match="folder"):
        open_evidence([tmp_path], kind="raw")


def test_open_exhibit_uses_the_latest_acquisition(corpus: Path) -> None:
    case = fake_case(corpus / "disk-images" / "ext2.splitraw.000", fmt="split-raw")
    with open_exhibit(case, "EX-001") as tree:
        assert {e.path for e in tree.walk()} >= {"/passwords.txt", "/a_directory/a_file"}
    with pytest.raises(NotFoundError):
        open_exhibit(case, "EX-404")


def test_real_logical_readers_behind_the_opener(tmp_path: Path) -> None:
    """With the logical readers present, folders, tar and zip open by content and by record."""
    import tarfile
    import zipfile

    source = tmp_path / "extraction"
    (source / "sdcard" / "Telegram").mkdir(parents=True)
    (source / "sdcard" / "Telegram" / "chat.txt").write_text("สวัสดี", encoding="utf-8")
    archive_tar = tmp_path / "extraction.tar.gz"
    with tarfile.open(archive_tar, "w:gz") as tar:
        tar.add(source, arcname=".")
    archive_zip = tmp_path / "extraction.zip"
    with zipfile.ZipFile(archive_zip, "w") as zf:
        zf.write(source / "sdcard" / "Telegram" / "chat.txt", "sdcard/Telegram/chat.txt")
    for path, kind in ((source, "folder"), (archive_tar, "tar"), (archive_zip, "zip")):
        assert detect_kind(path) == kind
        for recorded in (None, kind):
            with open_evidence([path], kind=recorded) as tree:
                entry = tree.lookup("/sdcard/Telegram/chat.txt")
                assert entry is not None, (path, recorded)
                with tree.open(entry) as fh:
                    assert fh.read().decode("utf-8") == "สวัสดี"


def test_a_truncated_e01_is_an_evidence_error_naming_the_segment(corpus: Path, tmp_path: Path) -> None:
    """The Sleuth Kit hands the reader's error back as a RuntimeError; the walk raises the real one."""
    damaged = tmp_path / "cut.E01"
    damaged.write_bytes((corpus / "disk-images" / "ext2.E01").read_bytes()[:3000])
    with pytest.raises(EvidenceError, match=r"cut\.E01") as caught:
        list(open_evidence([damaged]).walk())
    assert caught.value.exit_code == 4 and "truncated" in (caught.value.hint or "")
