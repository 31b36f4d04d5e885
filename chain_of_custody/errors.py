"""The ledger's exceptions.

They carry the file concerned (``path``) and what the user can do (``hint``) so that a caller such as
the evidence-intake CLI can turn them into its own errors without parsing messages. Some also derive from
the matching built-in exception (``FileNotFoundError``, ``FileExistsError``, ``ValueError``) so that plain
Python callers can catch them the usual way.
"""

from __future__ import annotations

from pathlib import Path


class LedgerError(Exception):
    """Root of every error raised by :mod:`chain_of_custody`."""

    def __init__(self, message: str, *, path: Path | str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class NotALedgerError(LedgerError):
    """The file is not a chain-of-custody ledger, or it is damaged. It was not modified."""


class LedgerNotFoundError(LedgerError, FileNotFoundError):
    """There is no file at the given path."""


class LedgerExistsError(LedgerError, FileExistsError):
    """``Ledger.create`` found something already at the path; nothing was overwritten."""


class UnknownActionError(LedgerError, ValueError):
    """``append`` was given an action that is not in :data:`chain_of_custody.ACTIONS`."""


class CanonicalEncodingError(LedgerError, ValueError):
    """A value cannot be put in canonical JSON (NaN, a lone surrogate, a non-JSON type, an unsafe integer)."""


class LedgerReadOnlyError(LedgerError):
    """A write was attempted on a ledger opened with ``readonly=True``."""


class LedgerBusyError(LedgerError):
    """Another process held the ledger's write lock for longer than the busy timeout."""


class LedgerFullError(LedgerError):
    """The disk (or the database's size limit) is full; the entry was not written."""


class KeyNotRegisteredError(LedgerError):
    """A signing key was used that the ledger has not registered (by a key_registered entry)."""


class KeyAlreadyRegisteredError(LedgerError):
    """``register_key`` was given a key that the ledger already registered."""

    def __init__(
        self, message: str, *, registered_seq: int, path: Path | str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, path=path, hint=hint)
        self.registered_seq = registered_seq


class KeyFileError(LedgerError):
    """A private key file is missing, unreadable, unsafe (readable by others) or not an Ed25519 key."""
