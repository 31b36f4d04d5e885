from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.logical import ZipTree, detect_logical
from evidence_intake.evidence.model import EntryType
from tests.evidence.logical_samples import build_zip, listing, phone_items, snapshot, truth


def patch_member(
    path: Path,
    name: str,
    *,
    set_flags: int = 0,
    clear_flags: int = 0,
    declared: int | None = None,
    method: int | None = None,
    local_offset: int | None = None,
) -> None:
    """Rewrite fields of one member in both its local header and its central directory record."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
        start_dir = archive.start_dir  # type: ignore[attr-defined]
    local = info.header_offset
    central = start_dir
    while data[central : central + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, central + 28)
        if struct.unpack_from("<L", data, central + 42)[0] == local:
            break
        central += 46 + name_len + extra_len + comment_len
    else:
        raise AssertionError(f"no central record for {name}")
    for header, flags_at, method_at, usize_at in ((local, 6, 8, 22), (central, 8, 10, 24)):
        flags = struct.unpack_from("<H", data, header + flags_at)[0]
        struct.pack_into("<H", data, header + flags_at, (flags | set_flags) & ~clear_flags)
        if method is not None:
            struct.pack_into("<H", data, header + method_at, method)
        if declared is not None:
            struct.pack_into("<L", data, header + usize_at, declared)
    if local_offset is not None:
        struct.pack_into("<L", data, central + 42, local_offset)
    path.write_bytes(bytes(data))


def test_zip_listing_equals_the_truth_and_content_reads_back(tmp_path: Path) -> None:
    items = phone_items()
    archive = build_zip(tmp_path / "export.dat", items)

    assert detect_logical(archive) == "zip"
    with ZipTree(archive) as tree:
        entries = list(tree.walk())
        assert listing(entries) == truth(items)  # no extra field: the DOS time is taken as UTC
        assert tree.problems == []
        assert [e.inode for e in entries] == list(range(len(items)))
        assert entries[4].mode == 0o660 and entries[0].mode == 0o771
        for entry, item in zip(entries, items, strict=True):
            if entry.type is EntryType.FILE:
                with tree.open(entry) as stream:
                    assert stream.read() == item.data
        photo = items[15].data
        with tree.open(entries[15]) as stream:
            stream.seek(60_000)
            assert stream.read(16) == photo[60_000:60_016]
            stream.seek(1)
            assert stream.read(3) == photo[1:4]
        with pytest.raises(EvidenceError, match="link"):
            tree.open(entries[16])
        with pytest.raises(EvidenceError, match="directory"):
            tree.open(entries[0])


def test_zip_times_come_from_the_utc_extra_fields_when_present(tmp_path: Path) -> None:
    archive = tmp_path / "times.zip"
    mtime = 1_741_944_601  # odd second: a DOS time could not hold it
    filetime = (1_700_000_000 + 11_644_473_600) * 10_000_000 + 1_234_560
    with zipfile.ZipFile(archive, "w") as out:
        extended = zipfile.ZipInfo("extended.txt", (2020, 1, 1, 0, 0, 0))
        extended.extra = struct.pack("<HHBl", 0x5455, 5, 1, mtime)
        out.writestr(extended, b"x")
        ntfs = zipfile.ZipInfo("ntfs.txt", (2020, 1, 1, 0, 0, 0))
        ntfs.extra = struct.pack("<HHLHHQQQ", 0x000A, 32, 0, 1, 24, filetime, filetime, filetime - 10_000_000)
        out.writestr(ntfs, b"y")
        out.writestr(zipfile.ZipInfo("dos.txt", (2025, 3, 14, 9, 30, 0)), b"z")
    with ZipTree(archive) as tree:
        by_name = {e.name: e for e in tree.walk()}
    assert by_name["extended.txt"].mtime == datetime.fromtimestamp(mtime, UTC)
    expected = datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)
    assert by_name["ntfs.txt"].mtime == expected and by_name["ntfs.txt"].atime == expected
    assert by_name["ntfs.txt"].crtime == datetime(2023, 11, 14, 22, 13, 19, 123456, tzinfo=UTC)
    assert by_name["dos.txt"].mtime == datetime(2025, 3, 14, 9, 30, 0, tzinfo=UTC)


def test_zip_names_utf8_without_the_flag_and_cp437(tmp_path: Path) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("sdcard/微信/聊天记录.txt", b"a")
        out.writestr(zipfile.ZipInfo("caf\u00e9.txt"), b"b")  # stored in UTF-8 with the flag
    patch_member(archive, "sdcard/微信/聊天记录.txt", clear_flags=0x800)  # as macOS Archive Utility writes it
    patch_member(archive, "caf\u00e9.txt", clear_flags=0x800)
    raw = archive.read_bytes().replace("café".encode(), b"caf\x82\x20")  # cp437 é, no longer UTF-8
    archive.write_bytes(raw)
    with ZipTree(archive) as tree:
        assert [e.path for e in tree.walk()] == ["/sdcard/微信/聊天记录.txt", "/café .txt"]


def test_zip_traversal_members_are_listed_as_they_are_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../etc/passwd", b"root:x:0:0")
        out.writestr("/abs/path/evil.sh", b"rm -rf /")
        out.writestr("C:/Windows/evil.dll", b"MZ")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before = snapshot(tmp_path)
    with ZipTree(archive) as tree:
        entries = list(tree.walk())
        raw = ["../../etc/passwd", "/abs/path/evil.sh", "C:/Windows/evil.dll"]
        assert [e.path for e in entries] == ["/../../etc/passwd", "/abs/path/evil.sh", "/C:/Windows/evil.dll"]
        assert [e.locator[3] for e in entries] == raw
        with tree.open(entries[0]) as stream:
            assert stream.read() == b"root:x:0:0"
        flagged = sorted(p.where for p in tree.problems if p.kind == "suspicious")
        assert flagged == sorted(e.path for e in entries)
    assert snapshot(tmp_path) == before
    assert not list(workdir.iterdir())


def test_a_zip_bomb_is_walked_and_read_as_a_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "bomb.zip"
    zeros = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        out.writestr("zeros.bin", zeros)
        out.writestr("liar.bin", zeros)
    patch_member(archive, "liar.bin", declared=0xFFFF_FFF0)  # claims 4 GiB
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before = snapshot(tmp_path)

    tracemalloc.start()
    with ZipTree(archive) as tree:
        entries = list(tree.walk())
        _, walk_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = 0
        with tree.open(entries[1]) as stream:
            while block := stream.read(1024 * 1024):
                read += len(block)
        _, read_peak = tracemalloc.get_traced_memory()
        problems = list(tree.problems)
    tracemalloc.stop()

    assert [(e.path, e.size) for e in entries] == [("/zeros.bin", len(zeros)), ("/liar.bin", 0xFFFF_FFF0)]
    assert read == len(zeros)  # the stream ends where the data end, whatever the header claims
    assert walk_peak < 1024 * 1024
    assert read_peak < 8 * 1024 * 1024  # never the whole member in memory
    assert [p.where for p in problems if p.kind == "suspicious"] == ["/liar.bin"]
    assert "zip bomb" in problems[0].reason
    assert snapshot(tmp_path) == before and not list(workdir.iterdir())


def test_overlapping_members_are_listed_but_never_read(tmp_path: Path) -> None:
    archive = tmp_path / "overlap.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("a.bin", bytes(100_000))
        out.writestr("b.bin", bytes(100_000))
    patch_member(archive, "b.bin", local_offset=0)  # b's record points at a's data
    with ZipTree(archive) as tree:
        entries = list(tree.walk())
        assert [e.path for e in entries] == ["/a.bin", "/b.bin"]
        assert {p.where for p in tree.problems if "shares its data" in p.reason} == {"/a.bin", "/b.bin"}
        with pytest.raises(EvidenceError, match="zip bomb"):
            tree.open(entries[1])


def test_an_encrypted_or_unreadable_member_is_flagged(tmp_path: Path) -> None:
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("plain.txt", b"plain")
        out.writestr("secret.txt", b"secret")
        out.writestr("deflate64.bin", b"data")
    patch_member(archive, "secret.txt", set_flags=0x1)
    patch_member(archive, "deflate64.bin", method=9)
    with ZipTree(archive) as tree:
        entries = {e.name: e for e in tree.walk()}
        kinds = {p.where: p.kind for p in tree.problems}
        assert kinds == {"/secret.txt": "encrypted", "/deflate64.bin": "unsupported"}
        with pytest.raises(EvidenceError, match="encrypted"):
            tree.open(entries["secret.txt"])
        with pytest.raises(EvidenceError, match=r"deflate64\.bin"):
            tree.open(entries["deflate64.bin"])
        with tree.open(entries["plain.txt"]) as stream:
            assert stream.read() == b"plain"


def test_a_truncated_zip_is_listed_from_its_local_headers(tmp_path: Path) -> None:
    items = phone_items()
    archive = build_zip(tmp_path / "cut.zip", items)
    with zipfile.ZipFile(archive) as intact:
        photo = intact.getinfo("sdcard/DCIM/IMG_20250314_093000.jpg")
        cut_at = photo.header_offset + 200 + photo.compress_size // 2
    archive.write_bytes(archive.read_bytes()[:cut_at])

    with ZipTree(archive) as tree:
        assert tree.recovered
        entries = list(tree.walk())
        assert [e.path for e in entries] == [row[0] for row in truth(items)[:16]]
        assert [e.type for e in entries[:4]] == [EntryType.DIRECTORY] * 4
        reasons = [p.reason for p in tree.problems]
        assert len(reasons) == 2 and "central directory" in reasons[0]
        assert "IMG_20250314_093000.jpg" in reasons[1] and "cut short" in reasons[1]
        assert tree.problems[1].where == f"{archive}@{photo.header_offset}"
        with tree.open(entries[4]) as stream:
            assert stream.read() == items[4].data
        with pytest.raises(EvidenceError), tree.open(entries[15]) as stream:
            stream.read()


class _Unseekable(io.RawIOBase):
    def __init__(self, target: io.BufferedWriter) -> None:
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._target.write(data)


def test_members_with_data_descriptors_are_found_without_the_central_directory(tmp_path: Path) -> None:
    archive = tmp_path / "streamed.zip"
    payloads = {"a.txt": b"first " * 5000, "b.bin": bytes(range(256)) * 100, "c.txt": b"third"}
    with archive.open("wb") as raw, zipfile.ZipFile(_Unseekable(raw), "w") as out:  # type: ignore[arg-type]
        out.writestr("a.txt", payloads["a.txt"], compress_type=zipfile.ZIP_DEFLATED)
        out.writestr("b.bin", payloads["b.bin"], compress_type=zipfile.ZIP_STORED)
        out.writestr("c.txt", payloads["c.txt"], compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(archive) as intact:
        assert all(info.flag_bits & 0x08 for info in intact.infolist())  # sizes trail the data
        central = intact.start_dir  # type: ignore[attr-defined]
    archive.write_bytes(archive.read_bytes()[:central])  # lose the central directory
    with ZipTree(archive) as tree:
        assert tree.recovered
        entries = list(tree.walk())
        assert [e.name for e in entries] == ["a.txt", "b.bin", "c.txt"]
        for entry in entries:
            assert entry.size == len(payloads[entry.name])
            with tree.open(entry) as stream:
                assert stream.read() == payloads[entry.name]
        assert len(tree.problems) == 1  # only the lost central directory


def test_a_zip_behind_a_prefix_is_found_and_a_long_comment_does_not_hide_it(tmp_path: Path) -> None:
    """Self-extracting archives put a program before the zip; its end record may carry a 64 KiB comment."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("sdcard/WhatsApp/Databases/msgstore.db", b"SQLite format 3\x00" + bytes(100))
        archive.comment = b"x" * 0xFFFF
    sfx = tmp_path / "extraction.exe"
    sfx.write_bytes(b"MZ" + bytes(4094) + inner.getvalue())
    assert detect_logical(sfx) == "zip"
    beyond = tmp_path / "far.img"
    beyond.write_bytes(b"MZ" + bytes(4094) + inner.getvalue() + bytes(70_000))
    assert detect_logical(beyond) is None  # an end record more than 64 KiB before the end is not a zip's
