"""One ledger entry and its hash.

The entry hash is SHA-256 over the UTF-8 bytes of the canonical JSON (see :mod:`.canonical`) of an object
holding every field of the entry except ``entry_hash`` and ``signature``, plus ``"v": 1``, the version of
this encoding. Absent optional fields are present as ``null``. ``details`` is the JSON object itself, not
its text. The signature, when there is one, is Ed25519 over the 32 raw bytes of the entry hash, written as
128 lowercase hex digits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import canonical_json
from .errors import LedgerError
from .timestamps import parse_timestamp

ENTRY_FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64

#: The fields covered by the entry hash, in the order of the ``entries`` table's columns.
HASHED_FIELDS: tuple[str, ...] = (
    "seq",
    "v",
    "uuid",
    "timestamp",
    "case_id",
    "exhibit",
    "action",
    "actor",
    "from_party",
    "to_party",
    "location",
    "reason",
    "details",
    "host",
    "software",
    "prev_hash",
    "key_id",
)
OPTIONAL_FIELDS = frozenset({"exhibit", "from_party", "to_party", "location", "reason", "key_id"})


@dataclass(frozen=True)
class Entry:
    """An entry as stored. ``signature`` is hex (128 digits) or None; ``details`` is a fresh dict."""

    seq: int
    uuid: str
    timestamp: str
    case_id: str
    exhibit: str | None
    action: str
    actor: str
    from_party: str | None
    to_party: str | None
    location: str | None
    reason: str | None
    details: dict[str, Any]
    host: str
    software: str
    prev_hash: str
    key_id: str | None
    entry_hash: str
    signature: str | None
    v: int = field(default=ENTRY_FORMAT_VERSION)

    def __hash__(self) -> int:
        return hash(self.entry_hash)

    @property
    def datetime(self) -> dt.datetime:
        """The entry's time as an aware UTC datetime (``timestamp`` keeps the stored text)."""
        return parse_timestamp(self.timestamp)

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def hashed_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        out = self.hashed_fields()
        out["details"] = dict(self.details)
        out["entry_hash"] = self.entry_hash
        out["signature"] = self.signature
        return out

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Entry:
        """Build from ``SELECT <ENTRY_COLUMNS>``; LedgerError when the stored row is not readable."""
        values = dict(zip((*HASHED_FIELDS, "entry_hash", "signature"), row, strict=True))
        try:
            details = json.loads(values["details"])
        except (TypeError, ValueError) as exc:
            raise LedgerError(
                f"entry {values['seq']}: its details are not readable JSON ({exc})",
                hint="run the ledger's verify: the file was probably edited",
            ) from exc
        if not isinstance(details, dict):
            raise LedgerError(
                f"entry {values['seq']}: its details are not a JSON object",
                hint="run the ledger's verify: the file was probably edited",
            )
        values["details"] = details
        return cls(**values)


ENTRY_COLUMNS = ", ".join((*HASHED_FIELDS, "entry_hash", "signature"))


def compute_entry_hash(entry: Entry | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's hashed fields.

    Accepts an :class:`Entry` or a mapping with every field of :data:`HASHED_FIELDS` (``v`` may be left
    out and defaults to 1; ``entry_hash`` and ``signature`` are ignored; other keys are refused so that a
    misspelt field cannot silently drop out of the hash).
    """
    if isinstance(entry, Entry):
        fields = entry.hashed_fields()
    else:
        fields = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature")}
        fields.setdefault("v", ENTRY_FORMAT_VERSION)
        unknown = sorted(set(fields) - set(HASHED_FIELDS))
        missing = sorted(set(HASHED_FIELDS) - set(fields))
        if unknown or missing:
            raise LedgerError(
                "cannot hash entry: "
                + "; ".join(
                    part
                    for part in (
                        f"unknown field(s) {', '.join(unknown)}" if unknown else "",
                        f"missing field(s) {', '.join(missing)}" if missing else "",
                    )
                    if part
                )
            )
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


# The fast path cross-checked on every append and used by verify when SQLite cannot build the text
# itself: the C string escaper of the standard json module writes every character exactly as JCS does
# (tested over every BMP character), the top-level names are ASCII and written here in sorted order, and
# ``details`` is already stored as canonical JSON text, spliced in verbatim. Wrong types (an attacker's
# integer in a text column, say) raise TypeError or ValueError, and the caller uses the full encoder.
_quote = json.encoder.encode_basestring


def fast_canonical_text(
    seq: Any,
    v: Any,
    uuid: Any,
    timestamp: Any,
    case_id: Any,
    exhibit: Any,
    action: Any,
    actor: Any,
    from_party: Any,
    to_party: Any,
    location: Any,
    reason: Any,
    details_text: Any,
    host: Any,
    software: Any,
    prev_hash: Any,
    key_id: Any,
) -> str:
    """The canonical JSON of an entry from its stored column values (``details`` as stored text)."""
    if not isinstance(details_text, str) or type(seq) is not int or type(v) is not int:
        raise TypeError("not the column types the ledger writes")
    q = _quote
    return (
        f'{{"action":{q(action)},"actor":{q(actor)},"case_id":{q(case_id)},"details":{details_text},'
        f'"exhibit":{"null" if exhibit is None else q(exhibit)},'
        f'"from_party":{"null" if from_party is None else q(from_party)},"host":{q(host)},'
        f'"key_id":{"null" if key_id is None else q(key_id)},'
        f'"location":{"null" if location is None else q(location)},"prev_hash":{q(prev_hash)},'
        f'"reason":{"null" if reason is None else q(reason)},"seq":{seq},"software":{q(software)},'
        f'"timestamp":{q(timestamp)},"to_party":{"null" if to_party is None else q(to_party)},'
        f'"uuid":{q(uuid)},"v":{v}}}'
    )


def fast_entry_hash(*columns: Any) -> bytes:
    """SHA-256 (raw) of :func:`fast_canonical_text`; equals :func:`compute_entry_hash` for rows the
    ledger wrote. Raises TypeError/ValueError/UnicodeError on anything else."""
    return hashlib.sha256(fast_canonical_text(*columns).encode("utf-8")).digest()
