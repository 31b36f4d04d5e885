"""Read acquired images read-only: raw, split raw, E01 (pyewf) and virtual disks, chosen by content.

Every reader here opens its files read-only and never writes. The format is told by the bytes at
the start (or, for a fixed VHD, the end) of the first file, never by the file name, because seized
servers and copies made in the field carry any extension. ``TskImage`` lets The Sleuth Kit read
through any of them, so that volumes and file systems see one kind of image.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import pytsk3

from evidence_intake.errors import EvidenceError, IntakeError, NotFoundError, UsageError
from evidence_intake.evidence.model import ImageReader, Problem
from evidence_intake.evidence.segments import find_segments

EWF_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
EWF2_SIGNATURE = b"EVF2\x0d\x0a\x81\x00"
LEF_SIGNATURE = b"LVF\x09\x0d\x0a\xff\x00"
VHDX_SIGNATURE = b"vhdxfile"
VHD_FOOTER = b"conectix"
VMDK_SPARSE = b"KDMV"
VMDK_COWD = b"COWD"
VMDK_DESCRIPTOR = b"# Disk DescriptorFile"
QCOW_SIGNATURE = b"QFI\xfb"

_EWF_VOLUME_SECTIONS = (b"volume", b"disk", b"data")


def sniff_format(path: Path) -> str:
    """The image format of ``path`` from its content: raw, e01, vhd, vhdx, vmdk or qcow2.

    Formats that are recognised but cannot be opened (Ex01, L01) raise an EvidenceError that
    says so, rather than being read as raw bytes.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
            size = os.fstat(handle.fileno()).st_size
            tail = b""
            if size >= 1024:
                handle.seek(size - 512)
                tail = handle.read(512)
    except OSError as exc:
        raise EvidenceError(
            f"cannot read image file {path}: {exc.strerror or exc}",
            path=path,
            hint="check that the file exists and is readable",
        ) from exc
    if head.startswith(EWF_SIGNATURE):
        return "e01"
    if head.startswith(EWF2_SIGNATURE):
        raise EvidenceError(
            f"{path} is an EWF2 (Ex01) image, which this version does not open",
            path=path,
            hint="convert it with ewfexport to E01 or raw (ewfexport -f encase6 or -f raw) and acquire that",
        )
    if head.startswith(LEF_SIGNATURE):
        raise EvidenceError(
            f"{path} is an EnCase logical evidence file (L01), not a disk image",
            path=path,
            hint="export its files with the tool that made it and register them as a logical acquisition",
        )
    if head.startswith(VHDX_SIGNATURE):
        return "vhdx"
    if head.startswith(QCOW_SIGNATURE):
        return "qcow2"
    if head.startswith((VMDK_SPARSE, VMDK_COWD)) or head.lstrip(b"\xef\xbb\xbf").startswith(VMDK_DESCRIPTOR):
        return "vmdk"
    if head.startswith(VHD_FOOTER) or tail.startswith(VHD_FOOTER):
        return "vhd"
    return "raw"


def open_image(paths: Sequence[Path]) -> ImageReader:
    """Open an acquired image read-only, whatever its format, from its first (or every) segment file.

    ``paths`` is either the first segment (the others are found beside it, and a gap is an error
    naming the missing segment) or every segment in order, as recorded for an acquisition.
    """
    if not paths:
        raise UsageError("no image file given", hint="give the path of the image (its first segment)")
    files = [Path(p) for p in paths]
    for n, p in enumerate(files):
        if not p.exists() and n == 0:
            raise NotFoundError(
                f"image file not found: {p}", path=p, hint="check the path and the case folder"
            )
        if not p.exists():  # a later segment of an image whose first segment is there: unreadable evidence
            raise EvidenceError(
                f"segment {p.name} of image {files[0].name} is missing ({p})",
                path=p,
                hint="put the segment back beside the others (copy it again from the evidence drive)",
            )
        if not p.is_file():
            raise EvidenceError(f"{p} is not a file", path=p, hint="give the image file, not a folder")
    kind = sniff_format(files[0])
    if kind == "e01":
        segments = find_segments(files[0]) if len(files) == 1 else files
        return EwfImage(segments)
    if kind != "raw":
        from evidence_intake.evidence.libyal import open_virtual_disk

        if len(files) > 1:
            raise UsageError(
                f"{files[0]} is a {kind.upper()} virtual disk; give only its first file",
                hint="the parts of a virtual disk are found through its own descriptor",
            )
        return open_virtual_disk(files[0], kind)
    segments = find_segments(files[0]) if len(files) == 1 else files
    return RawImage(segments)


class RawImage(ImageReader):
    """A raw (dd) image, one file or numbered segments read as one run of bytes."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.format = "raw" if len(self.paths) == 1 else "split-raw"
        self.problems: list[Problem] = []
        self._fds: list[int] = []
        self._starts: list[int] = []
        offset = 0
        try:
            for p in self.paths:
                fd = os.open(p, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                self._fds.append(fd)
                self._starts.append(offset)
                offset += os.fstat(fd).st_size
        except OSError as exc:
            self.close()
            raise EvidenceError(
                f"cannot open image segment {exc.filename or self.paths[len(self._fds)]}: {exc.strerror}",
                path=exc.filename,
                hint="check that every segment is present and readable",
            ) from exc
        self.size = offset

    def read_at(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError("offset and size must not be negative")
        end = min(offset + size, self.size)
        if offset >= end:
            return b""
        index = bisect.bisect_right(self._starts, offset) - 1
        if index == len(self._fds) - 1 or end <= self._starts[index + 1]:
            return self._pread(index, end - offset, offset - self._starts[index])
        parts: list[bytes] = []
        position = offset
        while position < end:
            index = bisect.bisect_right(self._starts, position) - 1
            segment_end = self._starts[index + 1] if index + 1 < len(self._starts) else self.size
            want = min(end, segment_end) - position
            parts.append(self._pread(index, want, position - self._starts[index]))
            position += want
        return b"".join(parts)

    def _pread(self, index: int, size: int, offset: int) -> bytes:
        chunks: list[bytes] = []
        while size > 0:
            try:
                data = os.pread(self._fds[index], size, offset)
            except OSError as exc:
                raise EvidenceError(
                    f"cannot read {self.paths[index]} at byte {offset}: {exc.strerror}",
                    path=self.paths[index],
                    hint="the image file may be on a failing disk; copy it and verify its hash",
                ) from exc
            if not data:  # the file shrank since it was opened
                raise EvidenceError(
                    f"{self.paths[index]} ended early at byte {offset}",
                    path=self.paths[index],
                    hint="the image file changed while open; verify it against its recorded hash",
                )
            chunks.append(data)
            size -= len(data)
            offset += len(data)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def close(self) -> None:
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []


class EwfImage(ImageReader):
    """An Expert Witness (E01) image, one segment or many, read through libewf.

    Before libewf sees them the segments are checked here: each must carry the EWF signature and
    its own segment number, and the media parameters of every segment must agree with the first.
    libewf itself happily reads a same-size segment of another image in place of a missing one.
    Every chunk read is checked against its stored checksum (ewf_chunks), since libewf returns
    substitute data for a damaged chunk without a word; failures land in ``problems``.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        import pyewf

        self.paths = [Path(p) for p in paths]
        self.format = "e01"
        self.problems: list[Problem] = []
        check_ewf_segments(self.paths)
        self._handle = pyewf.handle()
        try:
            self._handle.open([str(p) for p in self.paths], "r")
        except (OSError, ValueError) as exc:
            raise EvidenceError(
                f"libewf cannot open the E01 image {self.paths[0]} ({len(self.paths)} segment(s)): "
                f"{_first_line(exc)}",
                path=self.paths[0],
                hint="check that every segment is complete (ewfverify) and none comes from another image",
            ) from exc
        self.size = int(self._handle.get_media_size())
        from evidence_intake.evidence.ewf_chunks import EwfChunkChecker

        self._checker = EwfChunkChecker(
            self.paths, chunk_size=int(self._handle.get_chunk_size()), media_size=self.size
        )
        self.problems = self._checker.problems  # one list: chunk failures appear as they are found

    def read_at(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise ValueError("offset and size must not be negative")
        size = min(size, self.size - offset)
        if size <= 0:
            return b""
        self._checker.check(offset, size)
        try:
            data: bytes = self._handle.read_buffer_at_offset(size, offset)
        except (OSError, ValueError) as exc:
            raise EvidenceError(
                f"libewf cannot read media bytes {offset}-{offset + size - 1} of {self.paths[0]}: "
                f"{_first_line(exc)}",
                path=self.paths[0],
                hint="a segment is damaged or truncated; run ewfverify on the image",
            ) from exc
        return data

    @property
    def damaged_reads(self) -> int:
        """How many reads so far touched a chunk that failed its checksum."""
        return self._checker.bad_reads

    def header_values(self) -> dict[str, str]:
        """Case number, examiner, notes… as stored in the image by the tool that made it."""
        return {str(k): str(v) for k, v in self._handle.get_header_values().items()}

    def stored_hashes(self) -> dict[str, str]:
        """Hashes the image stores about itself (MD5, SHA1), lower-case hex."""
        return {str(k).lower(): str(v).lower() for k, v in self._handle.get_hash_values().items()}

    def close(self) -> None:
        self._checker.close()
        try:
            self._handle.close()
        except (OSError, ValueError):
            pass


def check_ewf_segments(paths: Sequence[Path]) -> None:
    """Refuse segments that are not, in order, the segments of one EWF image."""
    reference: tuple[bytes, bytes] | None = None
    for number, path in enumerate(paths, start=1):
        try:
            with path.open("rb") as handle:
                head = handle.read(13)
                if len(head) < 13 or not head.startswith(EWF_SIGNATURE):
                    raise EvidenceError(
                        f"{path} is not an EWF segment (no EVF signature)",
                        path=path,
                        hint="give only the segment files of one image (.E01, .E02…)",
                    )
                stored_number = struct.unpack_from("<H", head, 9)[0]
                if stored_number != number:
                    raise EvidenceError(
                        f"{path.name} holds segment {stored_number} of its image, but stands in place "
                        f"of segment {number}",
                        path=path,
                        hint="a segment was renamed or comes from another image; restore the original files",
                    )
                volume = _ewf_volume_parameters(handle, path)
        except OSError as exc:
            raise EvidenceError(
                f"cannot read EWF segment {path}: {exc.strerror or exc}", path=path, hint="check the file"
            ) from exc
        if volume is None:
            continue
        if reference is None:
            reference = volume
            continue
        ref_params, ref_guid = reference
        params, guid = volume
        if params != ref_params or (any(ref_guid) and any(guid) and guid != ref_guid):
            raise EvidenceError(
                f"segment {path.name} belongs to another image: its media description or set identifier "
                f"differs from that of {paths[0].name}",
                path=path,
                hint="copy the right segment of this image into the folder",
            )


def _ewf_volume_parameters(handle: object, path: Path) -> tuple[bytes, bytes] | None:
    """Media parameters (chunk count, sizes) and set GUID from a segment's volume/data section."""
    offset = 13
    read = handle.read  # type: ignore[attr-defined]
    seek = handle.seek  # type: ignore[attr-defined]
    for _ in range(64):  # the volume description is among the first few sections
        seek(offset)
        descriptor = read(76)
        if len(descriptor) < 76:
            return None
        kind = descriptor[:16].rstrip(b"\0")
        next_offset = struct.unpack_from("<Q", descriptor, 16)[0]
        if kind in _EWF_VOLUME_SECTIONS:
            body = read(80)
            if len(body) < 80:
                raise EvidenceError(
                    f"EWF segment {path} is truncated inside its {kind.decode()} section",
                    path=path,
                    hint="the segment is incomplete; copy it again from the original media",
                )
            return body[4:24], body[64:80]
        if kind in (b"done", b"next") or next_offset <= offset:
            return None
        offset = next_offset
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split(". ")[0] if text else type(exc).__name__


class TskImage(pytsk3.Img_Info):
    """A Sleuth Kit image over any ImageReader, so that volumes and file systems read through it."""

    def __init__(self, reader: ImageReader) -> None:
        self._reader = reader
        # The last error of the reader: The Sleuth Kit passes it on only as a RuntimeError holding
        # its text (or as its own "unknown error"), so the caller takes the real one from here.
        self.failure: IntakeError | None = None
        # A Ctrl-C while TSK was reading, which pytsk3 would turn into a RuntimeError: raised again
        # by whoever called TSK, so that an interrupted walk stops.
        self.interrupted: BaseException | None = None
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    @property
    def reader(self) -> ImageReader:
        return self._reader

    def read(self, offset: int, size: int) -> bytes:
        try:
            return self._reader.read_at(offset, size)
        except IntakeError as exc:
            self.failure = exc
            raise
        except Exception:
            raise
        except BaseException as exc:
            self.interrupted = exc
            raise

    def get_size(self) -> int:
        return self._reader.size

    def close(self) -> None:
        """The reader belongs to whoever made it; The Sleuth Kit only lets go of it."""
