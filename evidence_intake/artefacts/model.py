"""The artefacts parsers yield: one frozen dataclass per *kind*, shared by every app.

A WhatsApp message and an SMS are both a ``Message``; what tells them apart is ``app``. Parsers set
what they read from the evidence, with the raw stored value beside every converted one (a time and
the integer it came from). They never set provenance (exhibit, source file, hash, parser, run):
the engine attaches it when it stores the row. The only piece of provenance a parser gives is the
``locator``: which table and row of the source the artefact came from, because only it knows.

Phone numbers are given as found ("081-234-5678", "66812345678"); the engine normalises them to
E.164 with the exhibit's default region (or the per-record ``region`` hint a parser may give, such
as the ``countryiso`` column of the Android call log) and keeps the raw text next to the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

RawValue = int | float | str | bytes | None


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Locator:
    """Where in its source file an artefact was read: a table and rowid, or a byte offset."""

    table: str | None = None
    rowid: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        if self.table is not None:
            return f"{self.table}#{self.rowid}" if self.rowid is not None else self.table
        return f"@{self.offset}" if self.offset is not None else "-"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    name: str | None = None
    mime_type: str | None = None
    path: str | None = None  # where the app says the file is, on the device
    size: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "mime_type": self.mime_type, "path": self.path, "size": self.size}


@dataclass(frozen=True, slots=True, kw_only=True)
class Phone:
    """A phone number as found in the evidence, with its label ("mobile", "work") when there is one."""

    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Handle:
    """An identity inside an app: a user id (WhatsApp JID, LINE mid, Telegram id) or a username."""

    app: str
    user_id: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Artefact:
    """Common base: ``locator`` says where in the source file the record was read."""

    KIND: ClassVar[str] = ""
    locator: Locator
    region: str | None = None  # ISO 3166 hint for phone numbers of this record ("US"), else the exhibit's


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Artefact):
    KIND: ClassVar[str] = "messages"
    app: str
    account: str | None = None  # the device owner's account the message belongs to, when known
    thread_id: str | None = None
    thread_name: str | None = None
    sender: str | None = None  # raw identifier as stored: number, JID, mid; None when the owner sent it
    sender_name: str | None = None
    sender_phone: str | None = None  # the sender's number as found, normalised by the engine
    sender_user_id: str | None = None
    recipients: tuple[str, ...] = ()  # raw identifiers
    recipient_phones: tuple[str, ...] = ()  # numbers as found, normalised by the engine
    direction: Direction = Direction.UNKNOWN
    status: str | None = None  # app's own state in words: "draft", "failed", "read"...
    sent_at: datetime | None = None
    sent_at_raw: RawValue = None
    received_at: datetime | None = None
    received_at_raw: RawValue = None
    body: str | None = None
    attachments: tuple[Attachment, ...] = ()
    is_deleted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact(Artefact):
    KIND: ClassVar[str] = "contacts"
    app: str
    account: str | None = None  # the sync account the entry belongs to ("com.whatsapp", a Google address)
    name: str | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[str, ...] = ()
    handles: tuple[Handle, ...] = ()
    organization: str | None = None
    notes: str | None = None
    is_deleted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Call(Artefact):
    KIND: ClassVar[str] = "calls"
    app: str
    number: str | None = None  # as found; normalised by the engine into number_e164
    name: str | None = None
    direction: Direction = Direction.UNKNOWN
    status: str | None = None  # answered, missed, rejected, blocked, voicemail, answered elsewhere
    call_type: str | None = None  # voice, video
    started_at: datetime | None = None
    started_at_raw: RawValue = None
    duration_s: int | None = None
    duration_raw: RawValue = None  # the stored duration duration_s was read from, in the app's own unit
    location: str | None = None  # the app's geocoded place of the number, not of the device
    is_deleted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Account(Artefact):
    KIND: ClassVar[str] = "accounts"
    app: str
    user_id: str | None = None
    phone: str | None = None  # as found; normalised by the engine into phone_e164
    username: str | None = None
    display_name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptedStore(Artefact):
    """A store that was found but cannot be read without a key, so that an analyst knows it is there."""

    KIND: ClassVar[str] = "encrypted_stores"
    app: str
    store_type: str  # "SQLCipher", "WhatsApp crypt15"...
    reason: str = "encrypted; key needed"
    key_hint: str | None = None  # where the key usually is, and what is needed to get it


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletAddress(Artefact):
    KIND: ClassVar[str] = "wallet_addresses"
    app: str
    chain: str  # "TRON", "Ethereum", "Bitcoin"
    address: str
    asset: str | None = None  # "USDT"
    label: str | None = None
    is_own: bool | None = None  # the device's own wallet (True) or a counterparty (False), when known


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret(Artefact):
    """A seed phrase, private key or password found in evidence.

    The value is stored (the artefact store is case material) but masked in every output unless the
    user asks with --reveal, and revealing is itself recorded in the ledger.
    """

    KIND: ClassVar[str] = "secrets"
    app: str
    secret_type: str  # "seed phrase", "private key", "password", "PIN"
    value: str
    chain: str | None = None
    related_address: str | None = None
    label: str | None = None


ARTEFACT_TYPES: tuple[type[Artefact], ...] = (
    Message,
    Contact,
    Call,
    Account,
    EncryptedStore,
    WalletAddress,
    Secret,
)
