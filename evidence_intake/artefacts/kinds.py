"""How each artefact kind is stored: its table, its columns, and how a value becomes a column.

One ``KindSpec`` per kind drives both ways rows reach the store, so they cannot drift apart:

* the typed path (a parser yields ``Message(...)``): ``to_row`` turns the dataclass into a tuple;
* the bulk path (a parser hands over a SELECT, run by SQLite on the scratch copy): ``wrap_select``
  wraps each selected column in the SQL that does the same conversion (phone numbers to E.164 and
  text checked for valid UTF-8 go through functions registered on the connection by the engine).

The table layout itself is fixed by the store's migrations (artefacts/schema.py); a test checks that
every ``KindSpec`` matches its table column by column, and docs/artefacts.md is checked against the
column docs given here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evidence_intake.artefacts import model
from evidence_intake.artefacts.phones import to_e164
from evidence_intake.artefacts.text import LossyText
from evidence_intake.timeutil import iso_utc

# How a column's value is made from the artefact (typed path) or from the selected value (bulk path).
TEXT = "text"  # str; checked for valid UTF-8 on the bulk path
RAW = "raw"  # stored exactly as read (raw timestamps): int, float, text or bytes
INT = "int"
BOOL = "bool"
TIME = "time"  # ISO-8601 UTC text (timeutil.iso_utc); bulk selects give it via parsers.sql helpers
ENUM = "enum"  # a StrEnum value
E164 = "e164"  # normalised from the raw number in ``source`` (another field)
JSON_TEXTS = "json_texts"  # tuple[str] -> JSON array
JSON_E164 = "json_e164"  # tuple of raw numbers in ``source`` -> JSON array of the E.164 ones
JSON_PHONES = "json_phones"  # tuple[Phone] -> [{"number","label","e164"}]
JSON_HANDLES = "json_handles"  # tuple[Handle] -> [{"app","user_id","username"}]
JSON_ATTACHMENTS = "json_attachments"  # tuple[Attachment] -> [{"name","mime_type","path","size"}]

SQL_TYPES = {
    TEXT: "TEXT",
    RAW: "",
    INT: "INTEGER",
    BOOL: "INTEGER",
    TIME: "TEXT",
    ENUM: "TEXT",
    E164: "TEXT",
    JSON_TEXTS: "TEXT",
    JSON_E164: "TEXT",
    JSON_PHONES: "TEXT",
    JSON_HANDLES: "TEXT",
    JSON_ATTACHMENTS: "TEXT",
}

# Provenance columns every base table starts with, filled by the engine, never by a parser.
PROVENANCE_COLUMNS = ("id", "source_id", "exhibit", "record_table", "record_rowid", "record_offset")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    role: str
    doc: str
    source: str | None = None  # the dataclass field a derived column (E164, JSON_E164) is made from

    @property
    def field(self) -> str:
        return self.source or self.name


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier derived from a column, copied into the ``identifiers`` table for correlation."""

    column: str
    role: str  # sender, recipient, number, phone, email, handle, account, address
    type: str  # phone, email, user_id, username, wallet
    raw_column: str | None = None
    json_path: str | None = None  # for JSON list columns: the key holding the value in each item


@dataclass(frozen=True, slots=True)
class KindSpec:
    name: str  # "messages": also the name of the view analysts query
    artefact: type[model.Artefact]
    table: str  # base table: "message_rows"
    columns: tuple[Column, ...]
    doc: str
    time_expr: str | None = None  # what --since/--until compare
    order_by: str = "id"
    fts: str | None = None  # FTS5 table over ``fts_column``
    fts_column: str | None = None
    secret_columns: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    text_flag: bool = True  # the table has has_undecodable_text
    summary: tuple[str, ...] = field(default_factory=tuple)  # columns shown in a terminal table

    @property
    def column_names(self) -> tuple[str, ...]:
        names = tuple(c.name for c in self.columns)
        return (*names, "has_undecodable_text") if self.text_flag else names

    @property
    def list_columns(self) -> tuple[str, ...]:
        """Columns holding a JSON array as text (recipients, phones, handles, attachments...)."""
        return tuple(c.name for c in self.columns if c.role.startswith("json_"))

    def as_json_object(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A stored row for JSON output: the JSON-array columns as arrays, not as text inside JSON.

        A value that is not a JSON array (never written so by the tool) is left as the text it is.
        """
        out = dict(row)
        for name in self.list_columns:
            value = out.get(name)
            if isinstance(value, str):
                try:
                    decoded = json.loads(value)
                except ValueError:
                    continue
                if isinstance(decoded, list):
                    out[name] = decoded
        return out

    def to_row(
        self, artefact: model.Artefact, region: str, undecodable: list[tuple[str, bytes]]
    ) -> list[Any]:
        """Column values (in ``column_names`` order) for one typed artefact.

        Text that came from invalid UTF-8 (``LossyText``) is stored decoded with U+FFFD, and its raw
        bytes are appended to ``undecodable`` so that the engine keeps them.
        """
        hint = artefact.region or region
        values: list[Any] = []
        for column in self.columns:
            value = getattr(artefact, column.field)
            values.append(_convert(column, value, hint, undecodable))
        if self.text_flag:
            values.append(1 if undecodable else 0)
        return values

    def wrap_select(self, selected: Sequence[str], inner_sql: str, provenance: Sequence[str]) -> str:
        """SELECT over a parser's bulk query ``q`` giving this kind's columns in ``column_names`` order.

        ``selected`` are the column names the parser's query returns: names of dataclass fields plus
        ``record_rowid`` (required), ``record_table`` and ``region`` (optional). Fields it does not
        select are NULL (or the field's default for booleans). ``provenance`` are the expressions for
        the provenance columns, given by the engine. The statement has the named parameter :region (the
        exhibit's default) and is closed by the engine with a WHERE on the rowid range.

        Text is stored as read: the engine checks the ``text_columns`` for valid UTF-8 once the rows
        are in, a whole column at a time (parsers/bulk.py). Phone numbers go through cached Python
        functions, handed the bytes of their text so that no value can make them fail.
        """
        available = set(selected)
        region = "coalesce(q.region, :region)" if "region" in available else ":region"
        exprs: list[str] = []
        for i, column in enumerate(self.columns):
            exprs.append(_sql_expr(column, i, available, region))
        if self.text_flag:
            exprs.append("0")  # set afterwards for the rows with text that is not UTF-8 (see parsers.unit)
        return "SELECT " + ", ".join((*provenance, *exprs)) + f" FROM ({inner_sql}) AS q"

    def text_columns(self, selected: Sequence[str]) -> list[tuple[int, Column]]:
        """(index, column) of the columns whose text ``wrap_select`` stores unchecked (see above)."""
        available = set(selected)
        roles = (TEXT, JSON_TEXTS, JSON_HANDLES, JSON_ATTACHMENTS)
        return [(i, c) for i, c in enumerate(self.columns) if c.role in roles and c.field in available]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(name: str, value: Any, undecodable: list[tuple[str, bytes]]) -> str | None:
    if value is None:
        return None
    if isinstance(value, LossyText):
        undecodable.append((name, value.raw))
        return str(value)
    if isinstance(value, bytes):
        text = LossyText.decode(value)
        return _text(name, text, undecodable)
    return str(value)


def _whole(value: Any) -> int | None:
    """``value`` as an integer when it is a whole number (an int, an integral float, a text of digits);
    otherwise None. Never a guess: '1:05' is not 1 and 62.6 is not 62 (the raw value is kept beside)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() else None
    return None


def _convert(column: Column, value: Any, region: str, undecodable: list[tuple[str, bytes]]) -> Any:
    role = column.role
    if role == TEXT:
        return _text(column.name, value, undecodable)
    if role == RAW:
        return value
    if role == INT:
        return _whole(value)
    if role == BOOL:
        return None if value is None else (1 if value else 0)
    if role == TIME:
        return None if value is None else iso_utc(_aware(value))
    if role == ENUM:
        return None if value is None else str(value)
    if role == E164:
        return to_e164(value, region)
    if role == JSON_TEXTS:
        return _json([_text(column.name, v, undecodable) for v in value])
    if role == JSON_E164:
        return _json([e for e in (to_e164(v, region) for v in value) if e])
    if role == JSON_PHONES:
        return _json(
            [
                {
                    "number": _text(column.name, p.number, undecodable),
                    "label": _text(column.name, p.label, undecodable),
                    "e164": to_e164(p.number, region),
                }
                for p in value
            ]
        )
    if role == JSON_HANDLES:
        return _json(
            [
                {
                    "app": _text(column.name, h.app, undecodable),
                    "user_id": _text(column.name, h.user_id, undecodable),
                    "username": _text(column.name, h.username, undecodable),
                }
                for h in value
            ]
        )
    if role == JSON_ATTACHMENTS:
        return _json(
            [
                {
                    "name": _text(column.name, a.name, undecodable),
                    "mime_type": _text(column.name, a.mime_type, undecodable),
                    "path": _text(column.name, a.path, undecodable),
                    "size": a.size,
                }
                for a in value
            ]
        )
    raise ValueError(f"unknown column role {role!r}")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime in an artefact: parsers must give timezone-aware UTC times")
    return value


def _sql_expr(column: Column, index: int, available: set[str], region: str) -> str:
    src = column.field
    role = column.role
    lists = (JSON_TEXTS, JSON_E164, JSON_PHONES, JSON_HANDLES, JSON_ATTACHMENTS)
    if src not in available:  # the dataclass default: empty lists, not deleted, else NULL
        return "'[]'" if role in lists else ("0" if column.name == "is_deleted" else "NULL")
    q = f"q.{src}"
    # numbers stored as integers become text; functions get the bytes of the text (never a failed decode)
    raw, key_region = f"CAST(CAST({q} AS TEXT) AS BLOB)", f"CAST(CAST({region} AS TEXT) AS BLOB)"
    if role in (JSON_TEXTS, JSON_HANDLES, JSON_ATTACHMENTS):
        return f"coalesce({q}, '[]')"
    if role == TEXT:
        # Stored as read; the engine checks the column for valid UTF-8 once the rows are in (a whole
        # column at a time) and decodes only the values that fail. Blobs are decoded here.
        return f"CASE WHEN typeof({q}) = 'blob' THEN ei_text({q}, {index}, q.record_rowid) ELSE {q} END"
    if role in (RAW, TIME, ENUM):
        return q
    if role == INT:
        # A whole number only (as _whole does): CAST would turn '1:05' into 1 and 62.6 into 62.
        return (
            f"CASE typeof({q}) WHEN 'integer' THEN {q} "
            f"WHEN 'real' THEN (CASE WHEN {q} = CAST({q} AS INTEGER) THEN CAST({q} AS INTEGER) END) "
            f"WHEN 'text' THEN (CASE WHEN trim({q}) != '' AND trim({q}) NOT GLOB '*[^0-9]*' "
            f"THEN CAST(trim({q}) AS INTEGER) END) END"
        )
    if role == BOOL:
        return f"CASE WHEN {q} IS NULL THEN NULL WHEN {q} THEN 1 ELSE 0 END"
    if role == E164:
        return f"ei_e164({raw}, {key_region})"
    if role == JSON_E164:
        return f"ei_e164_list({raw}, {key_region})"
    if role == JSON_PHONES:
        return f"ei_phones(CAST({q} AS BLOB), {key_region}, {index}, q.record_rowid)"
    raise ValueError(f"unknown column role {role!r}")


def _c(name: str, role: str, doc: str, source: str | None = None) -> Column:
    return Column(name, role, doc, source)


MESSAGES = KindSpec(
    name="messages",
    artefact=model.Message,
    table="message_rows",
    doc="Chat and text messages of every app (SMS, MMS, WhatsApp, LINE...), one row per message.",
    columns=(
        _c("app", TEXT, "App or service: SMS, MMS, WhatsApp, LINE, Telegram..."),
        _c("account", TEXT, "The device owner's account the message belongs to, when the app says."),
        _c("thread_id", TEXT, "The app's conversation id (text, as stored)."),
        _c("thread_name", TEXT, "Group or conversation name, when the app stores one."),
        _c("sender", TEXT, "Sender as stored (number, JID, user id); NULL when the owner sent it."),
        _c("sender_name", TEXT, "Sender's display name, when the app stores one."),
        _c("sender_phone", E164, "Sender's number in E.164, when it is a valid number (raw in sender)."),
        _c("sender_user_id", TEXT, "Sender's app user id (WhatsApp JID, LINE mid...)."),
        _c("recipients", JSON_TEXTS, "JSON array of recipients as stored."),
        _c("recipient_phones", JSON_E164, "JSON array of the recipients' valid numbers in E.164."),
        _c("direction", ENUM, "incoming, outgoing or unknown."),
        _c("status", TEXT, "The app's state of the message in words (sent, draft, failed, queued...)."),
        _c("sent_at", TIME, "When sent, ISO-8601 UTC with microseconds; NULL when unknown or out of range."),
        _c("sent_at_raw", RAW, "The stored value sent_at was converted from, unchanged."),
        _c("received_at", TIME, "When the device received it, ISO-8601 UTC; NULL for outgoing or unknown."),
        _c("received_at_raw", RAW, "The stored value received_at was converted from, unchanged."),
        _c("body", TEXT, "Message text."),
        _c("attachments", JSON_ATTACHMENTS, "JSON array of {name, mime_type, path, size}."),
        _c("is_deleted", BOOL, "1 when the app marks the message deleted (still present in the store)."),
    ),
    time_expr="coalesce(sent_at, received_at)",
    order_by="coalesce(sent_at, received_at), id",
    fts="messages_fts",
    fts_column="body",
    identifiers=(
        Identifier("sender_phone", "sender", "phone", raw_column="sender"),
        Identifier("sender_user_id", "sender", "user_id", raw_column="sender_user_id"),
        Identifier("recipient_phones", "recipient", "phone", json_path="$"),
    ),
    summary=("exhibit", "app", "direction", "sent_at", "received_at", "sender", "recipients", "body"),
)

CONTACTS = KindSpec(
    name="contacts",
    artefact=model.Contact,
    table="contact_rows",
    doc="Address-book entries, from the phone's contacts and from apps' own contact lists.",
    columns=(
        _c(
            "app", TEXT, "Where the entry lives: Contacts (Android), or the app that synced it (WhatsApp...)."
        ),
        _c("account", TEXT, "Sync account the entry belongs to (account type / name)."),
        _c("name", TEXT, "Display name."),
        _c("phones", JSON_PHONES, 'JSON array of {"number" as stored, "label", "e164" or null}.'),
        _c("emails", JSON_TEXTS, "JSON array of e-mail addresses as stored."),
        _c("handles", JSON_HANDLES, 'JSON array of {"app", "user_id", "username"}.'),
        _c("organization", TEXT, "Company or organisation."),
        _c("notes", TEXT, "Free-text note on the entry."),
        _c("is_deleted", BOOL, "1 when the entry is marked deleted but still present."),
    ),
    order_by="name, id",
    fts="contacts_fts",
    fts_column="name",
    identifiers=(
        Identifier("phones", "phone", "phone", json_path="$.e164"),
        Identifier("emails", "email", "email", json_path="$"),
        Identifier("handles", "handle", "user_id", json_path="$.user_id"),
        Identifier("handles", "handle", "username", json_path="$.username"),
    ),
    summary=("exhibit", "app", "name", "phones", "emails", "handles"),
)

CALLS = KindSpec(
    name="calls",
    artefact=model.Call,
    table="call_rows",
    doc="Call logs: telephone calls and app calls.",
    columns=(
        _c("app", TEXT, "Phone (the telephone call log), or the app: WhatsApp, LINE..."),
        _c("number", TEXT, "The other party's number or id, as stored."),
        _c("number_e164", E164, "The number in E.164 when valid.", source="number"),
        _c("name", TEXT, "Name the app showed for the number (cached contact name)."),
        _c("direction", ENUM, "incoming, outgoing or unknown."),
        _c("status", TEXT, "answered, missed, rejected, blocked, voicemail, answered elsewhere."),
        _c("call_type", TEXT, "voice or video, when known."),
        _c("started_at", TIME, "Start of the call, ISO-8601 UTC."),
        _c("started_at_raw", RAW, "The stored value started_at was converted from, unchanged."),
        _c("duration_s", INT, "Duration in whole seconds; NULL when the stored value is not a whole number."),
        _c(
            "duration_raw",
            RAW,
            "The stored duration duration_s was read from, unchanged, in the app's unit (LINE: ms).",
        ),
        _c("location", TEXT, "The app's geocoded place for the number (not the device's position)."),
        _c("is_deleted", BOOL, "1 when the entry is marked deleted but still present."),
    ),
    time_expr="started_at",
    order_by="started_at, id",
    identifiers=(Identifier("number_e164", "number", "phone", raw_column="number"),),
    summary=("exhibit", "app", "direction", "status", "started_at", "number", "name", "duration_s"),
)

ACCOUNTS = KindSpec(
    name="accounts",
    artefact=model.Account,
    table="account_rows",
    doc="The device owner's own accounts in apps (who the phone's user is).",
    columns=(
        _c("app", TEXT, "App of the account."),
        _c("user_id", TEXT, "The app's user id."),
        _c("phone", TEXT, "Phone number as stored."),
        _c("phone_e164", E164, "The number in E.164 when valid.", source="phone"),
        _c("username", TEXT, "Username / handle."),
        _c("display_name", TEXT, "Display name."),
        _c("email", TEXT, "E-mail address as stored."),
    ),
    identifiers=(
        Identifier("phone_e164", "account", "phone", raw_column="phone"),
        Identifier("user_id", "account", "user_id", raw_column="user_id"),
        Identifier("username", "account", "username", raw_column="username"),
        Identifier("email", "account", "email", raw_column="email"),
    ),
    summary=("exhibit", "app", "user_id", "phone", "username", "display_name", "email"),
)

ENCRYPTED_STORES = KindSpec(
    name="encrypted_stores",
    artefact=model.EncryptedStore,
    table="encrypted_store_rows",
    doc="Stores found but not readable without a key (Signal, WeChat EnMicroMsg.db, WhatsApp crypt14/15).",
    columns=(
        _c("app", TEXT, "App the store belongs to."),
        _c("store_type", TEXT, "Kind of encryption: SQLCipher, WhatsApp crypt15..."),
        _c("reason", TEXT, 'Why it was not read: "encrypted; key needed".'),
        _c("key_hint", TEXT, "Where the key usually is and what is needed to obtain it."),
    ),
    text_flag=False,
    summary=("exhibit", "app", "store_type", "reason", "source_path"),
)

WALLET_ADDRESSES = KindSpec(
    name="wallet_addresses",
    artefact=model.WalletAddress,
    table="wallet_address_rows",
    doc="Cryptocurrency addresses: the device's own wallets and counterparties.",
    columns=(
        _c("app", TEXT, "Wallet app or the app the address appeared in."),
        _c("chain", TEXT, "Blockchain: TRON, Ethereum, Bitcoin..."),
        _c("address", TEXT, "The address as stored."),
        _c("asset", TEXT, "Token, when known (USDT)."),
        _c("label", TEXT, "Label the app gives the address."),
        _c("is_own", BOOL, "1 for the device's own wallet, 0 for a counterparty, NULL when unknown."),
    ),
    identifiers=(Identifier("address", "address", "wallet", raw_column="address"),),
    summary=("exhibit", "app", "chain", "asset", "address", "label", "is_own"),
)

SECRETS = KindSpec(
    name="secrets",
    artefact=model.Secret,
    table="secret_rows",
    doc="Seed phrases, private keys and passwords. Masked in every output unless --reveal is given.",
    columns=(
        _c("app", TEXT, "App the secret was found in."),
        _c("secret_type", TEXT, "seed phrase, private key, password, PIN."),
        _c(
            "value",
            TEXT,
            "The secret itself. Masked on output unless revealed (the reveal is in the ledger).",
        ),
        _c("chain", TEXT, "Blockchain the secret opens, when known."),
        _c("related_address", TEXT, "The address it controls, when known."),
        _c("label", TEXT, "Label the app gives it."),
    ),
    secret_columns=("value",),
    summary=("exhibit", "app", "secret_type", "value", "chain", "related_address"),
)

KINDS: dict[str, KindSpec] = {
    k.name: k for k in (MESSAGES, CONTACTS, CALLS, ACCOUNTS, ENCRYPTED_STORES, WALLET_ADDRESSES, SECRETS)
}
BY_ARTEFACT: dict[type[model.Artefact], KindSpec] = {k.artefact: k for k in KINDS.values()}


def spec_for(artefact: model.Artefact | type[model.Artefact]) -> KindSpec:
    cls = artefact if isinstance(artefact, type) else type(artefact)
    try:
        return BY_ARTEFACT[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} is not an artefact kind the store knows") from None
