"""The ledger: one SQLite file per case, append-only, hash-chained, with a Merkle tree beside the chain.

Every append is one ``BEGIN IMMEDIATE`` transaction: the head is read under the write lock, the entry and
the tree nodes it completes are inserted, and the commit is durable (WAL, ``synchronous=FULL``) before
``append`` returns. Several processes may append at once (they queue on the lock, up to ``busy_timeout``);
a process killed mid-append or a full disk leaves the ledger as it was before that entry.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid as uuid_module
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .actions import ACTIONS, KEY_PURPOSES
from .canonical import canonical_json
from .entry import (
    ENTRY_COLUMNS,
    ENTRY_FORMAT_VERSION,
    GENESIS_HASH,
    HASHED_FIELDS,
    Entry,
    compute_entry_hash,
    fast_entry_hash,
)
from .errors import (
    KeyAlreadyRegisteredError,
    KeyNotRegisteredError,
    LedgerError,
    LedgerExistsError,
    LedgerReadOnlyError,
    UnknownActionError,
)
from .keys import KeyRecord, Signer, key_id_for, key_record_from_details, public_key_is_valid
from .merkle import consistency_path, inclusion_path, leaf_hash, new_nodes_for_leaf, root_hash
from .schema import (
    LedgerInfo,
    apply_migrations,
    probe,
    reader_uri,
    uri_for,
)
from .storage import (
    TableNodes,
    build_new_ledger_file,
    check_text,
    signed_from_row,
    translate,
)
from .timestamps import format_timestamp, utc_now

if TYPE_CHECKING:
    from .proofs import Checkpoint, ConsistencyProof, InclusionProof, SignedCheckpoint
    from .verify import VerificationReport

# Proofs, checkpoints and verification are imported by the methods that use them: appending an
# entry, which every command does, needs none of them.

DEFAULT_BUSY_TIMEOUT = 60.0


class Ledger:
    """A case's chain-of-custody ledger. Create with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, info: LedgerInfo, *, readonly: bool) -> None:
        self.path = path
        self.case_id = info.case_id
        self.created_at = info.created_at
        self.readonly = readonly
        self._conn = conn
        self._key_cache: dict[str, KeyRecord] = {}
        self._reader_uri: str | None = None  # how worker processes open this file to help verify it

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r}, case_id={self.case_id!r}{', readonly' if self.readonly else ''})"

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, path: Path, *, case_id: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Ledger:
        """Make a new, empty ledger at ``path``; LedgerExistsError if anything is there already.

        The file is built under a temporary name beside ``path`` and linked into place in one step, so
        nobody ever sees a half-made ledger and an existing file is never replaced.
        """
        path = Path(path)
        if not isinstance(case_id, str) or not case_id.strip():
            raise LedgerError("a ledger needs a case id (a non-empty text)")
        canonical_json(case_id)
        if path.exists() or path.is_symlink():
            raise LedgerExistsError(
                f"{path}: a file is already there; a new ledger was not created",
                path=path,
                hint="open the existing ledger instead, or choose another path",
            )
        if not path.parent.is_dir():
            raise LedgerError(f"{path.parent}: no such folder for the ledger", path=path.parent)
        build_new_ledger_file(path, case_id)
        return cls.open(path, busy_timeout=busy_timeout)

    @classmethod
    def open(
        cls, path: Path, *, readonly: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    ) -> Ledger:
        """Open an existing ledger. NotALedgerError (file untouched) when it is not one or is damaged."""
        path = Path(path)
        info = probe(path)
        uri = reader_uri(path) if readonly else uri_for(path, readonly=False)
        try:
            conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                timeout=busy_timeout,
            )
        except sqlite3.Error as exc:
            raise translate(exc, path, "the ledger could not be opened") from exc
        try:
            if not readonly:
                conn.execute("PRAGMA synchronous = FULL")
                if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                apply_migrations(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, path, "the ledger could not be opened") from exc
        ledger = cls(path, conn, info, readonly=readonly)
        ledger._reader_uri = reader_uri(path)
        return ledger

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def append(
        self,
        action: str,
        *,
        actor: str,
        exhibit: str | None = None,
        from_party: str | None = None,
        to_party: str | None = None,
        location: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        host: str | None = None,
        software: str,
        signer: Signer | None = None,
    ) -> Entry:
        """Append one entry and return it as stored (durable when this returns).

        ``signer`` must hold a key already registered in this ledger (:meth:`register_key`).
        """
        if action == "key_registered":
            raise LedgerError(
                "key_registered entries are written by Ledger.register_key, which checks the key"
            )
        return self._append(
            action,
            actor=actor,
            exhibit=exhibit,
            from_party=from_party,
            to_party=to_party,
            location=location,
            reason=reason,
            details=details,
            host=host,
            software=software,
            signer=signer,
            registering=None,
        )

    def register_key(
        self,
        signer_or_public: Signer | bytes,
        *,
        owner: str,
        purpose: str,
        actor: str,
        software: str,
        host: str | None = None,
        signer: Signer | None = None,
    ) -> Entry:
        """Write a key_registered entry for a public key, so entries and checkpoints signed with it verify.

        Given a :class:`Signer` and no ``signer``, the entry is signed by the new key itself (proof that
        the registrant holds the private key). ``purpose`` is "workstation" or "officer".
        KeyAlreadyRegisteredError when the key is registered already.
        """
        if isinstance(signer_or_public, Signer):
            public_key = signer_or_public.public_key
            if signer is None:
                signer = signer_or_public
        else:
            public_key = bytes(signer_or_public)
            if len(public_key) != 32 or not public_key_is_valid(public_key):
                raise LedgerError("a public key to register must be the 32 raw bytes of an Ed25519 key")
        if purpose not in KEY_PURPOSES:
            raise LedgerError(f"key purpose {purpose!r} is not one of: {', '.join(sorted(KEY_PURPOSES))}")
        check_text("owner", owner, required=True)
        key_id = key_id_for(public_key)
        return self._append(
            "key_registered",
            actor=actor,
            details={"key_id": key_id, "public_key": public_key.hex(), "owner": owner, "purpose": purpose},
            host=host,
            software=software,
            signer=signer,
            registering=key_id,
        )

    def _append(
        self,
        action: str,
        *,
        actor: str,
        exhibit: str | None = None,
        from_party: str | None = None,
        to_party: str | None = None,
        location: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None,
        host: str | None,
        software: str,
        signer: Signer | None,
        registering: str | None,
    ) -> Entry:
        self._require_writable()
        if action not in ACTIONS:
            raise UnknownActionError(
                f"unknown ledger action {action!r}; the known actions are: {', '.join(sorted(ACTIONS))}",
                hint="use one of the listed actions, or 'note' with details for anything else",
            )
        for name, value, required in (
            ("actor", actor, True),
            ("software", software, True),
            ("exhibit", exhibit, False),
            ("from_party", from_party, False),
            ("to_party", to_party, False),
            ("location", location, False),
            ("reason", reason, False),
            ("host", host, False),
        ):
            check_text(name, value, required=required)
        if details is not None and not isinstance(details, Mapping):
            raise LedgerError(f"details must be a mapping (a JSON object), got {type(details).__name__}")
        details_dict = dict(details or {})
        details_text = canonical_json(details_dict)
        host = host if host is not None else os.uname().nodename  # socket.gethostname(), without socket
        conn = self._conn
        self._begin_immediate()
        try:
            head = conn.execute("SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
            if registering is not None:
                existing = self._registration(registering)
                if existing is not None:
                    raise KeyAlreadyRegisteredError(
                        f"key {registering} is already registered in this ledger "
                        f"(entry {existing.registered_seq})",
                        registered_seq=existing.registered_seq,
                        path=self.path,
                    )
            if (
                signer is not None
                and signer.key_id != registering
                and self._registration(signer.key_id) is None
            ):
                raise KeyNotRegisteredError(
                    f"key {signer.key_id} is not registered in the ledger {self.path}, so entries it signs "
                    "could not be verified",
                    path=self.path,
                    hint="register the key first (Ledger.register_key)",
                )
            fields: dict[str, Any] = {
                "seq": seq,
                "v": ENTRY_FORMAT_VERSION,
                "uuid": str(uuid_module.uuid4()),
                "timestamp": format_timestamp(utc_now()),
                "case_id": self.case_id,
                "exhibit": exhibit,
                "action": action,
                "actor": actor,
                "from_party": from_party,
                "to_party": to_party,
                "location": location,
                "reason": reason,
                "details": details_dict,
                "host": host,
                "software": software,
                "prev_hash": prev_hash,
                "key_id": signer.key_id if signer is not None else None,
            }
            entry_hash = compute_entry_hash(fields)
            row = [details_text if name == "details" else fields[name] for name in HASHED_FIELDS]
            if fast_entry_hash(*row).hex() != entry_hash:
                raise LedgerError(
                    "internal error: the two canonical encoders disagree on this entry; it was not written",
                    hint="report this with the entry's details",
                )
            signature = signer.sign(bytes.fromhex(entry_hash)).hex() if signer is not None else None
            conn.execute(
                f"INSERT INTO entries ({ENTRY_COLUMNS}) VALUES ({', '.join('?' * (len(HASHED_FIELDS) + 2))})",
                [*row, entry_hash, signature],
            )
            nodes = new_nodes_for_leaf(
                TableNodes(conn, self.path), seq - 1, leaf_hash(bytes.fromhex(entry_hash))
            )
            conn.executemany("INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise translate(exc, self.path, "the entry was not written") from exc
        except BaseException:
            self._rollback()
            raise
        return Entry(
            **{**fields, "details": json.loads(details_text)}, entry_hash=entry_hash, signature=signature
        )

    def sign_checkpoint(self, signer: Signer) -> SignedCheckpoint:
        """Sign the current checkpoint with a registered key (normally the workstation's) and store it."""
        from .proofs import SignedCheckpoint, signed_checkpoint_message

        self._require_writable()
        self._begin_immediate()
        try:
            if self._registration(signer.key_id) is None:
                raise KeyNotRegisteredError(
                    f"key {signer.key_id} is not registered in the ledger {self.path}; a checkpoint it signs "
                    "could not be verified",
                    path=self.path,
                    hint="register the workstation key first (Ledger.register_key)",
                )
            checkpoint = self._checkpoint_at(self._size())
            timestamp = format_timestamp(utc_now())
            message = signed_checkpoint_message(checkpoint, self.case_id, timestamp, signer.key_id)
            signed = SignedCheckpoint(
                checkpoint, self.case_id, timestamp, signer.key_id, signer.sign(message).hex()
            )
            self._conn.execute(
                "INSERT INTO checkpoints (tree_size, root_hash, case_id, timestamp, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    checkpoint.tree_size,
                    checkpoint.root_hash,
                    self.case_id,
                    timestamp,
                    signer.key_id,
                    signed.signature,
                ),
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise translate(exc, self.path, "the checkpoint was not stored") from exc
        except BaseException:
            self._rollback()
            raise
        return signed

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        """The number of entries (the highest sequence number; in a ledger that verifies, the row count)."""
        return self._size()

    def _size(self) -> int:
        try:
            return int(self._conn.execute("SELECT IFNULL(MAX(seq), 0) FROM entries").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path, "its number of entries cannot be read") from exc

    def entry(self, seq: int) -> Entry:
        row = self._conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise LedgerError(
                f"{self.path}: there is no entry {seq} (the ledger has {len(self)} entries)", path=self.path
            )
        return Entry.from_row(row)

    def last(self) -> Entry | None:
        row = self._conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return Entry.from_row(row) if row is not None else None

    def entries(
        self, *, exhibit: str | None = None, action: str | None = None, start: int = 1, end: int | None = None
    ) -> Iterator[Entry]:
        """Entries in sequence order, read in batches (a million-entry ledger is never held in memory)."""
        if action is not None and action not in ACTIONS:
            raise UnknownActionError(
                f"unknown ledger action {action!r}; the known actions are: {', '.join(sorted(ACTIONS))}"
            )
        where: list[str] = ["seq >= ?"]
        params: list[object] = [start]
        if end is not None:
            where.append("seq <= ?")
            params.append(end)
        if exhibit is not None:
            where.append("exhibit = ?")
            params.append(exhibit)
        if action is not None:
            where.append("action = ?")
            params.append(action)
        try:
            cursor = self._conn.execute(
                f"SELECT {ENTRY_COLUMNS} FROM entries WHERE {' AND '.join(where)} ORDER BY seq", params
            )
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path, "its entries cannot be read") from exc
        try:
            while True:
                try:
                    rows = cursor.fetchmany(500)
                except sqlite3.DatabaseError as exc:  # a damaged page part-way through
                    raise translate(exc, self.path, "its entries cannot be read to the end") from exc
                if not rows:
                    break
                for row in rows:
                    yield Entry.from_row(row)
        finally:
            cursor.close()

    def public_keys(self) -> dict[str, KeyRecord]:
        """Keys registered by key_registered entries (the first registration of a key counts)."""
        keys: dict[str, KeyRecord] = {}
        for seq, details in self._conn.execute(
            "SELECT seq, details FROM entries WHERE action = 'key_registered' ORDER BY seq"
        ):
            try:
                record = key_record_from_details(seq, json.loads(details))
            except ValueError:
                continue  # verify reports it; a malformed registration registers nothing
            keys.setdefault(record.key_id, record)
        return keys

    def _registration(self, key_id: str) -> KeyRecord | None:
        found = self._key_cache.get(key_id)
        if found is not None:
            return found
        for seq, details in self._conn.execute(
            "SELECT seq, details FROM entries WHERE action = 'key_registered' "
            "AND json_extract(details, '$.key_id') = ? ORDER BY seq",
            (key_id,),
        ):
            try:
                record = key_record_from_details(seq, json.loads(details))
            except ValueError:
                continue
            self._key_cache[key_id] = record
            return record
        return None

    # ------------------------------------------------------------------ checkpoints and proofs

    def checkpoint(self, tree_size: int | None = None) -> Checkpoint:
        """The checkpoint (size, Merkle root) now, or of the first ``tree_size`` entries."""
        size = self._size()
        wanted = size if tree_size is None else tree_size
        if not 0 <= wanted <= size:
            raise LedgerError(
                f"{self.path}: no checkpoint of {wanted} entries: the ledger has {size}", path=self.path
            )
        return self._checkpoint_at(wanted)

    def _checkpoint_at(self, size: int) -> Checkpoint:
        from .proofs import Checkpoint

        return Checkpoint(size, root_hash(TableNodes(self._conn, self.path), size).hex())

    def latest_signed_checkpoint(self) -> SignedCheckpoint | None:
        row = self._conn.execute(
            "SELECT tree_size, root_hash, case_id, timestamp, key_id, signature FROM checkpoints "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return signed_from_row(row) if row is not None else None

    def signed_checkpoints(self) -> list[SignedCheckpoint]:
        rows = self._conn.execute(
            "SELECT tree_size, root_hash, case_id, timestamp, key_id, signature FROM checkpoints ORDER BY id"
        ).fetchall()
        return [signed_from_row(row) for row in rows]

    def inclusion_proof(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        """Proof that entry ``seq`` is in the tree of ``tree_size`` entries (default: all)."""
        from .proofs import InclusionProof, verify_inclusion

        size = self._size()
        wanted = size if tree_size is None else tree_size
        if not 1 <= seq <= wanted <= size:
            raise LedgerError(
                f"{self.path}: no inclusion proof for entry {seq} in a tree of {wanted} "
                f"(the ledger has {size} entries)",
                path=self.path,
            )
        row = self._conn.execute("SELECT entry_hash FROM entries WHERE seq = ?", (seq,)).fetchone()
        nodes = TableNodes(self._conn, self.path)
        proof = InclusionProof(
            seq=seq,
            leaf_index=seq - 1,
            tree_size=wanted,
            entry_hash=str(row[0]) if row else "",
            path=[h.hex() for h in inclusion_path(nodes, seq - 1, wanted)],
            root_hash=root_hash(nodes, wanted).hex(),
        )
        if not verify_inclusion(proof):
            raise LedgerError(
                f"{self.path}: entry {seq} does not match the stored Merkle tree; no proof was made",
                path=self.path,
                hint="run verify on this ledger",
            )
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the first ``old_size`` entries are unchanged in the tree of ``new_size`` (or all)."""
        from .proofs import ConsistencyProof, verify_consistency

        size = self._size()
        wanted = size if new_size is None else new_size
        if not 0 <= old_size <= wanted <= size:
            raise LedgerError(
                f"{self.path}: no consistency proof from {old_size} to {wanted} entries "
                f"(the ledger has {size})",
                path=self.path,
            )
        nodes = TableNodes(self._conn, self.path)
        proof = ConsistencyProof(
            old_size=old_size,
            new_size=wanted,
            old_root=root_hash(nodes, old_size).hex(),
            new_root=root_hash(nodes, wanted).hex(),
            path=[h.hex() for h in consistency_path(nodes, old_size, wanted)],
        )
        if not verify_consistency(proof):
            raise LedgerError(
                f"{self.path}: the stored Merkle tree is inconsistent; no proof was made",
                path=self.path,
                hint="run verify on this ledger",
            )
        return proof

    # ------------------------------------------------------------------ verification

    def verify(
        self,
        *,
        expect: Checkpoint | None = None,
        progress: Callable[[int, int], None] | None = None,
        workers: int | None = None,
    ) -> VerificationReport:
        """Check everything (see :mod:`.verify`); never writes. ``workers``: processes that check ranges of
        a ledger of 20,000 entries or more in parallel (None: one per CPU; 1: all in this process)."""
        from .verify import verify_ledger

        return verify_ledger(
            self._conn,
            self.path,
            self.case_id,
            uri=self._reader_uri,
            expect=expect,
            progress=progress,
            workers=workers,
        )

    # ------------------------------------------------------------------ helpers

    def _require_writable(self) -> None:
        if self.readonly:
            raise LedgerReadOnlyError(
                f"{self.path}: the ledger was opened read-only; nothing was written",
                path=self.path,
                hint="open it without readonly to record entries",
            )

    def _begin_immediate(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.path, "nothing was written") from exc

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite already rolled back (after SQLITE_FULL, say): the transaction is gone anyway
