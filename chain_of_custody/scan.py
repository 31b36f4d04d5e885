"""The entry-by-entry half of verify, over one range of sequence numbers.

A range is checked the same way in this process (small ledgers) or in a worker process (large ones: the
ranges of a 100,000-entry ledger are checked in parallel, signatures included, since an Ed25519
verification alone takes about 140 µs). A range cannot know the entry before its first one, so the link
and numbering of each range's first entry are checked by verify when it puts the ranges together.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import messages as msg
from .actions import ACTIONS, KEY_PURPOSES
from .canonical import canonical_json
from .entry import ENTRY_FORMAT_VERSION, HASHED_FIELDS, compute_entry_hash, fast_canonical_text
from .errors import LedgerError
from .keys import key_record_from_details
from .rows import EntryReader, lenient_text
from .timestamps import TIMESTAMP_PATTERN

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_LISTED = 1000
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
Finding = tuple[int | None, str]


@dataclass(frozen=True)
class KeyInfo:
    """A registered key as the scan needs it (small and picklable, for worker processes)."""

    key_id: str
    public_key: bytes
    owner: str
    registered_seq: int


@dataclass
class ScanResult:
    """What one range yielded. ``digests``: each entry's stored hash as 32 bytes, in order (zeros where the
    stored hash is not even hex), for the Merkle tree; ``first``/``last``: (seq, prev_hash or entry_hash,
    last well-formed timestamp) for the checks across ranges."""

    count: int = 0
    first: tuple[int, Any, str | None] | None = None
    last: tuple[int, Any, str | None] | None = None
    digests: bytearray = field(default_factory=bytearray)
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    dropped_problems: int = 0
    dropped_warnings: int = 0
    signed: int = 0


def load_keys(conn: sqlite3.Connection) -> tuple[dict[str, KeyInfo], list[Finding], list[Finding]]:
    """The keys registered by key_registered entries (the first registration counts), and what is wrong
    with any registration."""
    previous = conn.text_factory
    conn.text_factory = lenient_text
    try:
        rows = conn.execute(
            "SELECT seq, details FROM entries WHERE action = 'key_registered' ORDER BY seq"
        ).fetchall()
    finally:
        conn.text_factory = previous
    keys: dict[str, KeyInfo] = {}
    problems: list[Finding] = []
    warnings: list[Finding] = []
    for seq, details in rows:
        try:
            record = key_record_from_details(seq, json.loads(details))
        except (ValueError, TypeError) as exc:
            problems.append((seq, msg.bad_registration(seq, exc)))
            continue
        if record.purpose not in KEY_PURPOSES:
            warnings.append((seq, msg.odd_purpose(seq, record.key_id, record.purpose)))
        if record.key_id in keys:
            warnings.append(
                (seq, msg.registered_again(seq, record.key_id, keys[record.key_id].registered_seq))
            )
            continue
        keys[record.key_id] = KeyInfo(record.key_id, record.public_key, record.owner, seq)
    return keys, problems, warnings


class _Scanner:
    def __init__(self, conn: sqlite3.Connection, case_id: str, keys: dict[str, KeyInfo]) -> None:
        self.reader = EntryReader(conn)
        self.case_id = case_id
        self.keys = keys
        self.public_keys: dict[str, Ed25519PublicKey] = {}
        self.result = ScanResult()

    def problem(self, seq: int | None, text: str) -> None:
        if len(self.result.problems) < MAX_LISTED:
            self.result.problems.append((seq, text))
        else:
            self.result.dropped_problems += 1

    def warning(self, seq: int | None, text: str) -> None:
        if len(self.result.warnings) < MAX_LISTED:
            self.result.warnings.append((seq, text))
        else:
            self.result.dropped_warnings += 1

    def run(self, after: int, up_to: int, progress: Callable[[int], None] | None) -> ScanResult:
        result = self.result
        problem, warning = self.problem, self.warning
        case_id = self.case_id
        digests = result.digests
        sha256 = hashlib.sha256
        text_of = fast_canonical_text
        timestamp_shape = TIMESTAMP_PATTERN.fullmatch
        expected: int | None = None
        previous_hash: Any = None
        previous_time: str | None = None
        for batch in self.reader.batches(after, up_to):
            for row in batch:
                (seq, v, uuid, timestamp, entry_case, exhibit, action, actor, from_party, to_party, location,
                 reason, details, host, software, prev_hash, key_id, entry_hash, signature) = row  # fmt: skip
                try:
                    digest: bytes | None = sha256(
                        text_of(seq, v, uuid, timestamp, entry_case, exhibit, action, actor, from_party,
                                to_party, location, reason, details, host, software, prev_hash, key_id)
                        .encode("utf-8")
                    ).digest()  # fmt: skip
                except (TypeError, ValueError, UnicodeError):
                    digest = None
                if digest is not None and digest.hex() == entry_hash:
                    digests += digest
                else:
                    if not self._full_hash_check(seq):
                        problem(seq, msg.content_changed(seq))
                    digests += _hash_bytes(entry_hash) or bytes(32)
                if expected is None:
                    result.first = (seq, prev_hash, None)
                elif seq != expected:
                    if seq > expected:
                        problem(expected, msg.missing_entries(expected, seq))
                    else:
                        problem(seq, msg.bad_number(seq))
                elif prev_hash != previous_hash:
                    problem(seq, msg.broken_link(seq))
                if v != ENTRY_FORMAT_VERSION:
                    problem(seq, msg.unknown_version(seq, v))
                if entry_case != case_id:
                    problem(seq, msg.other_case(seq, entry_case, case_id))
                if type(timestamp) is not str or not timestamp_shape(timestamp):
                    problem(seq, msg.bad_time(seq, timestamp))
                else:
                    if previous_time is None:
                        if result.first is not None and result.first[0] == seq:
                            result.first = (seq, prev_hash, timestamp)
                    elif timestamp < previous_time:
                        warning(seq, msg.clock_backwards(seq, timestamp, previous_time))
                    previous_time = timestamp
                if action not in ACTIONS:
                    warning(seq, msg.unknown_action(seq, action))
                if key_id is not None or signature is not None:
                    self._signature(seq, key_id, signature, entry_hash)
                previous_hash = entry_hash
                expected = seq + 1
                result.last = (seq, entry_hash, previous_time)
            result.count += len(batch)
            if progress is not None:
                progress(len(batch))
        return result

    def _full_hash_check(self, seq: int) -> bool:
        """The full canonical encoder over every stored column, for entries the fast text did not match."""
        row = self.reader.full_row(seq)
        if row is None:
            return False
        fields = dict(zip(HASHED_FIELDS, row[:17], strict=True))
        details_text, stored = row[12], row[17]
        try:
            fields["details"] = json.loads(details_text)
            matches = compute_entry_hash(fields) == stored
        except (TypeError, ValueError, LedgerError, RecursionError):
            return False
        if matches and canonical_json(fields["details"]) != details_text:
            self.warning(seq, msg.details_relaid(seq))
        return matches

    def _signature(self, seq: int, key_id: object, signature: object, entry_hash: object) -> None:
        if signature is None:
            self.problem(seq, msg.signature_removed(seq, key_id))
            return
        if key_id is None:
            self.problem(seq, msg.key_reference_removed(seq))
            return
        record = self.keys.get(str(key_id))
        if record is None:
            self.problem(seq, msg.key_unknown(seq, key_id))
            return
        if record.registered_seq > seq:
            self.problem(seq, msg.key_registered_later(seq, key_id, record.registered_seq))
            return
        message = _hash_bytes(entry_hash)
        if not isinstance(signature, str) or not _HEX128.fullmatch(signature) or message is None:
            self.problem(seq, msg.signature_malformed(seq))
            return
        raw = bytes.fromhex(signature)
        if self._valid(record, raw, message):
            self.result.signed += 1
            return
        other = next(
            (k for k in self.keys.values() if k.key_id != record.key_id and self._valid(k, raw, message)),
            None,
        )
        if other is not None:
            self.problem(
                seq, msg.signed_by_other_key(seq, other.key_id, other.owner, record.key_id, record.owner)
            )
        else:
            self.problem(seq, msg.signature_mismatch(seq, record.key_id, record.owner))

    def _valid(self, key: KeyInfo, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature  # imported on the first signature only
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        public = self.public_keys.get(key.key_id)
        if public is None:
            public = self.public_keys[key.key_id] = Ed25519PublicKey.from_public_bytes(key.public_key)
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def _hash_bytes(text: object) -> bytes | None:
    return bytes.fromhex(text) if isinstance(text, str) and _HEX64.fullmatch(text) else None


def scan_range(
    conn: sqlite3.Connection,
    after: int,
    up_to: int,
    case_id: str,
    keys: dict[str, KeyInfo],
    progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Check the entries with ``after < seq <= up_to`` on an open connection (inside the caller's read
    transaction)."""
    return _Scanner(conn, case_id, keys).run(after, up_to, progress)


def scan_range_in_worker(
    uri: str, after: int, up_to: int, case_id: str, keys: dict[str, KeyInfo]
) -> ScanResult:
    """The same, in a worker process, on its own read-only connection and read transaction."""
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        return scan_range(conn, after, up_to, case_id, keys)
    finally:
        conn.close()
