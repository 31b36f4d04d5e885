"""A source file from the evidence, as a parser sees it, and the scratch copy it is read from.

Evidence is never opened by SQLite: SQLite may write to a database it opens (a checkpoint folds the
-wal into the main file, a hot -journal is rolled back), which would alter the evidence. So every
matched file is first copied, with its -wal, -shm and -journal companions, into the case's scratch
folder; each file is hashed while it is read from the evidence and the copy is hashed again after it
is written; the two must agree or the extraction of that file stops with an IntegrityError.

The copy is then opened read-only (``mode=ro``), which still applies the write-ahead log: rows that
exist only in the -wal are read. (``immutable=1`` would silently ignore the log; it is never used.)
"""

from __future__ import annotations

import array
import hashlib
import sqlite3
import struct
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from evidence_intake.artefacts.model import Locator
from evidence_intake.artefacts.text import text_factory
from evidence_intake.digests import sha256_file
from evidence_intake.errors import EvidenceError, InsufficientSpaceError, IntegrityError, disk_full
from evidence_intake.evidence.model import Entry, EvidenceTree
from evidence_intake.parsers.schema import Schema, SchemaInfo

CHUNK = 1 << 20
MAX_RECORD_WARNINGS = 1_000  # per unit of work; the rest are counted in one closing warning
SQLITE_MAGIC = b"SQLite format 3\x00"
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True, slots=True)
class CopiedFile:
    """One file copied from the evidence: where it was, its hash, and where the copy is."""

    role: str  # "main", "-wal", "-shm", "-journal"
    location: str  # place in the evidence ("p2:/data/…/mmssms.db-wal")
    size: int
    sha256: str
    local_path: Path

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "location": self.location, "size": self.size, "sha256": self.sha256}


def copy_entry(tree: EvidenceTree, entry: Entry, dest: Path, *, role: str = "main") -> CopiedFile:
    """Copy one entry to ``dest`` (which must not exist), hashing the evidence bytes on the way.

    The copy is re-hashed from disk afterwards; a difference means the copy is not what was read
    and raises IntegrityError. A short read (fewer bytes than the file system says the file holds)
    raises EvidenceError naming the file.
    """
    h = hashlib.sha256()
    copied = 0
    try:
        with tree.open(entry) as src, open(dest, "xb") as out:
            while block := src.read(CHUNK):
                h.update(block)
                out.write(block)
                copied += len(block)
    except OSError as exc:
        dest.unlink(missing_ok=True)
        if disk_full(exc):  # the scratch copy, not the evidence, is what failed
            raise InsufficientSpaceError(
                f"no space left to copy {entry.location} to the scratch folder {dest.parent}: {exc}",
                path=dest.parent,
                hint="free space on the disk that holds the case folder, then run extract again",
            ) from exc
        raise EvidenceError(
            f"{entry.location} could not be read from the evidence: {exc}",
            path=entry.location,
            hint="check the image with its verify command; the other files are extracted",
        ) from exc
    if copied != entry.size:
        raise EvidenceError(
            f"{entry.location}: read {copied} bytes but the file system gives {entry.size}",
            path=entry.location,
            hint="the file is damaged or its metadata is wrong; examine it by hand",
        )
    digest = h.hexdigest()
    again = sha256_file(dest)
    if again != digest:
        raise IntegrityError(
            f"the scratch copy of {entry.location} does not match what was read "
            f"(read {digest}, copy {again})",
            path=dest,
            hint="the scratch disk may be failing; free or change the scratch space and extract again",
        )
    return CopiedFile(role=role, location=entry.location, size=copied, sha256=digest, local_path=dest)


def copy_with_companions(
    tree: EvidenceTree, entry: Entry, companions: Sequence[Entry], folder: Path
) -> tuple[CopiedFile, tuple[CopiedFile, ...]]:
    """Copy a database and its -wal/-shm/-journal beside each other in ``folder`` (same names)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if disk_full(exc):
            raise InsufficientSpaceError(
                f"no space left for the scratch folder {folder}: {exc}",
                path=folder.parent,
                hint="free space on the disk that holds the case folder, then run extract again",
            ) from exc
        raise
    main = copy_entry(tree, entry, folder / _safe_file_name(entry.name))
    copies: list[CopiedFile] = []
    for companion in companions:
        suffix = next((s for s in COMPANION_SUFFIXES if companion.path == entry.path + s), None)
        if suffix is None:
            continue
        copies.append(copy_entry(tree, companion, Path(str(main.local_path) + suffix), role=suffix))
    return main, tuple(copies)


def _safe_file_name(name: str) -> str:
    cleaned = "".join(ch if ch not in "/\\\x00" else "_" for ch in name).lstrip(".")
    return cleaned[:200] or "file"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """What a worker needs to read one source file: picklable, no open handles.

    ``path`` is the file's path inside its file system, ``location`` adds the partition
    ("p2:/data/…"); ``local_path`` is the verified scratch copy.
    """

    exhibit: str
    region: str
    path: str
    location: str
    volume: str
    filesystem: str
    inode: str | None
    size: int
    sha256: str
    local_path: Path
    companions: tuple[CopiedFile, ...] = ()
    info: SchemaInfo | None = None
    schema: Schema | None = None
    is_sqlite: bool = False
    damaged: str | None = None  # why the database is read leniently (see ``header_problem``)


@dataclass
class Source:
    """A source file as a parser sees it (built by the engine inside the worker).

    ``db`` is a read-only SQLite connection on the scratch copy whose text never raises on invalid
    UTF-8 (see artefacts/text.py); ``schema`` is the layout the engine matched, ``info`` every table.
    """

    file: SourceFile
    _db: sqlite3.Connection | None = field(default=None, init=False, repr=False)
    warnings: list[tuple[str, Locator | None]] = field(default_factory=list, init=False, repr=False)
    _warnings_dropped: int = field(default=0, init=False, repr=False)

    def warn(self, message: str, locator: Locator | None = None) -> None:
        """Report something about one record (or the file) that the parser could not read fully.

        For a record that is still yielded but lacks part of its content (a blob in a format the
        parser does not know): the run stores the message as a warning with the record's locator,
        counts it in the summary, and goes on. Not for failures: raise those. Only ``parse`` (in
        the worker) is heard; the first ``MAX_RECORD_WARNINGS`` are kept one by one, the rest are
        counted in one closing warning.
        """
        if len(self.warnings) < MAX_RECORD_WARNINGS:
            self.warnings.append((message, locator))
        else:
            self._warnings_dropped += 1

    def take_warnings(self) -> list[tuple[str, Locator | None]]:
        """The warnings so far (and a count of those not kept), emptying the list."""
        out = self.warnings
        if self._warnings_dropped:
            out = [
                *out,
                (
                    f"{self._warnings_dropped} more record warnings like the ones above were not "
                    f"recorded one by one (only the first {MAX_RECORD_WARNINGS} are)",
                    None,
                ),
            ]
        self.warnings = []
        self._warnings_dropped = 0
        return out

    @property
    def exhibit(self) -> str:
        return self.file.exhibit

    @property
    def region(self) -> str:
        return self.file.region

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def location(self) -> str:
        return self.file.location

    @property
    def sha256(self) -> str:
        return self.file.sha256

    @property
    def local_path(self) -> Path:
        return self.file.local_path

    @property
    def info(self) -> SchemaInfo:
        if self.file.info is None:
            raise TypeError(f"{self.location} is not a SQLite source")
        return self.file.info

    @property
    def schema(self) -> Schema | None:
        return self.file.schema

    def has_column(self, table: str, column: str) -> bool:
        return self.info.has(table, column)

    def has_table(self, table: str) -> bool:
        return self.info.has(table)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_readonly(self.file.local_path, lenient=self.file.damaged is not None)
        return self._db

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        """Rows of a query on the copy, as ``sqlite3.Row`` (columns by name)."""
        cursor = self.db.execute(sql, params)
        cursor.row_factory = sqlite3.Row
        yield from cursor

    def open(self) -> BinaryIO:
        """The scratch copy's bytes, for parsers of files that are not SQLite."""
        return open(self.file.local_path, "rb")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def open_readonly(path: Path, *, lenient: bool = False) -> sqlite3.Connection:
    """Read-only connection on a scratch copy; applies its -wal (never ``immutable=1``).

    ``lenient`` sets ``writable_schema``, which makes SQLite read a file shorter than its header
    says (a truncated database) instead of refusing it whole; pages that are really missing still
    raise "malformed" when a query reaches them, so nothing is silently skipped. Nothing is written:
    the connection is read-only.
    """
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    conn.text_factory = text_factory
    if lenient:
        conn.execute("PRAGMA writable_schema=ON")
    return conn


def header_problem(path: Path) -> str | None:
    """What is wrong with a SQLite file's header that SQLite would refuse it for, or None.

    Today: a file shorter than the page count its header gives (a truncated copy, or a file
    cut by the file system). Such a file is read leniently and the source gets a warning.
    """
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter = header[24:28]
    pages_in_header = int.from_bytes(header[28:32], "big")
    valid_for = header[92:96]
    if not page_size or valid_for != change_counter or not pages_in_header:
        return None
    size = path.stat().st_size
    pages_in_file = size // page_size
    if pages_in_file < pages_in_header:
        return (
            f"the database is shorter than its header says ({pages_in_file} of {pages_in_header} pages of "
            f"{page_size} bytes): it is truncated; what the remaining pages hold is read, the rest is "
            "reported"
        )
    return None


WAL_MAGICS = (0x377F0682, 0x377F0683)  # checksums in little- / big-endian words
WAL_HEADER = 32
WAL_FRAME_HEADER = 24
SET_ASIDE = ".not-applied"  # suffix of a scratch -wal/-shm left out of the reading (see set_aside_wal)


def _wal_checksum(data: bytes, big_endian: bool, s0: int = 0, s1: int = 0) -> tuple[int, int]:
    words = memoryview(data).cast("I")
    if big_endian != (sys.byteorder == "big"):
        swapped = array.array("I", words)
        swapped.byteswap()
        words = memoryview(swapped)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_problem(db_path: Path) -> str | None:
    """What SQLite will silently leave out of the -wal beside a scratch copy, or None.

    SQLite applies a write-ahead log only when its header is valid, and only its frames up to the
    last complete transaction whose salts match the header; anything else is skipped without a
    word. Rows that exist only there would then be missing from the extraction unnoticed, so what
    is skipped is said: a header SQLite rejects, a last transaction never committed or cut off.
    Frames left from before the last checkpoint (an older generation of the log) are how a healthy
    log looks and are not reported. Only headers are read (the frames' checksums are left to SQLite).
    """
    wal = Path(str(db_path) + "-wal")
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    with open(wal, "rb") as fh:
        header = fh.read(WAL_HEADER)
        if len(header) < WAL_HEADER:
            return (
                f"the -wal ({size} bytes) is shorter than a write-ahead log header: SQLite does not apply it"
            )
        magic, version, page_size, _, salt1, salt2, sum1, sum2 = struct.unpack(">8I", header)
        big_endian = magic == WAL_MAGICS[1]
        valid_page = 512 <= page_size <= 65536 and page_size & (page_size - 1) == 0
        if (
            magic not in WAL_MAGICS
            or version != 3007000
            or not valid_page
            or _wal_checksum(header[:24], big_endian) != (sum1, sum2)
        ):
            return (
                f"the -wal ({size} bytes) does not start with a valid write-ahead log header: SQLite does "
                "not apply it, so records only it may hold are not in this extraction; examine it by hand"
            )
        frame = WAL_FRAME_HEADER + page_size
        frames = (size - WAL_HEADER) // frame
        current = applied = 0
        older_generation = False
        for n in range(frames):
            fh.seek(WAL_HEADER + n * frame)
            _, committed_size, frame_salt1, frame_salt2 = struct.unpack(">4I", fh.read(16))
            if (frame_salt1, frame_salt2) != (salt1, salt2):
                older_generation = True  # left from before the log was restarted: SQLite stops here
                break
            current += 1
            if committed_size:
                applied = current
    # Frames of an earlier generation, and a tail cut by journal_size_limit among them, are how a
    # healthy log looks after a checkpoint: not said. What is said is the current generation's own
    # last transaction left without its commit, or cut off at the end of the file.
    uncommitted = current - applied
    partial = (size - WAL_HEADER) % frame if not older_generation else 0
    if not uncommitted and not partial:
        return None
    parts = []
    if uncommitted:
        parts.append(f"{uncommitted} frame(s) after its last committed transaction")
    if partial:
        parts.append(f"{partial} bytes of a frame cut off at its end")
    return (
        f"the -wal ({size} bytes) ends with " + " and ".join(parts) + ": a last transaction that was never "
        "committed or was cut off, which SQLite does not apply; records only it holds are not in this "
        "extraction"
    )


def set_aside_wal(db_path: Path) -> None:
    """Leave a scratch copy's -wal (and the -shm that indexes it) out of the reading: renamed, not
    deleted, in the scratch folder. The evidence and its recorded hashes are untouched."""
    for suffix in ("-wal", "-shm"):
        companion = Path(str(db_path) + suffix)
        if companion.exists():
            companion.rename(Path(str(companion) + SET_ASIDE))


def restore_wal(db_path: Path) -> None:
    """Undo ``set_aside_wal``."""
    for suffix in ("-wal", "-shm"):
        aside = Path(str(db_path) + suffix + SET_ASIDE)
        if aside.exists():
            aside.rename(Path(str(db_path) + suffix))


def looks_like_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
