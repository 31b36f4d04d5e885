"""What kind of logical source a path is, told from its content and nothing heavier.

Every acquisition asks this first (is SOURCE a folder, a tar, a zip or an iOS backup, or media to
image?), so it imports no archive reader: only a few bytes of the file are looked at, the
decompressors are loaded for a file that starts with a compression magic number, and zipfile for a
file that is none of the others (a zip behind a prefix, as self-extracting archives are).
"""

from __future__ import annotations

from pathlib import Path

BLOCK = 512  # a tar header (tarfile.BLOCKSIZE)

COMPRESSIONS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
UNSUPPORTED: tuple[tuple[bytes, str], ...] = (
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x1f\x9d", "Unix compress (.Z)"),
    (b"\x04\x22\x4d\x18", "lz4"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 22 + 0xFFFF  # the end record and the longest comment it may carry
_BACKUP_MANIFESTS = ("Manifest.db", "Manifest.plist", "Manifest.mbdb")


def compression_of(head: bytes) -> str | None:
    """ "gzip", "bzip2", "xz" or "" (none) from the first bytes; None for a compression not readable here."""
    for magic, name in COMPRESSIONS:
        if head.startswith(magic):
            return name
    for magic, _name in UNSUPPORTED:
        if head.startswith(magic):
            return None
    return ""


def unsupported_compression(head: bytes) -> str | None:
    for magic, name in UNSUPPORTED:
        if head.startswith(magic):
            return name
    return None


def is_tar_header(block: bytes) -> bool:
    """True when ``block`` is a tar header whose checksum is right (ustar, GNU or old V7)."""
    if len(block) < BLOCK or block.count(0) == BLOCK:
        return False
    try:
        field = block[148:156].replace(b"\x00", b" ").strip()
        stored = int(field, 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])
    signed = (
        sum(b - 256 if b > 127 else b for b in block[:148])
        + 256
        + sum(b - 256 if b > 127 else b for b in block[156:BLOCK])
    )
    return stored in (unsigned, signed)


def looks_like_tar(path: Path) -> bool:
    """Whether ``path`` holds a tar archive, possibly compressed, judged from its first header."""
    from evidence_intake.evidence.logical_tar import TAR_ERRORS, decompressed

    try:
        with path.open("rb") as raw:
            compression = compression_of(raw.read(8))
            if compression is None:
                return False
            raw.seek(0)
            with decompressed(raw, compression) as stream:
                return is_tar_header(stream.read(BLOCK))
    except TAR_ERRORS:
        return False


def is_ios_backup(folder: Path) -> bool:
    """A folder holding a backup manifest (Manifest.db, Manifest.plist, or the old Manifest.mbdb)."""
    return any((Path(folder) / name).is_file() for name in _BACKUP_MANIFESTS)


def _has_zip_end(path: Path) -> bool:
    """Whether the end-of-central-directory signature is in the last 64 KiB + 22 bytes, where a zip
    keeps it; only then is zipfile asked (a raw image almost never has it)."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - _ZIP_TAIL))
            return _ZIP_END in fh.read(_ZIP_TAIL)
    except OSError:
        return False


def detect_logical(path: Path) -> str | None:
    """ "folder", "ios-backup", "tar" or "zip" for the logical source at ``path``; None for anything else."""
    path = Path(path)
    if path.is_dir():
        return "ios-backup" if is_ios_backup(path) else "folder"
    if not path.is_file():
        return None
    try:
        with path.open("rb") as source:
            head = source.read(BLOCK)
    except OSError:
        return None
    if is_tar_header(head):
        return "tar"
    if head[:4] in _ZIP_MAGIC:
        return "zip"
    if compression_of(head[:8]) and looks_like_tar(path):
        return "tar"
    if not _has_zip_end(path):
        return None
    import zipfile

    try:
        if zipfile.is_zipfile(path):  # a zip behind a prefix (self-extracting archives)
            return "zip"
    except OSError:
        return None
    return None
