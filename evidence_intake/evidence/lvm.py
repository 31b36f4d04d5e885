"""Read Linux LVM2 physical volumes read-only, from the on-disk format, and their logical volumes.

A seized Linux server or desktop often keeps its file systems in LVM logical volumes, which no
partition table shows: the partition holds a physical volume (PV) whose label points to a
metadata area, and that area holds the volume group's description as text. This module reads the
label, checks every checksum, parses the text with a small tolerant parser (never ``eval``) and
maps each logical volume's bytes through its segments onto the PV, so The Sleuth Kit can open the
file system inside. It is written from the format because libvslvm's current release fails on a
logical volume with more than one segment, which is what any volume that was ever extended has.

Nothing is written and nothing is activated; the metadata read is bounded by its metadata area.
Volumes this reader cannot map faithfully (thin, snapshot, RAID, cache, or with parts on a disk
that is not in the exhibit) are listed with ``readable`` False and the reason in plain English.
"""

from __future__ import annotations

import bisect
import itertools
import re
import struct
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.model import ImageReader, Problem

LVM_LABEL = b"LABELONE"
LVM_TYPE = b"LVM2 001"
MDA_MAGIC = b" LVM2 x[5A%r0N*>"
SECTOR = 512
_INITIAL_CRC = 0xF597A6CF
_RAW_LOCN_IGNORED = 0x1
_LINEAR = ("striped", "linear")
_UNSUPPORTED = {
    "thin": "it is a thin volume, whose blocks live in a thin pool mapped by the pool's own B-trees",
    "thin-pool": "it is a thin pool, whose data is only meaningful through the thin volumes in it",
    "snapshot": "it is a snapshot: its origin plus copy-on-write changes this reader does not merge; "
    "read the origin volume for the current data",
    "mirror": "it is a mirror; read one of its hidden _mimage_ volumes instead, which hold whole copies",
    "raid1": "it is a RAID1 volume; read one of its hidden _rimage_ volumes instead, which hold whole copies",
    "cache": "it is a cached volume: newer blocks may sit in the cache; its hidden _corig volume holds "
    "the origin without them",
    "writecache": "it is a write-cached volume: newer blocks may sit in the cache, which this reader "
    "does not merge",
    "vdo": "it is a VDO volume (deduplicated and compressed), which this reader does not decode",
    "error": "it is mapped to the error target: LVM itself fails every read of it",
}

ConfigValue: TypeAlias = "int | float | str | list[ConfigValue] | dict[str, ConfigValue]"
ConfigSection: TypeAlias = "dict[str, ConfigValue]"

_TOKEN = re.compile(
    r'(?P<space>\s+)|(?P<comment>#[^\n]*)|(?P<string>"(?:[^"\\]|\\.)*")'
    r'|(?P<punct>[{}\[\]=,])|(?P<word>[^\s{}\[\]=,"#]+)',
    re.DOTALL,
)
_MAX_DEPTH = 16
_MAX_TEXT = 4 << 20  # real metadata is a few KiB; a volume group of thousands of volumes needs about 1 MiB
_UUID_CUTS = (0, 6, 10, 14, 18, 22, 26, 32)


def is_lvm_physical_volume(head: bytes) -> bool:
    """True when ``head`` (the first 4096 bytes of a partition) carries an LVM2 label in sectors 0-3."""
    for start in range(0, 4 * SECTOR, SECTOR):
        sector = head[start : start + SECTOR]
        if sector[:8] == LVM_LABEL and sector[24:32] == LVM_TYPE:
            return True
    return False


def _crc(data: bytes) -> int:
    """LVM's CRC-32: the usual polynomial, its own initial value and no final inversion."""
    return ~zlib.crc32(data, ~_INITIAL_CRC & 0xFFFFFFFF) & 0xFFFFFFFF


class _Tokens:
    """The significant tokens of metadata text, found as they are needed, never all held at once."""

    def __init__(self, text: str) -> None:
        self._found = (m for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment"))
        self.at = 0  # where the token taken last starts
        self._next = self._advance()

    def _advance(self) -> tuple[str, str, int] | None:
        match = next(self._found, None)
        return None if match is None else (match.lastgroup or "", match.group(), match.start())

    def take(self) -> tuple[str, str, int] | None:
        token = self._next
        if token is not None:
            self.at = token[2]
            self._next = self._advance()
        return token


def parse_metadata(text: str) -> ConfigSection:
    """The sections and values of LVM metadata text; ValueError (with a line number) when malformed."""
    tokens = _Tokens(text)

    def fail(what: str, at: int | None = None) -> ValueError:
        where = tokens.at if at is None else at
        return ValueError(f"line {text.count(chr(10), 0, where) + 1}: {what}")

    def scalar(kind: str, value: str) -> int | float | str:
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
        for convert in (int, float):
            try:
                return convert(value)
            except ValueError:
                pass
        return value

    def value_list() -> list[ConfigValue]:
        items: list[ConfigValue] = []
        while (token := tokens.take()) is not None:
            kind, value, _ = token
            if value == "]":
                return items
            if value != ",":
                if kind not in ("word", "string"):
                    raise fail(f"unexpected {value!r} in a list")
                items.append(scalar(kind, value))
        raise fail("a list is not closed with ]", len(text))

    def section(depth: int, closed: bool) -> ConfigSection:
        if depth > _MAX_DEPTH:
            raise fail("sections nested too deeply")
        result: ConfigSection = {}
        while (token := tokens.take()) is not None:
            kind, value, _ = token
            if value == "}" and closed:
                return result
            if kind not in ("word", "string"):
                raise fail(f"expected a name, found {value[:20]!r}")
            name = str(scalar(kind, value))
            separator = tokens.take()
            if separator is not None and separator[1] == "{":
                result[name] = section(depth + 1, True)
            elif separator is not None and separator[1] == "=":
                token = tokens.take()
                if token is None:
                    raise fail(f"expected a value after {name} =")
                kind, value, _ = token
                if value == "[":
                    result[name] = value_list()
                elif kind in ("word", "string"):
                    result[name] = scalar(kind, value)
                else:
                    raise fail(f"expected a value after {name} =")
            else:
                raise fail(f"expected = or {{ after {name!r}")
        if closed:
            raise fail("a section is not closed with }", len(text))
        return result

    return section(0, False)


@dataclass(frozen=True)
class LvmSegment:
    """Extents ``start_extent`` onwards of a logical volume, and where they lie."""

    start_extent: int
    extent_count: int
    type: str
    stripes: tuple[tuple[str, int], ...] = ()  # (pv name, first extent on that PV)
    stripe_size: int | None = None  # in 512-byte sectors, for more than one stripe


@dataclass(frozen=True)
class LvmLogicalVolume:
    """A logical volume; ``problem`` says in plain English why it cannot be read, when it cannot."""

    name: str
    id: str
    size: int  # bytes
    segments: tuple[LvmSegment, ...]
    status: tuple[str, ...]
    readable: bool
    problem: str | None = None


def _number(section: ConfigSection, key: str, where: str) -> int:
    value = section.get(key)
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{where} has no valid {key}")
    return value


def _segment(lv: ConfigSection, index: int) -> LvmSegment:
    where = f"segment{index}"
    seg = lv.get(where)
    if not isinstance(seg, dict):
        raise ValueError(f"{where} is missing")
    kind = seg.get("type")
    if not isinstance(kind, str):
        raise ValueError(f"{where} has no type")
    stripes: list[tuple[str, int]] = []
    stripe_size = None
    if kind in _LINEAR:
        raw = seg.get("stripes")
        count = _number(seg, "stripe_count", where)
        if not isinstance(raw, list) or len(raw) != 2 * count or count == 0:
            raise ValueError(f"{where} does not list its {count} stripe(s)")
        for name, start in zip(raw[::2], raw[1::2], strict=True):
            if not isinstance(name, str) or not isinstance(start, int) or start < 0:
                raise ValueError(f"{where} has a malformed stripe {name!r}, {start!r}")
            stripes.append((name, start))
        if count > 1:
            stripe_size = _number(seg, "stripe_size", where)
            if stripe_size == 0 or _number(seg, "extent_count", where) % count:
                raise ValueError(f"{where} has an impossible stripe layout")
    extents = (_number(seg, "start_extent", where), _number(seg, "extent_count", where))
    return LvmSegment(extents[0], extents[1], kind, tuple(stripes), stripe_size)


def _why_unreadable(
    segments: list[LvmSegment], vg: ConfigSection, present: Collection[str], extent_size: int
) -> str | None:
    pvs = vg.get("physical_volumes")
    pvs = pvs if isinstance(pvs, dict) else {}
    expected = 0
    for seg in segments:
        if seg.start_extent < expected:
            return f"its metadata is damaged: two segments claim extent {seg.start_extent}"
        if seg.start_extent > expected:
            return f"extents {expected} to {seg.start_extent - 1} of it are mapped by no segment"
        expected += seg.extent_count
        if seg.type in _UNSUPPORTED or seg.type.startswith(("raid", "cache")):
            return _UNSUPPORTED.get(seg.type, f"it is a {seg.type} volume, which this reader cannot assemble")
        if seg.type == "zero":
            continue
        if seg.type not in _LINEAR:
            return f"its segment type {seg.type!r} is not one this reader knows"
        if seg.stripe_size is not None and (extent_size // SECTOR) % seg.stripe_size:
            return "its stripe size does not divide the extent size"
        for name, start in seg.stripes:
            other = pvs.get(name)
            if name not in present:
                uuid = other.get("id") if isinstance(other, dict) else None
                return (
                    f"part of it lies on {name} (uuid {uuid or 'unknown'}), a physical volume that is "
                    "not in this exhibit; acquire every disk of the volume group"
                )
            pe_count = other.get("pe_count") if isinstance(other, dict) else None
            if isinstance(pe_count, int) and start + seg.extent_count // len(seg.stripes) > pe_count:
                return f"it runs past the {pe_count} extents of {name}"
    return None


def build_logical_volumes(vg: ConfigSection, pv_name: str | Collection[str]) -> list[LvmLogicalVolume]:
    """The logical volumes a volume group section describes, judged as seen from the PVs present
    (``pv_name``: one, or the names of all those found in the exhibit)."""
    present = {pv_name} if isinstance(pv_name, str) else set(pv_name)
    extent_size = _number(vg, "extent_size", "the volume group") * SECTOR
    lvs = vg.get("logical_volumes")
    result: list[LvmLogicalVolume] = []
    for name, lv in (lvs if isinstance(lvs, dict) else {}).items():
        if not isinstance(lv, dict):
            continue
        raw_status = lv.get("status")
        status = tuple(s for s in raw_status if isinstance(s, str)) if isinstance(raw_status, list) else ()
        lv_id = str(lv.get("id", ""))
        try:
            count = _number(lv, "segment_count", "it")
            segments = sorted((_segment(lv, i) for i in range(1, count + 1)), key=lambda s: s.start_extent)
        except ValueError as exc:
            result.append(
                LvmLogicalVolume(name, lv_id, 0, (), status, False, f"its metadata is damaged: {exc}")
            )
            continue
        size = sum(seg.extent_count for seg in segments) * extent_size
        problem = _why_unreadable(segments, vg, present, extent_size)
        result.append(LvmLogicalVolume(name, lv_id, size, tuple(segments), status, problem is None, problem))
    return result


class LvmPhysicalVolume:
    """One LVM2 physical volume at ``offset`` (``size`` bytes) of an image.

    ``where`` is the partition's name ("p2"), or "" for an image that holds the PV alone; logical
    volumes are named after it as the tree names them (``volume_name``: "p2.root", or "root").
    """

    def __init__(self, reader: ImageReader, offset: int, size: int, where: str) -> None:
        self._reader = reader
        self._offset = offset
        self.size = size
        self.where = where
        self.problems: list[Problem] = []
        self.vg_name = self.vg_id = self.pv_name = ""
        self.metadata: ConfigSection = {}
        self.seqno = 0
        self.extent_size = self.pe_start = 0
        self.logical_volumes: list[LvmLogicalVolume] = []
        sector = self._label(self._read(0, 4 * SECTOR))
        uuid_at = struct.unpack_from("<I", sector, 20)[0]
        if not 32 <= uuid_at <= SECTOR - 56:
            raise self._error("its label points outside the label sector")
        uuid = sector[uuid_at : uuid_at + 32].decode("ascii", "replace")
        self.pv_id = "-".join(uuid[a:b] for a, b in itertools.pairwise(_UUID_CUTS))
        (device_size,) = struct.unpack_from("<Q", sector, uuid_at + 32)
        lists: list[list[tuple[int, int]]] = [[], []]
        at = uuid_at + 40
        for areas in lists:  # data areas, then metadata areas, each list ended by a zero pair
            while (area := struct.unpack_from("<QQ", sector, at) if at + 16 <= SECTOR else None) != (0, 0):
                if area is None:
                    raise self._error("its label's lists of areas are not terminated")
                areas.append(area)
                at += 16
            at += 16
        if device_size > size:
            reason = (
                f"the physical volume is {device_size} bytes but only {size} are in the image (truncated?)"
            )
            self.problems.append(self._problem(reason, "corrupt"))
        if not lists[1]:
            reason = (
                "the physical volume holds no copy of its volume group's metadata; read it with the others"
            )
            self.problems.append(self._problem(reason, "unsupported"))
        found: list[tuple[str, ConfigSection]] = []
        failures: list[EvidenceError] = []
        for area in lists[1]:
            try:
                if (vg := self._metadata(area)) is not None:
                    found.append(vg)
            except EvidenceError as exc:
                failures.append(exc)
        if failures and not found:
            raise failures[0]
        self.problems += [
            self._problem(f"{exc.message}; another copy was used", "corrupt") for exc in failures
        ]
        if found:  # otherwise a PV in no volume group: nothing is mapped
            self._load(*max(found, key=lambda vg: _seqno(vg[1])), uuid)

    def _error(self, what: str) -> EvidenceError:
        path = self._reader.paths[0] if self._reader.paths else None
        return EvidenceError(
            f"the LVM physical volume in {self.where + ' of ' if self.where else ''}{path}: {what}",
            path=path,
            hint="the image may be damaged or incomplete; verify its hash, then read this partition "
            "with another tool or from another copy",
        )

    def _problem(self, reason: str, kind: str = "unreadable", where: str = "") -> Problem:
        return Problem(where=where or self.where or "image", reason=reason, kind=kind)

    def volume_name(self, lv: LvmLogicalVolume) -> str:
        """The name of a logical volume's file system in the tree: "p2.root", or "root" for a bare PV."""
        return f"{self.where}.{lv.name}" if self.where else lv.name

    def _read(self, offset: int, size: int) -> bytes:
        if offset + size > self.size:
            raise self._error(f"it needs bytes {offset} to {offset + size}, past the partition's end")
        data = self._reader.read_at(self._offset + offset, size)
        if len(data) != size:
            raise self._error(f"the image ends within it, at byte {offset + len(data)}")
        return data

    def _label(self, head: bytes) -> bytes:
        for start in range(0, 4 * SECTOR, SECTOR):
            sector = head[start : start + SECTOR]
            if sector[:8] != LVM_LABEL:
                continue
            number, checksum = struct.unpack_from("<QI", sector, 8)
            if number != start // SECTOR or checksum != _crc(sector[20:]) or sector[24:32] != LVM_TYPE:
                raise self._error(
                    f"its label in sector {start // SECTOR} is damaged (checksum or type wrong)"
                )
            return sector
        raise self._error("it carries no LVM2 label in its first four sectors")

    def _metadata(self, area: tuple[int, int]) -> tuple[str, ConfigSection] | None:
        """The volume group in one metadata area, or None when the area holds none."""
        mda_start, mda_size = area
        header = self._read(mda_start, SECTOR)
        if header[4:20] != MDA_MAGIC:
            raise self._error(f"the metadata area at byte {mda_start} lacks its magic (overwritten?)")
        if struct.unpack_from("<I", header)[0] != _crc(header[4:]):
            raise self._error(f"the metadata area header at byte {mda_start} fails its checksum")
        version, start, length = struct.unpack_from("<IQQ", header, 20)
        if version != 1 or start != mda_start or length != mda_size:
            raise self._error(f"the metadata area header at byte {mda_start} does not match the label")
        offset, text_size, checksum, flags = struct.unpack_from("<QQII", header, 40)
        if (offset, text_size) == (0, 0) or flags & _RAW_LOCN_IGNORED:
            return None
        if not SECTOR <= offset < mda_size or text_size > min(mda_size - SECTOR, _MAX_TEXT):
            raise self._error(f"the metadata area at byte {mda_start} points outside itself")
        first = min(text_size, mda_size - offset)  # the text wraps round to the area's start
        raw = self._read(mda_start + offset, first) + self._read(mda_start + SECTOR, text_size - first)
        if _crc(raw) != checksum:
            raise self._error(f"the metadata text at byte {mda_start + offset} fails its checksum")
        try:
            parsed = parse_metadata(raw.split(b"\0", 1)[0].decode("utf-8", "replace"))
        except ValueError as exc:
            raise self._error(f"the metadata text at byte {mda_start + offset} is malformed ({exc})") from exc
        vgs = [(k, v) for k, v in parsed.items() if isinstance(v, dict) and "physical_volumes" in v]
        if len(vgs) != 1:
            raise self._error("its metadata text describes no single volume group")
        return vgs[0]

    def _load(self, vg_name: str, vg: ConfigSection, uuid: str) -> None:
        pvs = vg["physical_volumes"]
        assert isinstance(pvs, dict)
        names = [
            k for k, v in pvs.items() if isinstance(v, dict) and str(v.get("id")).replace("-", "") == uuid
        ]
        if len(names) != 1:
            raise self._error(f"the metadata of volume group {vg_name} does not list this physical volume")
        pv = pvs[names[0]]
        assert isinstance(pv, dict)
        try:
            self.extent_size = _number(vg, "extent_size", "the volume group") * SECTOR
            self.pe_start = _number(pv, "pe_start", names[0]) * SECTOR
            volumes = build_logical_volumes(vg, names[0])
        except ValueError as exc:
            raise self._error(f"the metadata of volume group {vg_name} is damaged: {exc}") from exc
        if self.extent_size == 0:
            raise self._error(f"the metadata of volume group {vg_name} gives an extent size of 0")
        self.vg_name, self.vg_id, self.pv_name = vg_name, str(vg.get("id", "")), names[0]
        self.metadata, self.seqno = vg, _seqno(vg)
        for lv in volumes:
            ends = [
                self._physical(start, seg.extent_count // len(seg.stripes) * self.extent_size)
                for seg in lv.segments
                for _, start in seg.stripes
            ]
            if lv.readable and max(ends, default=0) > self.size:
                end = self.where or "the image"
                lv = replace(lv, readable=False, problem=f"it runs past the end of {end} (truncated?)")
            if lv.problem:  # a kind of volume not mapped here, or one whose bytes are not all here
                known = all(seg.type in (*_LINEAR, "zero") for seg in lv.segments)
                kind = "unreadable" if known else "unsupported"
                reason = f"logical volume {vg_name}/{lv.name} cannot be read: {lv.problem}"
                self.problems.append(self._problem(reason, kind, self.volume_name(lv)))
            self.logical_volumes.append(lv)

    def _physical(self, extent: int, offset: int) -> int:
        """The byte (from the PV's start) ``offset`` bytes into the physical extent ``extent``."""
        return self.pe_start + extent * self.extent_size + offset

    def open(self, lv: LvmLogicalVolume) -> ImageReader:
        """A read-only reader over the bytes of ``lv``; EvidenceError when it cannot be read."""
        if lv not in self.logical_volumes:
            raise self._error(f"logical volume {lv.name} is not in volume group {self.vg_name}")
        if not lv.readable:
            raise self._error(f"logical volume {lv.name} cannot be read: {lv.problem}")
        return _LogicalVolumeReader({self.pv_name: self}, lv, self.extent_size)


class LvmVolumeGroup:
    """The physical volumes of one volume group found in an exhibit, and the logical volumes they hold.

    A volume group often spans several partitions or disks; a logical volume extended onto a second
    one is read across both when both are in the exhibit. The newest copy of the metadata (highest
    seqno) describes the group.
    """

    def __init__(self, pvs: Sequence[LvmPhysicalVolume]) -> None:
        newest = max(pvs, key=lambda pv: pv.seqno)
        self.name, self.id, self.extent_size = newest.vg_name, newest.vg_id, newest.extent_size
        self.problems: list[Problem] = []
        self.logical_volumes: list[LvmLogicalVolume] = []
        # The newest metadata names the physical volumes ("pv1"); each is matched to a volume found here
        # by its uuid, never by the name an older copy of the metadata gave it (a disk replaced later
        # may have taken that name).
        listed = newest.metadata.get("physical_volumes")
        by_uuid = {pv.pv_id.replace("-", ""): pv for pv in pvs}
        self.pvs: dict[str, LvmPhysicalVolume] = {}
        for name, entry in (listed if isinstance(listed, dict) else {}).items():
            uuid = str(entry.get("id", "")).replace("-", "") if isinstance(entry, dict) else ""
            if uuid in by_uuid:
                self.pvs[name] = by_uuid.pop(uuid)
        for stale in by_uuid.values():
            self.problems.append(
                Problem(
                    where=stale.where or "image",
                    reason=f"LVM physical volume {stale.pv_id} is no longer in volume group {self.name} "
                    f"(its metadata, seqno {stale.seqno}, is older than the group's, {newest.seqno}): "
                    "its logical volumes are not read from it",
                    kind="unreadable",
                )
            )
        try:
            volumes = build_logical_volumes(newest.metadata, set(self.pvs))
        except ValueError as exc:
            raise newest._error(f"the metadata of volume group {self.name} is damaged: {exc}") from exc
        for lv in volumes:
            if lv.readable and (short := self._past_end(lv)):
                lv = replace(lv, readable=False, problem=f"it runs past the end of {short} (truncated?)")
            if lv.problem:
                known = all(seg.type in (*_LINEAR, "zero") for seg in lv.segments)
                self.problems.append(
                    Problem(
                        where=self.volume_name(lv),
                        reason=f"logical volume {self.name}/{lv.name} cannot be read: {lv.problem}",
                        kind="unreadable" if known else "unsupported",
                    )
                )
            self.logical_volumes.append(lv)

    def _past_end(self, lv: LvmLogicalVolume) -> str | None:
        for seg in lv.segments:
            for name, start in seg.stripes:
                pv = self.pvs[name]
                if pv._physical(start, seg.extent_count // len(seg.stripes) * self.extent_size) > pv.size:
                    return pv.where or "the image"
        return None

    def home(self, lv: LvmLogicalVolume) -> LvmPhysicalVolume:
        """The physical volume holding the start of ``lv`` (its name prefixes the volume's)."""
        for seg in lv.segments:
            for name, _ in seg.stripes:
                if name in self.pvs:
                    return self.pvs[name]
        return min(self.pvs.values(), key=lambda pv: pv.pv_name)

    def volume_name(self, lv: LvmLogicalVolume) -> str:
        return self.home(lv).volume_name(lv)

    def open(self, lv: LvmLogicalVolume) -> ImageReader:
        if not lv.readable:
            raise self.home(lv)._error(f"logical volume {lv.name} cannot be read: {lv.problem}")
        return _LogicalVolumeReader(self.pvs, lv, self.extent_size)


def _seqno(vg: ConfigSection) -> int:
    seqno = vg.get("seqno")
    return seqno if isinstance(seqno, int) else 0


class _LogicalVolumeReader(ImageReader):
    """The bytes of one logical volume, mapped through its segments onto its physical volumes."""

    def __init__(self, pvs: Mapping[str, LvmPhysicalVolume], lv: LvmLogicalVolume, extent_size: int) -> None:
        self._pvs = dict(pvs)
        self._extent_size = extent_size
        self.format = "lvm"
        self.paths = list(dict.fromkeys(path for pv in pvs.values() for path in pv._reader.paths))
        self.size = lv.size
        self._segments = lv.segments
        self._starts = [seg.start_extent * extent_size for seg in lv.segments]

    def read_at(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError("offset and size must not be negative")
        end = min(offset + size, self.size)
        parts: list[bytes] = []
        while offset < end:
            index = bisect.bisect_right(self._starts, offset) - 1
            seg = self._segments[index]
            inside = offset - self._starts[index]
            run = seg.extent_count * self._extent_size - inside
            stripe, position = 0, inside
            if seg.stripe_size is not None:  # chunks go round the stripes in turn
                chunk = seg.stripe_size * SECTOR
                row, within = divmod(inside, chunk)
                row, stripe = divmod(row, len(seg.stripes))
                position, run = row * chunk + within, chunk - within
            want = min(run, end - offset)
            if seg.type == "zero":
                parts.append(bytes(want))
            else:
                name, first = seg.stripes[stripe]
                pv = self._pvs[name]
                parts.append(pv._read(pv._physical(first, position), want))
            offset += want
        return b"".join(parts)
