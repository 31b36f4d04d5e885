from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.logical import FolderTree, detect_logical
from evidence_intake.evidence.model import EntryType
from tests.evidence.logical_samples import build_folder, listing, phone_items, snapshot, truth


def _name_order(rows: list[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    """A folder is walked depth first in name order; sort the truth the same way."""
    return sorted(rows, key=lambda row: row[0].split("/"))


def test_folder_listing_equals_the_truth_and_content_reads_back(tmp_path: Path) -> None:
    items = phone_items()
    root = build_folder(tmp_path / "extraction", items)
    before = snapshot(root)

    assert detect_logical(root) == "folder"
    with FolderTree(root) as tree:
        entries = list(tree.walk())
        assert listing(entries) == _name_order(truth(items))
        assert tree.problems == []
        by_path = {e.path: e for e in entries}
        msgstore = by_path["/data/data/com.whatsapp/databases/msgstore.db"]
        assert msgstore.mode == 0o660 and msgstore.inode == (root / msgstore.path[1:]).stat().st_ino
        for item in items:
            if item.kind is EntryType.FILE:
                with tree.open(by_path["/" + item.path]) as stream:
                    assert stream.read() == item.data
        with pytest.raises(EvidenceError, match="link"):
            tree.open(by_path["/sdcard/last_photo"])
        assert tree.lookup("/sdcard/微信/聊天记录.txt") == by_path["/sdcard/微信/聊天记录.txt"]
        assert tree.lookup("/sdcard/last_photo/anything") is None
        assert tree.lookup("/no/such/file") is None
    assert snapshot(root) == before  # reading changed nothing
    accessed = (root / "sdcard/微信/聊天记录.txt").stat().st_atime_ns
    assert accessed == items[11].mtime * 10**9  # not even the access time (O_NOATIME)


def test_a_symlink_loop_ends_and_links_are_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "loop"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "up").symlink_to("../..")
    (root / "a" / "self").symlink_to("self")
    (root / "a" / "outside").symlink_to("/etc")
    (root / "a" / "b" / "file.txt").write_text("x")

    with FolderTree(root) as tree:
        entries = list(tree.walk())
    assert [(e.path, e.type, e.link_target) for e in entries] == [
        ("/a", EntryType.DIRECTORY, None),
        ("/a/b", EntryType.DIRECTORY, None),
        ("/a/b/file.txt", EntryType.FILE, None),
        ("/a/b/up", EntryType.LINK, "../.."),
        ("/a/outside", EntryType.LINK, "/etc"),
        ("/a/self", EntryType.LINK, "self"),
    ]


def test_an_unreadable_folder_is_a_problem_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "perm"
    (root / "closed").mkdir(parents=True)
    (root / "closed" / "hidden.txt").write_text("z")
    (root / "open.txt").write_text("y")
    real_scandir = os.scandir

    def scandir(path: Path) -> object:  # permissions do not stop root, so refuse the way the OS would
        if Path(path).name == "closed":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("evidence_intake.evidence.logical.os.scandir", scandir)
    with FolderTree(root) as tree:
        paths = [e.path for e in tree.walk()]
        assert paths == ["/closed", "/open.txt"]
        assert [p.where for p in tree.problems] == ["/closed"]
        assert "Permission denied" in tree.problems[0].reason


def test_special_files_are_listed_but_never_opened(tmp_path: Path) -> None:
    root = tmp_path / "special"
    root.mkdir()
    os.mkfifo(root / "pipe")
    with FolderTree(root) as tree:
        (entry,) = list(tree.walk())
        assert entry.type is EntryType.OTHER
        with pytest.raises(EvidenceError, match="other"):
            tree.open(entry)


def test_undecodable_names_are_shown_escaped_and_still_read(tmp_path: Path) -> None:
    root = tmp_path / "bytes"
    root.mkdir()
    raw = os.fsencode(root) + b"/caf\xe9.txt"  # Latin-1, not UTF-8
    with open(raw, "wb") as out:
        out.write(b"latin")
    with FolderTree(root) as tree:
        (entry,) = list(tree.walk())
        assert entry.path == "/caf\\xe9.txt"
        with tree.open(entry) as stream:
            assert stream.read() == b"latin"


def test_a_folder_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        FolderTree(tmp_path / "absent")
    assert detect_logical(tmp_path / "absent") is None
