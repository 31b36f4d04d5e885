"""SQLite and file-system helpers for the ledger: the stored tree as a node source, error translation,
durable creation of a new file without ever replacing an existing one."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .canonical import canonical_json
from .errors import LedgerBusyError, LedgerError, LedgerExistsError, LedgerFullError
from .schema import APPLICATION_ID, FORMAT_NAME, FORMAT_VERSION, apply_migrations
from .timestamps import format_timestamp, utc_now

if TYPE_CHECKING:
    from .proofs import SignedCheckpoint

# SQLite primary result codes (the low byte of sqlite3.Error.sqlite_errorcode)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 11, 13, 26


class TableNodes:
    """The ``tree_nodes`` table as a Merkle :class:`~.merkle.NodeSource` (memoised for one request)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path
        self._cache: dict[tuple[int, int], bytes] = {}
        self.reads = 0

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self._cache.get(key)
        if found is None:
            self.reads += 1
            row = self._conn.execute(
                "SELECT hash FROM tree_nodes WHERE level = ? AND idx = ?", key
            ).fetchone()
            if row is None or not isinstance(row[0], bytes) or len(row[0]) != 32:
                raise LedgerError(
                    f"{self._path}: the stored Merkle tree lacks node {level}/{index} or it is damaged",
                    path=self._path,
                    hint="run verify on this ledger: the file was probably edited",
                )
            found = self._cache[key] = row[0]
        return found


def signed_from_row(row: tuple[Any, ...]) -> SignedCheckpoint:
    from .proofs import Checkpoint, SignedCheckpoint

    return SignedCheckpoint(
        Checkpoint(int(row[0]), str(row[1])), str(row[2]), str(row[3]), str(row[4]), str(row[5])
    )


def check_text(name: str, value: object, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise LedgerError(
            f"the ledger field {name} must be {'a non-empty text' if required else 'text or None'}, "
            f"got {value!r:.60}"
        )
    canonical_json(value)


def translate(exc: sqlite3.Error, path: Path, consequence: str) -> LedgerError:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _SQLITE_FULL or "disk is full" in str(exc):
        return LedgerFullError(
            f"{path}: the disk (or the database's size limit) is full: {consequence}",
            path=path,
            hint="free some space and try again; the ledger is intact up to its last entry",
        )
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return LedgerBusyError(
            f"{path}: another process kept the ledger locked for too long: {consequence}",
            path=path,
            hint="wait for the other intake to finish, or look for a stuck process, and try again",
        )
    if code == _SQLITE_READONLY:
        return LedgerError(
            f"{path}: the ledger (or its folder) cannot be written: {consequence}",
            path=path,
            hint="check the file and folder permissions and that the disk is not mounted read-only",
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return LedgerError(
            f"{path}: the ledger file is damaged ({exc}): {consequence}",
            path=path,
            hint="run verify, and restore the ledger from a copy",
        )
    if code == _SQLITE_IOERR:
        return LedgerError(
            f"{path}: a disk error occurred ({exc}): {consequence}", path=path, hint="check the disk"
        )
    return LedgerError(f"{path}: SQLite refused the operation ({exc}): {consequence}", path=path)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is synced
    finally:
        os.close(fd)


def link_no_clobber(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` unless something is there; hard link where possible (atomic)."""
    try:
        os.link(source, target)
        return
    except FileExistsError as exc:
        raise LedgerExistsError(
            f"{target}: a file appeared there while the ledger was being created; it was not overwritten",
            path=target,
        ) from exc
    except OSError:
        pass  # no hard links here (FAT, exFAT, some network shares)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as exc:
        raise LedgerExistsError(
            f"{target}: a file appeared there while the ledger was being created", path=target
        ) from exc
    os.close(fd)
    os.replace(source, target)


def build_new_ledger_file(path: Path, case_id: str) -> None:
    """Make an empty ledger at ``path`` without ever showing a half-made file or replacing one: it is
    built under a temporary name beside ``path``, synced, and linked into place in one step."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.creating")
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            apply_migrations(conn)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", FORMAT_NAME),
                    ("format_version", str(FORMAT_VERSION)),
                    ("case_id", case_id),
                    ("created_at", format_timestamp(utc_now())),
                ],
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        fsync_file(temp)
        link_no_clobber(temp, path)
        fsync_dir(path.parent)
    except sqlite3.Error as exc:
        raise translate(exc, path, "the ledger was not created") from exc
    finally:
        for leftover in (temp, temp.with_name(temp.name + "-wal"), temp.with_name(temp.name + "-shm")):
            leftover.unlink(missing_ok=True)
