"""Artefacts: the dataclasses parsers yield (``model``) and the SQLite store they end up in (``store``)."""

from __future__ import annotations

from evidence_intake.artefacts.model import (
    Account,
    Artefact,
    Attachment,
    Call,
    Contact,
    Direction,
    EncryptedStore,
    Handle,
    Locator,
    Message,
    Phone,
    Secret,
    WalletAddress,
)

__all__ = [
    "Account",
    "Artefact",
    "Attachment",
    "Call",
    "Contact",
    "Direction",
    "EncryptedStore",
    "Handle",
    "Locator",
    "Message",
    "Phone",
    "Secret",
    "WalletAddress",
]
