from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.logical import TarTree, detect_logical
from evidence_intake.evidence.model import EntryType
from tests.evidence.logical_samples import build_tar, listing, phone_items, snapshot, truth


@pytest.mark.parametrize("compression", ["", "gzip", "bzip2", "xz"])
def test_tar_listing_equals_the_truth_whatever_the_name(tmp_path: Path, compression: str) -> None:
    items = phone_items()
    archive = build_tar(tmp_path / "extraction.bin", items, compression)  # the name says nothing

    assert detect_logical(archive) == "tar"
    with TarTree(archive) as tree:
        entries = list(tree.walk())
        assert listing(entries) == truth(items)
        assert tree.problems == []
        assert [e.inode for e in entries] == list(range(len(items)))
        whatsapp = entries[4]
        assert (whatsapp.mode, whatsapp.uid, whatsapp.gid) == (0o660, 10_123, 10_123)
        assert whatsapp.filesystem == "tar" and whatsapp.volume == ""
        assert whatsapp.locator[3] == "data/data/com.whatsapp/databases/msgstore.db"
        assert tree.volumes()[0].filesystem == "tar"


@pytest.mark.parametrize("compression", ["", "gzip"])
def test_tar_member_content_reads_back_and_seeks(tmp_path: Path, compression: str) -> None:
    items = phone_items()
    archive = build_tar(tmp_path / "phone.tar", items, compression)
    with TarTree(archive, scratch=tmp_path / "scratch") as tree:
        for entry, item in zip(tree.walk(), items, strict=True):
            if entry.type is EntryType.FILE:
                with tree.open(entry) as stream:
                    assert stream.read() == item.data
        photo = tree.lookup("/sdcard/DCIM/IMG_20250314_093000.jpg")
        assert photo is not None
        data = items[15].data
        with tree.open(photo) as stream:
            stream.seek(50_000)
            assert stream.read(10) == data[50_000:50_010]
            stream.seek(3)
            assert stream.read(4) == data[3:7]
            assert not stream.writable()
        link = tree.lookup("/sdcard/last_photo")
        assert link is not None
        with pytest.raises(EvidenceError, match="link"):
            tree.open(link)
    assert not any((tmp_path / "scratch").iterdir()) if (tmp_path / "scratch").exists() else True


def test_tar_traversal_members_are_listed_as_they_are_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in [
            ("../../etc/passwd", b"root:x:0:0"),
            ("/abs/path/evil.sh", b"rm -rf /"),
            ("ok.txt", b"ok"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before = snapshot(tmp_path)

    with TarTree(archive) as tree:
        entries = list(tree.walk())
        assert [e.path for e in entries] == ["/../../etc/passwd", "/abs/path/evil.sh", "/ok.txt"]
        assert [e.locator[3] for e in entries] == ["../../etc/passwd", "/abs/path/evil.sh", "ok.txt"]
        with tree.open(entries[0]) as stream:
            assert stream.read() == b"root:x:0:0"
        suspicious = [p for p in tree.problems if p.kind == "suspicious"]
        assert [p.where for p in suspicious] == ["/../../etc/passwd", "/abs/path/evil.sh"]

    assert snapshot(tmp_path) == before
    assert not list(workdir.iterdir())


def _three_members(path: Path) -> Path:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name in ("dir/a.bin", "dir/b.bin", "dir/c.bin"):
            info = tarfile.TarInfo(name)
            info.size = 10_000
            tar.addfile(info, io.BytesIO((name.encode() * 1200)[:10_000]))
    return path  # headers at 0, 10752 and 21504; data 512 bytes after each


def test_truncated_member_data_lists_what_is_before_and_names_the_member(tmp_path: Path) -> None:
    archive = _three_members(tmp_path / "cut.tar")
    archive.write_bytes(archive.read_bytes()[: 10_752 + 512 + 5_000])

    with TarTree(archive) as tree:
        entries = list(tree.walk())
        assert [e.path for e in entries] == ["/dir/a.bin", "/dir/b.bin"]
        assert [p.where for p in tree.problems] == ["/dir/b.bin"]
        assert "cut short" in tree.problems[0].reason and "21264" in tree.problems[0].reason
        with tree.open(entries[0]) as stream:
            assert stream.read() == (b"dir/a.bin" * 1200)[:10_000]
        with pytest.raises(EvidenceError, match=r"dir/b\.bin"), tree.open(entries[1]) as stream:
            stream.read()


def test_truncated_header_and_missing_end_marker_are_reported(tmp_path: Path) -> None:
    data = _three_members(tmp_path / "full.tar").read_bytes()
    cut_header = tmp_path / "cut-header.tar"
    cut_header.write_bytes(data[: 10_752 + 100])
    with TarTree(cut_header) as tree:
        assert [e.path for e in tree.walk()] == ["/dir/a.bin"]
        assert len(tree.problems) == 1
        assert "10752" in tree.problems[0].reason and "cut short" in tree.problems[0].reason

    no_marker = tmp_path / "no-marker.tar"
    no_marker.write_bytes(data[:21_504])
    with TarTree(no_marker) as tree:
        assert [e.path for e in tree.walk()] == ["/dir/a.bin", "/dir/b.bin"]
        assert "end-of-archive marker" in tree.problems[0].reason


def test_a_damaged_header_in_the_middle_is_reported_with_its_offset(tmp_path: Path) -> None:
    data = bytearray(_three_members(tmp_path / "full.tar").read_bytes())
    data[10_752 + 148 : 10_752 + 156] = b"9999999\x00"  # checksum of the second header
    damaged = tmp_path / "damaged.tar"
    damaged.write_bytes(bytes(data))
    with TarTree(damaged) as tree:
        assert [e.path for e in tree.walk()] == ["/dir/a.bin"]
        assert "10752" in tree.problems[0].reason and "not valid" in tree.problems[0].reason


def test_a_cut_tar_gz_lists_what_could_be_read(tmp_path: Path) -> None:
    plain = _three_members(tmp_path / "full.tar").read_bytes()
    packed = gzip.compress(plain, compresslevel=0)  # stored blocks: the cut falls where we choose
    archive = tmp_path / "cut.tgz"
    archive.write_bytes(packed[: len(packed) * 2 // 3])
    with TarTree(archive) as tree:
        paths = [e.path for e in tree.walk()]
        assert paths[:2] == ["/dir/a.bin", "/dir/b.bin"]
        assert len(tree.problems) == 1 and tree.problems[0].kind == "corrupt"


def test_walking_a_large_archive_keeps_memory_flat(tmp_path: Path) -> None:
    archive = tmp_path / "many.tar"
    with archive.open("wb") as out:
        for n in range(12_000):
            out.write(tarfile.TarInfo(f"data/media/0/file-{n:06d}.dat").tobuf(tarfile.USTAR_FORMAT))
        out.write(bytes(2 * tarfile.BLOCKSIZE))
    with TarTree(archive) as tree:
        tracemalloc.start()
        count = sum(1 for _ in tree.walk())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count == 12_000
    assert peak < 2 * 1024 * 1024  # holding every TarInfo, as tarfile does, takes about 6 MiB


def test_what_is_not_a_tar(tmp_path: Path) -> None:
    assert detect_logical(tmp_path / "absent") is None
    noise = tmp_path / "noise.tar"
    noise.write_bytes(bytes(range(256)) * 4)
    assert detect_logical(noise) is None
    zeros = tmp_path / "zeros.tar"
    zeros.write_bytes(bytes(2048))
    assert detect_logical(zeros) is None
    gz_text = tmp_path / "notes.tar.gz"
    gz_text.write_bytes(gzip.compress(b"just some text, not a tar" * 40))
    assert detect_logical(gz_text) is None
    zstd = tmp_path / "phone.tar.zst"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(100))
    with pytest.raises(EvidenceError, match="zstd") as caught:
        TarTree(zstd)
    assert caught.value.hint and "zstd -d" in caught.value.hint
    with pytest.raises(NotFoundError):
        TarTree(tmp_path / "absent.tar")


def test_an_unreadable_first_header_lists_nothing_and_says_so(tmp_path: Path) -> None:
    fake = tmp_path / "fake.tar"
    fake.write_bytes(b"\x1f\x8b" + bytes(600))  # gzip magic, then nothing valid
    with TarTree(fake) as tree:
        assert list(tree.walk()) == []
        assert tree.problems[0].kind == "corrupt"


@pytest.mark.parametrize("compression", ["", "xz"])
def test_walk_contents_gives_every_file_in_one_pass(tmp_path: Path, compression: str) -> None:
    items = phone_items()
    archive = build_tar(tmp_path / "phone.tar", items, compression)
    with TarTree(archive) as tree:
        pairs = [(entry, None if stream is None else stream.read()) for entry, stream in tree.walk_contents()]
        assert [entry for entry, _ in pairs] == list(tree.walk())
    expected = [item.data if item.kind is EntryType.FILE else None for item in items]
    assert [data for _, data in pairs] == expected
