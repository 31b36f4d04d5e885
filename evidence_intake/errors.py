"""The one root exception of the tool and its kinds.

Library code raises these; only the CLI turns them into a message on stderr and an exit status.
Every message says what happened and to which file; ``hint`` says what the user can do about it.
The exit statuses are part of the interface that scripts rely on (docs/cli.md lists them).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


class IntakeError(Exception):
    """Root of every error the tool reports to its user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = None if path is None else str(path)

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class UsageError(IntakeError):
    """The command line or a value given on it is wrong (bad date, bad IMEI, bad size…)."""

    exit_code = 2


class NotFoundError(IntakeError):
    """A case, exhibit, file, entry or parser that was named does not exist."""

    exit_code = 3


class EvidenceError(IntakeError):
    """Evidence could not be read: corrupt image, missing segment, unreadable source."""

    exit_code = 4


class IntegrityError(IntakeError):
    """A hash, signature or chain check failed: something is not as it was recorded."""

    exit_code = 5


class ConflictError(IntakeError):
    """The action would overwrite or duplicate something that must never be overwritten."""

    exit_code = 6


class ReadOnlyCaseError(IntakeError):
    """A command that records its work was given a case that cannot be written (read-only storage)."""

    exit_code = 9


class InsufficientSpaceError(IntakeError):
    """The destination has not enough free space for the work asked for."""

    exit_code = 7


class PartialResultError(IntakeError):
    """The work finished but part of it failed (some parsers or files); what succeeded is kept."""

    exit_code = 8


class InterruptedError_(IntakeError):
    """The user or the system stopped the work; what was done is recorded as incomplete."""

    exit_code = 130


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error (a bug: please report it with the log)",
    2: "usage error: a wrong option or value",
    3: "not found: case, exhibit, file or parser",
    4: "evidence could not be read (corrupt, missing segment, unreadable)",
    5: "integrity failure: a hash, signature or custody-chain check failed",
    6: "refused: would overwrite or duplicate existing evidence or records",
    7: "not enough free space at the destination",
    8: "finished with errors: part of the work failed, the rest is kept",
    130: "interrupted: partial work is recorded as incomplete",
}


def disk_full(exc: OSError) -> bool:
    """The disk (or the user's quota on it) is full."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def no_room(folder: Path | str) -> bool:
    """Whether the file system holding ``folder`` has no blocks or no inodes left for this user."""
    import os

    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail == 0 or (stats.f_files > 0 and stats.f_favail == 0)


def write_error(exc: OSError, path: Path | str, what: str) -> IntakeError:
    """The error for ``what`` (a report, an export, a package) that could not be written to ``path``.

    The caller has deleted what it wrote and recorded nothing. A full disk (or quota) is
    InsufficientSpaceError, so that scripts see exit status 7 for it whichever command hit it.
    """
    message = (
        f"cannot write {what} {path}: {exc.strerror or exc}; what was written was deleted and "
        "nothing was recorded in the ledger"
    )
    if disk_full(exc):
        return InsufficientSpaceError(
            message,
            path=path,
            hint="free space on that disk or choose another --out, then run it again",
        )
    return IntakeError(
        message, path=path, hint="check that the folder exists and is writable, then run the command again"
    )


def sqlite_error(
    exc: sqlite3.Error, path: Path | str, *, message: str, damaged_hint: str, other_hint: str
) -> IntakeError:
    """What to tell the user when SQLite refuses one of the case's own databases.

    Only a damaged file is called damaged: a full disk (exit 7), a lock held by another command
    or a folder that cannot be written are not reasons to restore a backup or rebuild anything.
    """
    import sqlite3  # its callers have it loaded already; `--version` does not need it

    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    out_of_inodes = primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) and no_room(Path(path).parent)
    if primary == sqlite3.SQLITE_FULL or out_of_inodes:  # no inode for a journal: "unable to open"
        return InsufficientSpaceError(
            message, path=path, hint="free space on the disk that holds the case folder, then run it again"
        )
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return IntakeError(
            message, path=path, hint="another command is using this case; let it finish, then run it again"
        )
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return IntakeError(
            message,
            path=path,
            hint="the case folder must be writable (copy a case kept on read-only media first); "
            "the file is not damaged",
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return IntakeError(message, path=path, hint=damaged_hint)
    return IntakeError(message, path=path, hint=other_hint)


_GENERIC_LEDGER_HINT = "run `evidence-intake custody verify` to check the ledger"


def from_ledger_error(
    exc: Exception,
    *,
    message: str | None = None,
    path: Path | str | None = None,
    hint: str = _GENERIC_LEDGER_HINT,
) -> IntakeError:
    """What to tell the user about an error of the chain_of_custody library (a LedgerError).

    A full disk is exit 7, a key file that is unsafe or damaged says how to fix it (a key is never
    replaced silently), a ledger held too long by another command says to wait; anything else
    points to `custody verify` (or to ``hint``).
    """
    from chain_of_custody.errors import KeyFileError, LedgerBusyError, LedgerFullError

    text = message or str(exc)
    where = path if path is not None else getattr(exc, "path", None)
    if isinstance(exc, LedgerFullError):
        return InsufficientSpaceError(
            text,
            path=where,
            hint="free space on the disk that holds the case folder, then run the command again",
        )
    if isinstance(exc, LedgerBusyError):
        return IntakeError(
            text,
            path=where,
            hint="another command is writing to this case; let it finish, then run the command again",
        )
    if isinstance(exc, KeyFileError):
        return IntakeError(
            text,
            path=where,
            hint="a private key must be a regular file readable only by its owner: fix its mode "
            "(chmod 600 FILE) or restore it from the key backup; keys are never replaced silently",
        )
    return IntakeError(text, path=where, hint=getattr(exc, "hint", None) or hint)
