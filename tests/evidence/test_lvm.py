"""LVM2 physical volumes made by the real lvm2 tools are read, mapped and refused where they must be.

The kernel here has no device-mapper, so no logical volume is ever activated: the volume group is
written with pvcreate/vgcreate on a loop device, its logical volumes are added to the text that
vgcfgbackup writes and put on disk with vgcfgrestore, and file-system bytes are written straight
into the image at the extents the metadata names. What the reader returns is compared with them.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import pytsk3

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.images import RawImage, TskImage
from evidence_intake.evidence.lvm import (
    LvmPhysicalVolume,
    LvmSegment,
    build_logical_volumes,
    is_lvm_physical_volume,
    parse_metadata,
)
from evidence_intake.evidence.model import ImageReader
from tests.evidence.imaging import fill_folder, make_disk, make_ext4, place, run

Tools = Callable[..., dict[str, str]]
MIB = 1 << 20
LVM_TOOLS = ("losetup", "pvcreate", "vgcreate", "vgcfgbackup", "vgcfgrestore")
# No udev, no monitoring and no backup files under /etc/lvm: only the loop device is written.
CONFIG = (
    "devices { obtain_device_list_from_udev=0 } activation { udev_sync=0 udev_rules=0 monitoring=0 } "
    "backup { backup=0 archive=0 }"
)
Stripes = Sequence[tuple[str, int]]
Segment = tuple[int, int, str, Stripes]  # start extent, extent count, type, stripes


def lvm_tools(tools: Tools) -> dict[str, str]:
    if os.geteuid() != 0:
        pytest.skip("building LVM physical volumes needs root (losetup, pvcreate)")
    return tools("mkfs.ext4", *LVM_TOOLS)


def lvm(t: dict[str, str], tool: str, *args: str) -> str:
    done = subprocess.run(
        [t[tool], "--config", CONFIG, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"},
    )
    if done.returncode != 0:
        raise AssertionError(f"{tool} {' '.join(args)} failed: {done.stderr}")
    return done.stdout


@contextmanager
def attached(t: dict[str, str], images: Sequence[Path]) -> Iterator[list[str]]:
    with ExitStack() as stack:
        devices: list[str] = []
        for image in images:
            device = run(t["losetup"], "-f", "--show", image).strip()
            stack.callback(run, t["losetup"], "-d", device)
            devices.append(device)
        yield devices


def lv_text(name: str, segments: Sequence[Segment], stripe_size: int = 128) -> str:
    lines = [f"{name} {{", f'id = "{lvm_id()}"', 'status = ["READ", "WRITE", "VISIBLE"]', "flags = []"]
    lines.append(f"segment_count = {len(segments)}")
    for number, (start, count, kind, stripes) in enumerate(segments, 1):
        lines += [f"segment{number} {{", f"start_extent = {start}", f"extent_count = {count}"]
        lines.append(f'type = "{kind}"')
        if stripes:
            listed = ", ".join(f'"{pv}", {extent}' for pv, extent in stripes)
            lines += [f"stripe_count = {len(stripes)}", f"stripes = [{listed}]"]
            if len(stripes) > 1:
                lines.append(f"stripe_size = {stripe_size}")
        lines.append("}")
    return "\n".join([*lines, "}"])


def lvm_id() -> str:
    raw = uuid.uuid4().hex
    return "-".join(raw[a:b] for a, b in ((0, 6), (6, 10), (10, 14), (14, 18), (18, 22), (22, 26), (26, 32)))


def make_volume_group(
    t: dict[str, str], tmp_path: Path, volumes: Sequence[str], *, disks: int = 1, mib: int = 64
) -> tuple[str, list[Path], str]:
    """A volume group of 1 MiB extents over ``disks`` images holding ``volumes`` (lv_text blocks).

    Returns its name, the images and the metadata text as vgcfgbackup writes it after the restore.
    """
    name = "ei" + uuid.uuid4().hex[:10]  # tests may run side by side: never the same group name
    images = [tmp_path / f"pv{i}.img" for i in range(disks)]
    for image in images:
        with image.open("wb") as fh:
            fh.truncate(mib * MIB)
    with attached(t, images) as devices:
        for device in devices:
            lvm(t, "pvcreate", "-q", device)
        lvm(t, "vgcreate", "-q", "-s", "1M", name, *devices)
        backup = tmp_path / "vg.txt"
        lvm(t, "vgcfgbackup", "-q", "-f", str(backup), name)
        text = backup.read_text()
        text = re.sub(r"seqno = (\d+)", lambda m: f"seqno = {int(m.group(1)) + 1}", text, count=1)
        end = text.rindex("}")
        text = text[:end] + "logical_volumes {\n" + "\n".join(volumes) + "\n}\n" + text[end:]
        restore = tmp_path / "vg-restore.txt"
        restore.write_text(text)
        lvm(t, "vgcfgrestore", "-f", str(restore), name)
        lvm(t, "vgcfgbackup", "-q", "-f", str(backup), name)
    return name, images, backup.read_text()


def pe_start(metadata: str, pv: str = "pv0") -> int:
    block = metadata[metadata.index(f"{pv} {{") :]
    return int(re.search(r"pe_start = (\d+)", block).group(1)) * 512  # type: ignore[union-attr]


def put(image: Path, offset: int, data: bytes) -> None:
    with image.open("r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def ext4(t: dict[str, str], tmp_path: Path, label: str, files: dict[str, bytes]) -> bytes:
    folder = fill_folder(tmp_path / f"{label}-files", files)
    return make_ext4(t, tmp_path / f"{label}.ext4", folder, size="4M").read_bytes()


def names_in(reader: ImageReader) -> set[str]:
    fs = pytsk3.FS_Info(TskImage(reader))
    return {e.info.name.name.decode() for e in fs.open_dir("/")} - {".", "..", "lost+found", "$OrphanFiles"}


def test_linear_and_out_of_order_segments_read_the_bytes_written(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    root = ext4(t, tmp_path, "root", {"passwd": b"root:x:0:0\n", "notes.txt": b"evidence " * 500})
    home = ext4(t, tmp_path, "home", {"chat.db": os.urandom(300_000), "keys.txt": b"wallet seed\n"})
    volumes = [
        lv_text("root", [(0, 4, "striped", [("pv0", 0)])]),
        # extents 0-1 of home lie at PV extents 6-7 and extents 2-3 before them, at 4-5
        lv_text("home", [(0, 2, "striped", [("pv0", 6)]), (2, 2, "striped", [("pv0", 4)])]),
        lv_text("blank", [(0, 1, "striped", [("pv0", 9)]), (1, 2, "zero", [])]),
    ]
    vg, (image,), metadata = make_volume_group(t, tmp_path, volumes)
    data = pe_start(metadata)
    put(image, data, b"\xee" * 12 * MIB)  # extents 8, 10 and 11 belong to no volume: never read
    put(image, data, root)
    put(image, data + 6 * MIB, home[: 2 * MIB])
    put(image, data + 4 * MIB, home[2 * MIB :])
    put(image, data + 9 * MIB, b"\x5a" * MIB)

    with RawImage([image]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "image")
        assert (pv.vg_name, pv.pv_name, pv.extent_size, pv.pe_start) == (vg, "pv0", MIB, data)
        assert re.search(r'pv0 \{\s*id = "([^"]+)"', metadata).group(1) == pv.pv_id  # type: ignore[union-attr]
        assert re.search(r'\{\s*id = "([^"]+)"', metadata).group(1) == pv.vg_id  # type: ignore[union-attr]
        assert pv.problems == []
        by_name = {lv.name: lv for lv in pv.logical_volumes}
        assert {n: (lv.size, lv.readable) for n, lv in by_name.items()} == {
            "root": (4 * MIB, True),
            "home": (4 * MIB, True),
            "blank": (3 * MIB, True),
        }
        assert by_name["home"].segments == (
            LvmSegment(0, 2, "striped", (("pv0", 6),), None),
            LvmSegment(2, 2, "striped", (("pv0", 4),), None),
        )
        assert "VISIBLE" in by_name["root"].status

        root_lv, home_lv, blank_lv = (pv.open(by_name[n]) for n in ("root", "home", "blank"))
        assert (root_lv.size, root_lv.format, root_lv.paths) == (4 * MIB, "lvm", [image])
        assert root_lv.read_at(0, root_lv.size) == root
        assert home_lv.read_at(0, home_lv.size) == home
        assert home_lv.read_at(2 * MIB - 3000, 7000) == home[2 * MIB - 3000 : 2 * MIB + 4000]
        assert home_lv.read_at(4 * MIB - 10, 100) == home[-10:]  # short only at the end
        assert home_lv.read_at(4 * MIB, 10) == b""
        assert blank_lv.read_at(MIB - 2, 4) == b"\x5a\x5a\x00\x00"
        assert blank_lv.read_at(MIB, 2 * MIB) == bytes(2 * MIB)
        assert names_in(root_lv) == {"passwd", "notes.txt"}
        assert names_in(home_lv) == {"chat.db", "keys.txt"}


def test_stripes_on_the_same_volume_alternate_by_chunk(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    # two stripes of 64 KiB chunks: LV chunk 0 on the first stripe, chunk 1 on the second, ...
    volumes = [lv_text("striped", [(0, 4, "striped", [("pv0", 10), ("pv0", 20)])], stripe_size=128)]
    _, (image,), metadata = make_volume_group(t, tmp_path, volumes)
    content = os.urandom(4 * MIB)
    chunk = 64 * 1024
    first = b"".join(content[i : i + chunk] for i in range(0, len(content), 2 * chunk))
    second = b"".join(content[i + chunk : i + 2 * chunk] for i in range(0, len(content), 2 * chunk))
    put(image, pe_start(metadata) + 10 * MIB, first)
    put(image, pe_start(metadata) + 20 * MIB, second)
    with RawImage([image]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "image")
        (lv,) = pv.logical_volumes
        assert lv.readable and lv.segments[0].stripe_size == 128
        assert pv.open(lv).read_at(0, lv.size) == content
        assert pv.open(lv).read_at(chunk - 5, 2 * chunk + 10) == content[chunk - 5 : 3 * chunk + 5]


def test_volume_with_parts_on_a_disk_not_in_the_exhibit(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    volumes = [
        lv_text("here", [(0, 2, "striped", [("pv0", 0)])]),
        lv_text("across", [(0, 2, "striped", [("pv0", 2)]), (2, 2, "striped", [("pv1", 0)])]),
        lv_text("wide", [(0, 4, "striped", [("pv0", 4), ("pv1", 2)])]),
    ]
    vg, images, metadata = make_volume_group(t, tmp_path, volumes, disks=2, mib=32)
    pv1_id = re.search(r'pv1 \{\s*id = "([^"]+)"', metadata).group(1)  # type: ignore[union-attr]
    with RawImage([images[0]]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "p3")
        lvs = {lv.name: lv for lv in pv.logical_volumes}
        assert (pv.pv_name, lvs["here"].readable, lvs["here"].problem) == ("pv0", True, None)
        for name in ("across", "wide"):
            assert not lvs[name].readable
            assert lvs[name].problem == (
                f"part of it lies on pv1 (uuid {pv1_id}), a physical volume that is not in this "
                "exhibit; acquire every disk of the volume group"
            )
        assert sorted((p.where, p.kind) for p in pv.problems) == [
            ("p3.across", "unreadable"),
            ("p3.wide", "unreadable"),
        ]
        with pytest.raises(EvidenceError, match="logical volume wide cannot be read: part of it lies on pv1"):
            pv.open(lvs["wide"])
    with RawImage([images[1]]) as reader:
        other = LvmPhysicalVolume(reader, 0, reader.size, "image")
        assert (other.pv_name, other.pv_id, other.vg_name) == ("pv1", pv1_id, vg)
        assert {lv.name: lv.readable for lv in other.logical_volumes} == {
            "here": False,
            "across": False,
            "wide": False,
        }


def test_physical_volume_inside_a_partition(tools: Tools, tmp_path: Path) -> None:
    t = {**lvm_tools(tools), **tools("sfdisk")}
    files = {"report.pdf": b"%PDF-1.4 " * 1000}
    content = ext4(t, tmp_path, "data", files)
    _, (pv_image,), metadata = make_volume_group(
        t, tmp_path, [lv_text("data", [(0, 2, "striped", [("pv0", 3)]), (2, 2, "striped", [("pv0", 1)])])]
    )
    put(pv_image, pe_start(metadata) + 3 * MIB, content[: 2 * MIB])
    put(pv_image, pe_start(metadata) + 1 * MIB, content[2 * MIB :])
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 64 * 2048, "8e")], sectors=70 * 2048)
    place(disk, pv_image, 2048)
    with RawImage([disk]) as reader:
        assert not is_lvm_physical_volume(reader.read_at(0, 4096))  # the MBR is not a PV
        assert is_lvm_physical_volume(reader.read_at(2048 * 512, 4096))
        pv = LvmPhysicalVolume(reader, 2048 * 512, 64 * MIB, "p1")
        (lv,) = pv.logical_volumes
        assert pv.open(lv).read_at(0, lv.size) == content
        assert names_in(pv.open(lv)) == set(files)


def test_signature_check(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    _, (image,), _ = make_volume_group(t, tmp_path, [])
    head = image.read_bytes()[:4096]
    assert head[512:520] == b"LABELONE"  # lvm2 writes its label in sector 1
    assert is_lvm_physical_volume(head)
    assert is_lvm_physical_volume(bytes(1536) + head[512:1024] + bytes(2048))  # sector 3 counts too
    assert not is_lvm_physical_volume(bytes(2048) + head[512:1024])  # sector 4 does not
    assert not is_lvm_physical_volume(bytes(4096))
    assert not is_lvm_physical_volume(head[:536] + b"LVM1 001" + head[544:])
    ext = ext4(t, tmp_path, "plain", {"a.txt": b"a"})
    assert not is_lvm_physical_volume(ext[:4096])


def test_volume_group_without_volumes_and_orphan_volume(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    vg, (image,), _ = make_volume_group(t, tmp_path, [])
    with RawImage([image]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "image")
        assert (pv.vg_name, pv.logical_volumes, pv.problems) == (vg, [], [])
    orphan = tmp_path / "orphan.img"
    with orphan.open("wb") as fh:
        fh.truncate(16 * MIB)
    with attached(t, [orphan]) as (device,):
        lvm(t, "pvcreate", "-q", device)
    with RawImage([orphan]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "p2")
        assert (pv.vg_name, pv.pv_name, pv.logical_volumes, len(pv.pv_id)) == ("", "", [], 38)


def lvm_crc(data: bytes) -> int:
    return ~zlib.crc32(data, ~0xF597A6CF & 0xFFFFFFFF) & 0xFFFFFFFF


def test_metadata_text_that_wraps_round_the_area_is_read(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    vg, (image,), _ = make_volume_group(t, tmp_path, [lv_text("root", [(0, 3, "striped", [("pv0", 0)])])])
    raw = bytearray(image.read_bytes()[: 2 * MIB])
    header = raw[4096 : 4096 + 512]
    assert struct.unpack_from("<I", header)[0] == lvm_crc(bytes(header[4:]))  # the checksum lvm2 writes
    start, size = struct.unpack_from("<QQ", header, 24)
    offset, length = struct.unpack_from("<QQ", header, 40)
    text = bytes(raw[start + offset : start + offset + length])
    split = 100  # move the text so that all but its first 100 bytes wrap to the area's start
    new_offset = size - split
    raw[start + new_offset : start + size] = text[:split]
    raw[start + 512 : start + 512 + length - split] = text[split:]
    struct.pack_into("<Q", raw, 4096 + 40, new_offset)
    struct.pack_into("<I", raw, 4096, lvm_crc(bytes(raw[4096 + 4 : 4096 + 512])))
    put(image, 0, bytes(raw))
    with RawImage([image]) as reader:
        pv = LvmPhysicalVolume(reader, 0, reader.size, "image")
        assert (pv.vg_name, [(lv.name, lv.size) for lv in pv.logical_volumes]) == (vg, [("root", 3 * MIB)])


@pytest.mark.parametrize(
    ("offset", "data", "message"),
    [
        (4096 + 4, b"XXXX", r"in p2 of .*pv0\.img: the metadata area at byte 4096 lacks its magic"),
        (4096 + 60, b"\x07", "metadata area header at byte 4096 fails its checksum"),
        (512 + 40, b"\x00", "its label in sector 1 is damaged"),
        (-20, b"#", r"metadata text at byte \d+ fails its checksum"),  # 20 bytes into the text
    ],
)
def test_damage_is_an_evidence_error_naming_the_partition(
    tools: Tools, tmp_path: Path, offset: int, data: bytes, message: str
) -> None:
    t = lvm_tools(tools)
    _, (image,), _ = make_volume_group(t, tmp_path, [lv_text("root", [(0, 3, "striped", [("pv0", 0)])])])
    if offset < 0:
        text_offset = struct.unpack_from("<Q", image.read_bytes()[: 2 * 4096], 4096 + 40)[0]
        offset = 4096 + text_offset - offset
    put(image, offset, data)
    with RawImage([image]) as reader, pytest.raises(EvidenceError, match=message) as caught:
        LvmPhysicalVolume(reader, 0, reader.size, "p2")
    assert caught.value.path == str(image) and caught.value.hint


def test_truncated_image_refuses_the_volumes_beyond_its_end(tools: Tools, tmp_path: Path) -> None:
    t = lvm_tools(tools)
    volumes = [
        lv_text("early", [(0, 2, "striped", [("pv0", 0)])]),
        lv_text("late", [(0, 2, "striped", [("pv0", 40)])]),
    ]
    vg, (image,), metadata = make_volume_group(t, tmp_path, volumes)
    with RawImage([image]) as reader:
        pv = LvmPhysicalVolume(reader, 0, pe_start(metadata) + 20 * MIB, "p2")
        assert {lv.name: lv.readable for lv in pv.logical_volumes} == {"early": True, "late": False}
        late = ("p2.late", "unreadable")
        assert [(p.where, p.kind) for p in pv.problems] == [("p2", "corrupt"), late]
        assert "truncated" in pv.problems[0].reason
        assert (
            pv.problems[1].reason
            == f"logical volume {vg}/late cannot be read: it runs past the end of p2 (truncated?)"
        )


VG_TEXT = """
vg {
    id = "vgid"  # a comment
    seqno = 3
    extent_size = 8192
    physical_volumes {
        pv0 { id = "aaaa" pe_start = 2048 pe_count = 100 }
        pv1 { id = "bbbb" pe_start = 2048 pe_count = 100 }
    }
    logical_volumes {
        %s
    }
}
contents = "Text Format Volume Group"
"""


@pytest.mark.parametrize(
    ("segment", "reason"),
    [
        ('type = "thin" thin_pool = "pool" device_id = 1', "it is a thin volume"),
        ('type = "snapshot" origin = "root" cow_store = "cow" chunk_size = 8', "it is a snapshot"),
        ('type = "raid1" device_count = 2 raids = ["a_rmeta_0", "a_rimage_0"]', "it is a RAID1 volume"),
        ('type = "mirror" mirror_count = 2 mirrors = ["a_mimage_0", 0]', "it is a mirror"),
        ('type = "cache" cache_pool = "cpool" origin = "a_corig"', "it is a cached volume"),
        ('type = "raid5_ls" device_count = 3', "it is a raid5_ls volume"),
        ('type = "striped" stripe_count = 1 stripes = ["pv1", 0]', "part of it lies on pv1 (uuid bbbb)"),
        ('type = "striped" stripe_count = 1 stripes = ["pv7", 0]', "part of it lies on pv7 (uuid unknown)"),
        ('type = "striped" stripe_count = 1 stripes = ["pv0", 99]', "it runs past the 100 extents of pv0"),
        ('type = "striped" stripe_count = 2 stripes = ["pv0", 0]', "its metadata is damaged: segment1 does"),
        ('type = "flux" ', "its segment type 'flux' is not one"),
    ],
)
def test_volumes_this_reader_cannot_map_say_why(segment: str, reason: str) -> None:
    lv = 'a { id = "x" status = ["READ", "VISIBLE"] segment_count = 1 '
    lv += f"segment1 {{ start_extent = 0 extent_count = 2 {segment} }} }}"
    vg = parse_metadata(VG_TEXT % lv)["vg"]
    assert isinstance(vg, dict)
    (volume,) = build_logical_volumes(vg, "pv0")
    assert not volume.readable and volume.problem is not None and volume.problem.startswith(reason)


def test_metadata_parser() -> None:
    text = VG_TEXT % lv_text("gap", [(0, 2, "striped", [("pv0", 0)]), (5, 1, "zero", [])])
    parsed = parse_metadata(text)
    assert parsed["contents"] == "Text Format Volume Group"
    vg = parsed["vg"]
    assert isinstance(vg, dict) and vg["seqno"] == 3 and vg["id"] == "vgid"
    assert vg["physical_volumes"] == {
        "pv0": {"id": "aaaa", "pe_start": 2048, "pe_count": 100},
        "pv1": {"id": "bbbb", "pe_start": 2048, "pe_count": 100},
    }
    (gap,) = build_logical_volumes(vg, "pv0")
    assert (gap.readable, gap.problem) == (False, "extents 2 to 4 of it are mapped by no segment")
    overlap = lv_text("twice", [(0, 2, "striped", [("pv0", 0)]), (1, 1, "striped", [("pv0", 5)])])
    vg = parse_metadata(VG_TEXT % overlap)["vg"]
    assert isinstance(vg, dict)
    (twice,) = build_logical_volumes(vg, "pv0")
    assert twice.problem == "its metadata is damaged: two segments claim extent 1"
    assert parse_metadata('a = [ "x\\"y", -1, 2.5, ]\nb = []') == {"a": ['x"y', -1, 2.5], "b": []}
    with pytest.raises(ValueError, match="line 3: a section is not closed"):
        parse_metadata("vg {\n  a = 1\n")
    with pytest.raises(ValueError, match="line 2: expected = or"):
        parse_metadata("x = 1\nvg ] 2")
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_metadata("a { " * 40 + "}" * 40)


def test_the_evidence_tree_walks_the_file_systems_of_logical_volumes(tools: Tools, tmp_path: Path) -> None:
    """A disk whose partition is an LVM physical volume: each logical volume is a volume of the tree
    ("p1.root"), its file system walked, looked up and read like any partition's."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    t = {**lvm_tools(tools), **tools("sfdisk")}
    root = ext4(t, tmp_path, "root", {"passwd": b"root:x:0:0\n"})
    home = ext4(t, tmp_path, "home", {"keys.txt": b"wallet seed\n", "chat.db": os.urandom(100_000)})
    volumes = [
        lv_text("root", [(0, 4, "striped", [("pv0", 0)])]),
        lv_text("home", [(0, 2, "striped", [("pv0", 7)]), (2, 2, "striped", [("pv0", 4)])]),
        lv_text("blank", [(0, 2, "zero", [])]),
    ]
    vg, (pv_image,), metadata = make_volume_group(t, tmp_path, volumes)
    data = pe_start(metadata)
    put(pv_image, data, root)
    put(pv_image, data + 7 * MIB, home[: 2 * MIB])
    put(pv_image, data + 4 * MIB, home[2 * MIB :])
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 64 * 2048, "8e")], sectors=70 * 2048)
    place(disk, pv_image, 2048)
    with TskTree(open_image([disk])) as tree:
        assert [(v.name, v.filesystem) for v in tree.volumes()] == [
            ("p1", "lvm"),
            ("p1.root", "ext4"),
            ("p1.home", "ext4"),
            ("p1.blank", None),
        ]
        assert (
            f"volume group {vg}, logical volumes p1.root, p1.home, p1.blank" in tree.volumes()[0].description
        )
        files = {e.location: e for e in tree.walk() if e.type.value == "file" and "lost+found" not in e.path}
        assert set(files) == {"p1.root:/passwd", "p1.home:/keys.txt", "p1.home:/chat.db"}
        assert [(p.where, p.reason) for p in tree.problems] == [
            ("p1.blank", "no file system: the first 1 MiB are zeros (empty or wiped)")
        ]
        found = tree.lookup("p1.home:/keys.txt")
        assert found is not None and found.filesystem == "ext4"
        with tree.open(found) as stream:
            assert stream.read() == b"wallet seed\n"
        with tree.open(files["p1.home:/chat.db"]) as stream:
            assert len(stream.read()) == 100_000


def test_a_volume_that_maps_onto_its_own_label_does_not_send_the_walk_round_forever(
    tools: Tools, tmp_path: Path
) -> None:
    """Metadata edited so that the data area starts at byte 0: the logical volume begins with the very
    label that describes it, which holds a physical volume, which holds it again… The tree stops at
    once: a logical volume never opens the physical volume it lies on."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    t = lvm_tools(tools)
    _, (image,), _ = make_volume_group(t, tmp_path, [lv_text("loop", [(0, 4, "striped", [("pv0", 0)])])])
    raw = bytearray(image.read_bytes()[: 2 * MIB])
    start, _ = struct.unpack_from("<QQ", raw, 4096 + 24)
    offset, length = struct.unpack_from("<QQ", raw, 4096 + 40)
    text = bytes(raw[start + offset : start + offset + length])
    edited = re.sub(rb"pe_start = \d+", lambda m: b"pe_start = " + b"0" * (len(m.group()) - 11), text)
    assert edited != text and len(edited) == len(text)
    raw[start + offset : start + offset + length] = edited
    struct.pack_into("<I", raw, 4096 + 56, lvm_crc(edited))
    struct.pack_into("<I", raw, 4096, lvm_crc(bytes(raw[4096 + 4 : 4096 + 512])))
    put(image, 0, bytes(raw))
    with TskTree(open_image([image])) as tree:
        names = [v.name for v in tree.volumes()]
        assert names == ["", "loop"]
        problem = tree.volumes()[-1].problem
        assert problem is not None and problem.where == "loop"
        assert problem.reason.startswith("a logical volume that holds the LVM physical volume")
        assert problem.reason.endswith("it lies on (damaged or crafted metadata): not followed")
        assert list(tree.walk()) == []


def test_a_volume_name_already_taken_is_refused_and_said(tools: Tools, tmp_path: Path) -> None:
    """LVM allows dots in names: logical volume "a.b" and volume "b" of a physical volume inside volume
    "a" would both be "a.b". The one met second is not opened, and a problem says so, instead of one
    file system silently hiding the other."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    t = lvm_tools(tools)
    inner_dir, outer_dir = tmp_path / "inner", tmp_path / "outer"
    inner_dir.mkdir()
    outer_dir.mkdir()
    _, (inner,), inner_meta = make_volume_group(
        t, inner_dir, [lv_text("b", [(0, 4, "striped", [("pv0", 0)])])], mib=8
    )
    put(inner, pe_start(inner_meta), ext4(t, inner_dir, "hidden", {"inner.txt": b"inner"}))
    _, (outer,), outer_meta = make_volume_group(
        t,
        outer_dir,
        [lv_text("a", [(0, 8, "striped", [("pv0", 0)])]), lv_text("a.b", [(0, 4, "striped", [("pv0", 8)])])],
    )
    put(outer, pe_start(outer_meta), inner.read_bytes())
    put(outer, pe_start(outer_meta) + 8 * MIB, ext4(t, outer_dir, "dotted", {"dotted.txt": b"dotted"}))
    with TskTree(open_image([outer])) as tree:
        assert [(v.name, v.filesystem) for v in tree.volumes()] == [
            ("", "lvm"),
            ("a", "lvm"),
            ("a.b", "ext4"),
        ]
        files = {e.location for e in tree.walk() if e.type.value == "file"}
        assert files == {"a.b:/dotted.txt"}  # the first volume to take the name keeps it
        [refused] = [p for p in tree.problems if p.where == "a.b"]
        assert refused.reason.startswith("LVM logical volume ") and refused.reason.endswith(
            "/b has the name of another volume of this image: not opened"
        )


def test_a_volume_group_over_two_partitions_of_one_disk_is_read_across_both(
    tools: Tools, tmp_path: Path
) -> None:
    """pvcreate sda2 sda3, vgextend, lvextend: volume "data" starts on the first partition and goes on
    on the second; "home" lies wholly on the second. Both read, nothing is reported missing."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    t = {**lvm_tools(tools), **tools("sfdisk")}
    folder = fill_folder(tmp_path / "data-files", {"ledger.bin": os.urandom(5 * MIB)})
    data = make_ext4(t, tmp_path / "data.ext4", folder, size="8M").read_bytes()
    home = ext4(t, tmp_path, "home", {"notes.txt": b"home notes"})
    volumes = [
        lv_text("data", [(0, 4, "striped", [("pv0", 0)]), (4, 4, "striped", [("pv1", 0)])]),
        lv_text("home", [(0, 4, "striped", [("pv1", 4)])]),
    ]
    _, images, metadata = make_volume_group(t, tmp_path, volumes, disks=2, mib=16)
    put(images[0], pe_start(metadata, "pv0"), data[: 4 * MIB])
    put(images[1], pe_start(metadata, "pv1"), data[4 * MIB :])
    put(images[1], pe_start(metadata, "pv1") + 4 * MIB, home)
    sectors = 16 * 2048
    disk = make_disk(
        t, tmp_path / "server.img", "dos", [(2048, sectors, "8e"), (2048 + sectors, sectors, "8e")],
        sectors=2 * sectors + 4096,
    )  # fmt: skip
    place(disk, images[0], 2048)
    place(disk, images[1], 2048 + sectors)
    with TskTree(open_image([disk])) as tree:
        assert [(v.name, v.filesystem) for v in tree.volumes()] == [
            ("p1", "lvm"),
            ("p2", "lvm"),
            ("p1.data", "ext4"),
            ("p2.home", "ext4"),
        ]
        assert tree.volumes()[0].description.endswith("logical volumes p1.data, p2.home")
        found = {e.location: e for e in tree.walk() if e.type.value == "file"}
        assert set(found) == {"p1.data:/ledger.bin", "p2.home:/notes.txt"}
        assert tree.problems == []
        with tree.open(found["p1.data:/ledger.bin"]) as stream:
            assert len(stream.read()) == 5 * MIB


def _rewrite_metadata(image: Path, change: Callable[[bytes], bytes]) -> None:
    """Edit a PV's metadata text in place (same length) and fix its checksums, as lvm2 computes them."""
    raw = bytearray(image.read_bytes()[: 2 * MIB])
    start, _ = struct.unpack_from("<QQ", raw, 4096 + 24)
    offset, length = struct.unpack_from("<QQ", raw, 4096 + 40)
    text = bytes(raw[start + offset : start + offset + length])
    edited = change(text)
    assert edited != text and len(edited) == len(text)
    raw[start + offset : start + offset + length] = edited
    struct.pack_into("<I", raw, 4096 + 56, lvm_crc(edited))
    struct.pack_into("<I", raw, 4096, lvm_crc(bytes(raw[4096 + 4 : 4096 + 512])))
    put(image, 0, bytes(raw))


def test_physical_volumes_are_matched_by_uuid_never_by_a_stale_name(tools: Tools, tmp_path: Path) -> None:
    """Disk B left the volume group and a new disk took its name "pv1"; the exhibit holds disk A (newest
    metadata) and the old disk B. Volume "home", now on the new pv1, must not be read from B."""
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    t = lvm_tools(tools)
    volumes = [
        lv_text("root", [(0, 4, "striped", [("pv0", 0)])]),
        lv_text("home", [(0, 4, "striped", [("pv1", 0)])]),
    ]
    _, (disk_a, disk_b), metadata = make_volume_group(t, tmp_path, volumes, disks=2, mib=16)
    put(disk_b, pe_start(metadata, "pv1"), ext4(t, tmp_path, "old", {"stale.txt": b"from the old disk"}))
    old_id = re.search(r'pv1 \{\s*id = "([^"]+)"', metadata).group(1).encode()  # type: ignore[union-attr]
    new_id = lvm_id().encode()

    def replaced(text: bytes) -> bytes:
        text = text.replace(old_id, new_id)
        return re.sub(rb"seqno = (\d+)", lambda m: b"seqno = " + b"9" * len(m.group(1)), text, count=1)

    _rewrite_metadata(disk_a, replaced)
    sectors = 16 * 2048
    disk = make_disk(
        {**t, **tools("sfdisk")}, tmp_path / "server.img", "dos",
        [(2048, sectors, "8e"), (2048 + sectors, sectors, "8e")], sectors=2 * sectors + 4096,
    )  # fmt: skip
    place(disk, disk_a, 2048)
    place(disk, disk_b, 2048 + sectors)
    with TskTree(open_image([disk])) as tree:
        files = {e.location for e in tree.walk() if e.type.value == "file"}
        assert not any("stale.txt" in f for f in files)
        reasons = {p.where: p.reason for p in tree.problems}
        assert "is no longer in volume group" in reasons["p2"]
        assert f"part of it lies on pv1 (uuid {new_id.decode()})" in reasons["p1.home"]


def test_two_copies_of_one_physical_volume_are_each_read(tools: Tools, tmp_path: Path) -> None:
    t = {**lvm_tools(tools), **tools("sfdisk")}
    _, (pv,), metadata = make_volume_group(
        t, tmp_path, [lv_text("data", [(0, 4, "striped", [("pv0", 0)])])], mib=16
    )
    copy = tmp_path / "copy.img"
    put(pv, pe_start(metadata), ext4(t, tmp_path, "a", {"a.txt": b"copy A"}))
    copy.write_bytes(pv.read_bytes())
    put(copy, pe_start(metadata), ext4(t, tmp_path, "b", {"b.txt": b"copy B"}))
    sectors = 16 * 2048
    disk = make_disk(
        t, tmp_path / "d.img", "dos", [(2048, sectors, "8e"), (2048 + sectors, sectors, "8e")],
        sectors=2 * sectors + 4096,
    )  # fmt: skip
    place(disk, pv, 2048)
    place(disk, copy, 2048 + sectors)
    from evidence_intake.evidence.images import open_image
    from evidence_intake.evidence.tsk import TskTree

    with TskTree(open_image([disk])) as tree:
        files = {e.location for e in tree.walk() if e.type.value == "file"}
        assert files == {"p1.data:/a.txt", "p2.data:/b.txt"}
        [problem] = [p for p in tree.problems if p.where == "p2"]
        assert problem.reason.endswith("is also in p1 (a copy?): each copy is read on its own")
