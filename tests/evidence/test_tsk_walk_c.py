"""The file-system walk in C gives exactly what the walk through pytsk3 gives.

Entry by entry, field by field (with each value's type), locator and fls detail included, in the
same order, with the same problems, on file systems made by their own tools and on the corpus. The
listing itself is checked against the truth and fls in test_tsk.py, which runs with both walks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence import tsk
from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.model import Entry, ImageReader, Problem
from evidence_intake.evidence.tsk import (
    NATIVE_WALK_SWITCH,
    TskFileSystem,
    TskTree,
    native_walk,
)
from tests.evidence.imaging import (
    fill_folder,
    make_disk,
    make_ext4,
    make_fat,
    make_ntfs,
    make_ufs1,
    place,
    run,
)

Tools = Callable[..., dict[str, str]]
Facts = list[tuple[object, ...]]


def facts(entry: Entry) -> tuple[object, ...]:
    values = tuple(
        (f.name, type(getattr(entry, f.name)), getattr(entry, f.name)) for f in dataclasses.fields(entry)
    )
    return (*values, entry.locator, type(entry.locator[4]))


def walk_with(
    monkeypatch: pytest.MonkeyPatch, switch: str, open_reader: Callable[[], ImageReader]
) -> tuple[Facts, list[Problem]]:
    monkeypatch.setenv(NATIVE_WALK_SWITCH, switch)
    with TskTree(open_reader()) as tree:
        entries = [facts(e) for e in tree.walk()]
        for fs in tree._filesystems.values():
            if isinstance(fs, TskFileSystem):
                in_c = switch == "1" and fs.label in tsk.NATIVE_WALK_FILESYSTEMS
                assert (fs.native_refused is None) == in_c, fs.native_refused
        return entries, list(tree.problems)


def assert_same_walk(monkeypatch: pytest.MonkeyPatch, image: Path | list[Path]) -> Facts:
    paths = image if isinstance(image, list) else [image]
    in_c, c_problems = walk_with(monkeypatch, "1", lambda: open_image(paths))
    in_python, python_problems = walk_with(monkeypatch, "0", lambda: open_image(paths))
    assert len(in_c) == len(in_python)
    for ours, theirs in zip(in_c, in_python, strict=True):
        assert ours == theirs
    assert c_problems == python_problems
    return in_c


def field(entry: tuple[object, ...], name: str) -> object:
    return next(value for key, _, value in entry[:-2] if key == name)  # type: ignore[misc]


@pytest.mark.usefixtures("c_walk")
def test_ext4_names_links_times_deletions_orphans_and_a_loop(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tools("mkfs.ext4", "debugfs")
    folder = fill_folder(
        tmp_path / "src",
        {
            "data/media/0/ไทย/บันทึก.txt": "ข้อความ".encode(),
            "data/media/0/中文/笔记.txt": "你好".encode(),
            "data/media/0/မြန်မာ.txt": b"mm",
            "keep.txt": b"k" * 3000,
            "gone/secret.txt": b"s" * 3000,
            "o/orphan.txt": b"o" * 5000,
            **{f"times/f{i}": b"t" for i in range(5)},
            **{f"many/file-{i:04}.dat": b"m" for i in range(300)},  # a folder spread over several blocks
        },
    )
    (folder / "short-link").symlink_to("keep.txt")
    (folder / "long-link").symlink_to("data/media/0/" + "x" * 80)  # stored in a block, not the inode
    (folder / "bad-name-\udcff").write_bytes(b"not UTF-8")  # a name that is not UTF-8
    image = make_ext4(t, tmp_path / "ext4.img", folder, size="16M")
    folder_inode = run(t["debugfs"], "-R", "stat /o", image).split("Inode: ")[1].split()[0]
    debugfs = [
        "rm /gone/secret.txt",
        # the file's inode freed and no name left pointing at it (its folder's inode wiped): TSK
        # lists it under $OrphanFiles, and its metadata is read from the inode itself
        "kill_file /o/orphan.txt",
        "unlink /o/orphan.txt",
        "kill_file /o",
        "unlink /o",
        f"clri <{folder_inode}>",
        "ln /data /data/media/loop",  # a second name for a folder, inside itself
        "sif /times/f0 mtime_extra 0xfffffffc",  # nanoseconds beyond a second, as a damaged inode holds
        "sif /times/f1 mtime 0x80000000",
        "sif /times/f1 mtime_extra 0",  # the kernel reads 1901; The Sleuth Kit (and fls) 2038
        "sif /times/f2 mtime @4102444800",  # 2100: beyond 32 bits, in the inode's extra epoch bits
        "sif /times/f3 atime 0",  # unset
        "sif /times/f4 crtime 1",
    ]
    for command in debugfs:
        run(t["debugfs"], "-w", "-R", command, image)
    entries = assert_same_walk(monkeypatch, image)
    paths = [field(e, "path") for e in entries]
    assert any(str(p).startswith("/$OrphanFiles/OrphanFile-") for p in paths)
    assert "/gone/secret.txt" in paths and "/bad-name-\\xff" in paths
    assert "/data/media/loop" in paths and not any(str(p).startswith("/data/media/loop/") for p in paths)
    times = {field(e, "path"): e for e in entries if str(field(e, "path")).startswith("/times/")}
    assert field(times["/times/f1"], "mtime") == datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC)
    assert field(times["/times/f3"], "atime") is None
    assert field(times["/times/f4"], "crtime") == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert field(times["/times/f2"], "mtime") == datetime(2100, 1, 1, tzinfo=UTC)
    # small files and folders kept inside their inodes (ext4's inline_data)
    inline = tmp_path / "inline.img"
    run(
        t["mkfs.ext4"],
        "-q",
        "-F",
        "-O",
        "inline_data",
        "-d",
        fill_folder(tmp_path / "i", {"d/f": b"tiny"}),
        inline,
        "8M",
    )
    assert "/d/f" in [field(e, "path") for e in assert_same_walk(monkeypatch, inline)]


@pytest.mark.usefixtures("c_walk")
def test_fat_and_ext4_partitions_of_one_disk(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "mkfs.ext4", "sfdisk")
    fat = make_fat(
        t,
        tmp_path / "p1.img",
        size_kib=4096,
        folders=["DCIM", "DCIM/Camera"],
        files={"DCIM/Camera/IMG_0001.jpg": b"\xff\xd8\xff", "Long File Name.txt": b"lfn", "gone.txt": b"g"},
        deleted=["gone.txt"],
    )
    ext = make_ext4(t, tmp_path / "p2.img", fill_folder(tmp_path / "src", {"ext.txt": b"on ext4"}), size="4M")
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 8192, "c"), (10240, 8192, "83")], sectors=20480)
    place(disk, fat, 2048)
    place(disk, ext, 10240)
    entries = assert_same_walk(monkeypatch, disk)
    assert {field(e, "volume") for e in entries} == {"p1", "p2"}
    assert any(field(e, "path") == "/_one.txt" and field(e, "deleted") for e in entries)


@pytest.mark.usefixtures("c_walk")
def test_ntfs_stays_with_pytsk3_where_libtsk_reads_it_differently(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The C walk lists NTFS as pytsk3 does, streams, stream names and $FILE_NAME details and all,
    except where libtsk 4.11 misreads it, which is why NTFS is walked through pytsk3."""
    t = tools("mkntfs", "ntfscp")
    image = make_ntfs(
        t,
        tmp_path / "ntfs.img",
        {"/wallet.txt": b"visible content"},
        streams={"/wallet.txt:hidden": b"seed phrase", "/wallet.txt:ข้อมูล": b"Thai-named stream"},
        size_mib=16,
    )
    monkeypatch.setattr("evidence_intake.evidence.tsk.NATIVE_WALK_FILESYSTEMS", frozenset({"ntfs"}))
    in_c, _ = walk_with(monkeypatch, "1", lambda: open_image([image]))
    in_python, _ = walk_with(monkeypatch, "0", lambda: open_image([image]))
    assert len(in_c) == len(in_python)
    differ = [(ours, theirs) for ours, theirs in zip(in_c, in_python, strict=True) if ours != theirs]
    # mkntfs leaves $MFT's $STANDARD_INFORMATION times at zero: "not set" in TSK 4.15, 2076-11-29 in 4.11
    assert [field(ours, "path") for ours, _ in differ] == ["/$MFT"]
    ours, theirs = differ[0]
    assert field(theirs, "mtime") is None
    assert field(ours, "mtime") == datetime(2076, 11, 29, 8, 54, 34, tzinfo=UTC)
    assert [
        x for x in ours if not (isinstance(x, tuple) and x[0] in ("mtime", "atime", "ctime", "crtime"))
    ] == [x for x in theirs if not (isinstance(x, tuple) and x[0] in ("mtime", "atime", "ctime", "crtime"))]
    streams = {field(e, "stream") for e in in_c if field(e, "path") == "/wallet.txt"}
    assert streams == {None, "hidden", "ข้อมูล"}
    assert e_detail(ours).filename_attrs  # $MFT's $FILE_NAME attributes, for the bodyfile


def e_detail(entry: tuple[object, ...]) -> object:
    return entry[-2][4]  # type: ignore[index]


@pytest.mark.usefixtures("c_walk")
def test_ufs_iso_and_the_corpus(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: Path
) -> None:
    t = tools("makefs")
    ufs = make_ufs1(
        t, tmp_path / "ufs.img", fill_folder(tmp_path / "u", {"etc/rc.conf": b"x", "a/b/c": b"y"})
    )
    assert_same_walk(monkeypatch, ufs)
    assert_same_walk(monkeypatch, corpus / "disk-images" / "ext2.E01")  # read through the E01 reader
    split = sorted((corpus / "disk-images").glob("ext2.splitraw.*"))
    assert_same_walk(monkeypatch, split)
    assert_same_walk(monkeypatch, corpus / "disk-images" / "iso9660.raw")


@pytest.mark.usefixtures("c_walk")
def test_damaged_folder_gives_the_same_problem(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tools("mkfs.ext4", "debugfs")
    folder = fill_folder(tmp_path / "src", {"bad/a.txt": b"a", "good/b.txt": b"b", "top.txt": b"t"})
    image = tmp_path / "ext.img"
    run(t["mkfs.ext4"], "-q", "-F", "-O", "^extent,^64bit", "-d", folder, image, "8M")
    run(t["debugfs"], "-w", "-R", "sif /bad block[0] 999999", image)
    monkeypatch.setenv(NATIVE_WALK_SWITCH, "1")
    with TskTree(open_image([image])) as tree:
        list(tree.walk())
        problem = next(p for p in tree.problems if p.where == "/bad/")
    assert problem.reason.startswith("directory cannot be read: ")
    assert_same_walk(monkeypatch, image)


class _Failing(ImageReader):
    """An image whose reads fail once ``armed`` is set, where they touch ``bad`` (a disk that stops
    answering, a segment that went missing)."""

    def __init__(self, inner: ImageReader, failure: BaseException, bad: range | None = None) -> None:
        self._inner = inner
        self.format, self.paths, self.size = inner.format, inner.paths, inner.size
        self.failure = failure
        self.bad = bad if bad is not None else range(inner.size)
        self.armed = False

    def read_at(self, offset: int, size: int) -> bytes:
        if self.armed and offset < self.bad.stop and offset + size > self.bad.start:
            raise self.failure
        return self._inner.read_at(offset, size)

    def close(self) -> None:
        self._inner.close()


def _ext4(tools: Tools, tmp_path: Path) -> Path:
    t = tools("mkfs.ext4")
    files = {**{f"d/f{i}": b"x" for i in range(50)}, "c/x": b"c", "top.txt": b"t"}
    return make_ext4(t, tmp_path / "ext4.img", fill_folder(tmp_path / "src", files))


def _armed_walk(reader: _Failing) -> tuple[list[str], list[Problem], list[str | None]]:
    """Both file systems opened (the C walk's too), then the reader fails, then the walk."""
    with TskTree(reader) as tree:
        filesystems = [fs for fs in tree._filesystems.values() if isinstance(fs, TskFileSystem)]
        for fs in filesystems:
            fs._native_filesystem()
        reader.armed = True
        paths = [e.path for e in tree.walk()]
        return paths, list(tree.problems), [fs.native_refused for fs in filesystems]


@pytest.mark.usefixtures("c_walk")
def test_a_folder_the_image_cannot_give_is_a_problem_naming_the_readers_error(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = _ext4(tools, tmp_path)
    t = tools("debugfs")
    block_size = int(run(t["debugfs"], "-R", "stats", image).split("Block size:")[1].split()[0])
    block = int(run(t["debugfs"], "-R", "blocks /c", image).split()[0])
    error = EvidenceError("segment image.E03 is missing", hint="put every segment in one folder")
    monkeypatch.setenv(NATIVE_WALK_SWITCH, "1")
    bad = range(block * block_size, (block + 1) * block_size)
    paths, problems, refused = _armed_walk(_Failing(open_image([image]), error, bad))
    assert refused == [None]  # the C walk did it
    assert "/d/f49" in paths and "/top.txt" in paths and "/c" in paths and "/c/x" not in paths
    reason = "directory cannot be read: segment image.E03 is missing (put every segment in one folder)"
    assert ("/c/", reason) in [(p.where, p.reason) for p in problems]
    # finding orphan files means reading every folder, /c too: TSK's $OrphanFiles fails the same way
    assert {p.where for p in problems} <= {"/c/", "/$OrphanFiles/"} and {p.reason for p in problems} == {
        reason
    }


@pytest.mark.usefixtures("c_walk")
def test_an_image_that_stops_answering_gives_the_same_problem_in_both_walks(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = _ext4(tools, tmp_path)
    seen = []
    for switch in ("1", "0"):
        monkeypatch.setenv(NATIVE_WALK_SWITCH, switch)
        error = EvidenceError("segment image.E03 is missing", hint="put every segment in one folder")
        paths, problems, refused = _armed_walk(_Failing(open_image([image]), error))
        assert (refused == [None]) == (switch == "1")
        seen.append((paths, problems))
    (c_paths, c_problems), (python_paths, python_problems) = seen
    assert c_paths == python_paths == []  # libtsk hands back the root although it could not be read
    assert c_problems == python_problems
    assert [(p.where, p.reason) for p in c_problems] == [
        ("/", "directory cannot be read: segment image.E03 is missing (put every segment in one folder)")
    ]


@pytest.mark.usefixtures("c_walk")
@pytest.mark.parametrize("switch", ["1", "0"])
def test_ctrl_c_while_tsk_reads_stops_the_walk(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    image = _ext4(tools, tmp_path)
    monkeypatch.setenv(NATIVE_WALK_SWITCH, switch)
    reader = _Failing(open_image([image]), KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        _armed_walk(reader)


@pytest.mark.usefixtures("c_walk")
def test_folders_pytsk3_decides_are_listed_as_the_pytsk3_walk_lists_them(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where libtsk 4.11 cannot be trusted with a folder (the image failed while it read it, or it
    found nothing at all in it), the C walk has pytsk3 list that folder: what it gets back must be
    what the pytsk3 walk gives for that folder, and a folder pytsk3 cannot read is a problem."""
    t = tools("mkfs.ext4")
    folder = fill_folder(tmp_path / "src", {"full/a.txt": b"a", "full/sub/b.txt": b"b"})
    (folder / "empty").mkdir()
    image = make_ext4(t, tmp_path / "ext4.img", folder)
    monkeypatch.setenv(NATIVE_WALK_SWITCH, "1")
    with TskTree(open_image([image])) as tree:
        fs = next(iter(tree._filesystems.values()))
        assert isinstance(fs, TskFileSystem)
        native = fs._native_filesystem()
        asked: list[object] = []
        listed = list(
            native.walk(
                "",
                fs.label,
                False,
                lambda w, r: asked.append(("report", w)),
                lambda i, w: asked.append(("recheck", w)),
                lambda i, p, o: asked.append(("relist", p)) or ([], [], o),
            )
        )
        # a healthy ext4 folder holds "." and "..", so libtsk is trusted with every one
        assert asked == [] and "/empty" in [e.path for e in listed]
        by_path = {e.path: e for e in listed}
        problems: list[Problem] = []
        entries, below, orphans = fs._relist(problems.append)(int(by_path["/full"].inode), "/full/", -1)  # type: ignore[arg-type]
        assert [(e, e.locator) for e in entries] == [
            (e, e.locator) for e in listed if e.path.startswith("/full/") and e.path.count("/") == 2
        ]
        assert below == [(by_path["/full/sub"].inode, "/full/sub/")] and orphans == -1 and problems == []
        recheck = fs._recheck(problems.append)
        recheck(int(by_path["/empty"].inode), "/empty/")  # type: ignore[arg-type]
        assert problems == []  # pytsk3 finds it empty too
        recheck(int(by_path["/full/a.txt"].inode), "/full/a.txt/")  # type: ignore[arg-type]
        assert [p.where for p in problems] == ["/full/a.txt/"]
        assert problems[0].reason.startswith("directory cannot be read: ")
        entries, below, _ = fs._relist(problems.append)(int(by_path["/full/a.txt"].inode), "/full/a.txt/", -1)  # type: ignore[arg-type]
        assert (
            entries == [] and below == [] and [p.where for p in problems] == ["/full/a.txt/", "/full/a.txt/"]
        )


@pytest.mark.usefixtures("c_walk")
def test_a_read_libtsk_retries_gives_what_pytsk3_gives(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad sector in FAT16's backup FAT, which nobody needs: libtsk's 64 KiB cache read over it
    fails, then it reads the folder's own sectors again and succeeds. The folder is listed through
    pytsk3, as the pytsk3 walk lists it, rather than dropped."""
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "fsstat")
    image = make_fat(
        t, tmp_path / "fat.img", size_kib=20000, fat_bits=16, folders=["full"], files={"full/x.txt": b"hi"}
    )
    backup_fat = int(run(t["fsstat"], image).split("* FAT 1: ")[1].split(" -")[0])
    bad = range(backup_fat * 512, backup_fat * 512 + 512)
    seen = []
    for switch in ("1", "0"):
        monkeypatch.setenv(NATIVE_WALK_SWITCH, switch)
        reader = _Failing(open_image([image]), EvidenceError("sector unreadable"), bad)
        seen.append(_armed_walk(reader))
    (c_paths, c_problems, c_refused), (python_paths, python_problems, _) = seen
    assert c_refused == [None]
    assert "/full/x.txt" in c_paths
    assert c_paths == python_paths and c_problems == python_problems


@pytest.mark.usefixtures("c_walk")
def test_closing_the_tree_ends_a_walk_in_progress(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = _ext4(tools, tmp_path)
    monkeypatch.setenv(NATIVE_WALK_SWITCH, "1")
    tree = TskTree(open_image([image]))
    walking = tree.walk()
    next(walking)
    tree.close()
    with pytest.raises(ValueError, match="closed"):
        list(walking)


def _reference_time(seconds: int, nanoseconds: int) -> datetime | None:
    """What tsk.py's walk through pytsk3 gives for a TSK time."""
    if not seconds:
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(0, seconds, nanoseconds // 1000)
    except OverflowError:
        return None


@pytest.mark.usefixtures("c_walk")
@given(
    seconds=st.one_of(
        st.integers(-(2**63) // 2_000_000, 2**63 // 2_000_000),
        st.integers(-62_135_596_800 - 86_400, -62_135_596_800 + 86_400),  # 0001-01-01
        st.integers(253_402_300_799 - 86_400, 253_402_300_799 + 86_400),  # 9999-12-31
        st.integers(-(2**31), 2**34),
    ),
    nanoseconds=st.one_of(st.integers(0, 999_999_999), st.integers(0, 2**32 - 1)),
)
def test_times_equal_pythons_datetime_arithmetic(seconds: int, nanoseconds: int) -> None:
    from evidence_intake.evidence import _tskwalk

    got = _tskwalk.utc_time(seconds, nanoseconds)
    assert got == _reference_time(seconds, nanoseconds)
    assert got is None or got.tzinfo is UTC


@pytest.mark.usefixtures("c_walk")
def test_c_walk_names_the_libtsk_it_is_built_on() -> None:
    from evidence_intake.evidence import _tskwalk

    version = native_walk()
    assert version == _tskwalk.TSK_VERSION and version is not None and version.count(".") == 2


@pytest.mark.usefixtures("c_walk")
def test_damaged_metadata_never_crashes_the_walk(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes of the superblock, group descriptors, inode table and folders overwritten at random
    (seeded): the C walk ends every time, with entries or problems, and never takes the process down."""
    import random

    t = tools("mkfs.ext4", "mkfs.vfat", "mmd", "mcopy", "mdel")
    files = {f"a/b/f{i}.txt": b"x" * 700 for i in range(20)} | {"c/ไทย.txt": b"t", "top": b"y"}
    ext = make_ext4(t, tmp_path / "ext.img", fill_folder(tmp_path / "src", files), size="1M")
    fat = make_fat(
        t, tmp_path / "fat.img", size_kib=1024, folders=["DCIM"], files={"DCIM/a.jpg": b"j" * 3000}
    )
    monkeypatch.setenv(NATIVE_WALK_SWITCH, "1")
    rng = random.Random(20261128)
    damaged = tmp_path / "damaged.img"
    in_c = 0
    for original in (ext, fat):
        pristine = original.read_bytes()
        for _ in range(150):
            data = bytearray(pristine)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(0, 96 * 1024)] = rng.randrange(256)
            damaged.write_bytes(data)
            try:
                tree = TskTree(open_image([damaged]))
            except EvidenceError:
                continue  # nothing recognisable left: refused when opened, as before any walk
            with tree:
                entries = list(tree.walk())
                assert all(isinstance(e, Entry) for e in entries)
                walked = [fs for fs in tree._filesystems.values() if isinstance(fs, TskFileSystem)]
                in_c += sum(fs.native_refused is None for fs in walked)
    assert in_c > 200  # most damaged images still open, and were walked in C
