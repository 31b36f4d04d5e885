"""Checking a ledger from its bytes, trusting nothing stored in it but the entries' own content.

What is checked, in one read-only pass inside one read transaction (a snapshot, even while others append):

* entries are numbered 1, 2, 3… without gaps; each belongs to this ledger's case; each uses a known hash
  format; each entry's hash is recomputed from its content; each entry's previous-hash link equals the
  stored hash of the entry before it; timestamps are well formed (a clock going backwards is a warning);
* signatures: a named key must have been registered (key_registered entry) at an earlier entry or by the
  entry itself; the signature must verify with that key; a missing or foreign signature is named;
* the stored Merkle tree nodes equal those recomputed from the entry hashes;
* stored signed checkpoints: signature valid with a registered key, and each one still a prefix of the
  ledger (a checkpoint larger than the ledger means entries were cut off the end);
* with ``expect``: the ledger still extends that checkpoint (RFC 9162 consistency proof, computed from
  the recomputed tree), which catches truncation, rollback and rewritten history;
* that the append-only triggers are still in place (a warning: their absence shows the file was edited
  with a database tool; the checks above show whether anything was changed).

Problems name the entry and say in plain words what it means. Nothing is ever written or repaired.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import messages as msg
from ._sigcheck import SignatureTask, failed_signatures
from .actions import ACTIONS, KEY_PURPOSES
from .canonical import canonical_json
from .entry import ENTRY_FORMAT_VERSION, GENESIS_HASH, HASHED_FIELDS, compute_entry_hash, fast_canonical_text
from .errors import LedgerError
from .keys import KeyRecord, key_record_from_details, verify_ed25519
from .merkle import EMPTY_ROOT, MemoryTree, consistency_path, root_hash
from .proofs import (
    Checkpoint,
    ConsistencyProof,
    SignedCheckpoint,
    verify_checkpoint_signature,
    verify_consistency,
)
from .rows import EntryReader, lenient_text
from .schema import missing_triggers
from .timestamps import TIMESTAMP_PATTERN

MAX_LISTED = 1000
BATCH = 2000
SIGNATURE_CHUNK = 4000
POOL_THRESHOLD = 6000  # below this many signatures a process pool costs more than it saves
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


@dataclass
class Problem:
    """One finding. ``seq`` is the entry it concerns (None for the ledger as a whole)."""

    seq: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason}


@dataclass
class VerificationReport:
    """The outcome of :meth:`Ledger.verify`.

    ``entries``: rows checked; ``signed``: entries whose signature verified; ``checkpoint``: the ledger's
    checkpoint recomputed from its entries; ``expected`` / ``extends_expected``: the checkpoint given with
    ``expect`` and whether the ledger still extends it (None without one); ``first_bad_seq``: the lowest
    entry named by a problem. ``ok`` is True only when there are no problems (warnings allowed).
    """

    ok: bool
    entries: int
    signed: int
    first_bad_seq: int | None
    problems: list[Problem]
    checkpoint: Checkpoint
    expected: Checkpoint | None
    extends_expected: bool | None
    warnings: list[Problem] = field(default_factory=list)
    checkpoints_checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "signed": self.signed,
            "first_bad_seq": self.first_bad_seq,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
            "checkpoint": str(self.checkpoint),
            "expected": str(self.expected) if self.expected is not None else None,
            "extends_expected": self.extends_expected,
            "checkpoints_checked": self.checkpoints_checked,
        }


def _hash_bytes(text: object) -> bytes | None:
    return bytes.fromhex(text) if isinstance(text, str) and _HEX64.fullmatch(text) else None


class _Findings:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, seq: int | None, reason: str) -> None:
        if len(self.items) < MAX_LISTED:
            self.items.append(Problem(seq, reason))
        else:
            self.dropped += 1

    def finish(self, what: str) -> list[Problem]:
        items = sorted(self.items, key=lambda p: (p.seq is None, p.seq or 0))
        if self.dropped:
            items.append(Problem(None, f"… and {self.dropped} more {what} not listed"))
        return items


class _SignaturePool:
    """Collects signature checks; runs them in worker processes once there are enough to be worth it."""

    def __init__(self, workers: int | None) -> None:
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.pending: list[SignatureTask] = []
        self.total = 0
        self.futures: list[concurrent.futures.Future[list[int]]] = []
        self.executor: concurrent.futures.ProcessPoolExecutor | None = None
        self.bad: list[int] = []

    def add(self, task: SignatureTask) -> None:
        self.pending.append(task)
        self.total += 1
        if len(self.pending) >= SIGNATURE_CHUNK and (self.executor is not None or self._start()):
            self._submit()

    def _start(self) -> bool:
        if self.workers <= 1 or self.total < POOL_THRESHOLD:
            return False
        # fork is quick and imports nothing, but is unsafe when other threads run (a progress bar);
        # spawn is safe everywhere but re-imports the main module in each worker.
        method = (
            "fork"
            if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
            else "spawn"
        )
        try:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context(method)
            )
        except (OSError, ValueError, NotImplementedError):
            self.workers = 1
            return False
        return True

    def _submit(self) -> None:
        assert self.executor is not None
        self.futures.append(self.executor.submit(failed_signatures, self.pending))
        self.pending = []

    def results(self) -> list[int]:
        try:
            if self.executor is not None and self.pending:
                self._submit()
            for future in self.futures:
                self.bad.extend(future.result())
        except (concurrent.futures.process.BrokenProcessPool, OSError):
            # a worker died (out of memory, killed): check everything here instead of reporting nothing
            self.bad = []
            raise _RetryInline from None
        finally:
            if self.executor is not None:
                self.executor.shutdown(wait=True, cancel_futures=True)
        self.bad.extend(failed_signatures(self.pending))
        self.pending = []
        return self.bad


class _RetryInline(Exception):
    pass


class _Verifier:
    def __init__(self, conn: sqlite3.Connection, path: Path, case_id: str, workers: int | None) -> None:
        self.conn = conn
        self.path = path
        self.case_id = case_id
        self.workers = workers
        self.problems = _Findings()
        self.warnings = _Findings()
        self.keys: dict[str, KeyRecord] = {}
        self.all_tasks: list[SignatureTask] = []
        self.entry_hashes: list[bytes] = []
        self.count = 0
        self.signed = 0
        self.tree: MemoryTree | None = None
        self.extends_expected: bool | None = None
        self.checkpoints_checked = 0
        self.reader = EntryReader(conn)

    # ------------------------------------------------------------------ keys

    def load_keys(self) -> None:
        rows = self.conn.execute(
            "SELECT seq, details FROM entries WHERE action = 'key_registered' ORDER BY seq"
        ).fetchall()
        for seq, details in rows:
            try:
                record = key_record_from_details(seq, json.loads(details))
            except (ValueError, TypeError) as exc:
                self.problems.add(seq, msg.bad_registration(seq, exc))
                continue
            if record.purpose not in KEY_PURPOSES:
                self.warnings.add(seq, msg.odd_purpose(seq, record.key_id, record.purpose))
            if record.key_id in self.keys:
                first = self.keys[record.key_id].registered_seq
                self.warnings.add(seq, msg.registered_again(seq, record.key_id, first))
                continue
            self.keys[record.key_id] = record

    # ------------------------------------------------------------------ entries

    def scan(self, progress: Callable[[int, int], None] | None, pool: _SignaturePool) -> None:
        total = int(self.conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        problem = self.problems.add
        warning = self.warnings.add
        case_id = self.case_id
        hashes = self.entry_hashes
        sha256 = hashlib.sha256
        expected = 1
        previous_hash: object = GENESIS_HASH
        previous_time = ""
        done = 0
        text_of = fast_canonical_text
        timestamp_shape = TIMESTAMP_PATTERN.fullmatch
        for batch in self.reader.batches():
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
                linked = seq == expected
                if not linked:
                    if seq > expected:
                        problem(expected, msg.missing_entries(expected, seq))
                    else:
                        problem(seq, msg.bad_number(seq))
                if digest is not None and digest.hex() == entry_hash:
                    hashes.append(digest)
                else:
                    if not self._full_hash_check(seq):
                        problem(seq, msg.content_changed(seq))
                    hashes.append(_hash_bytes(entry_hash) or bytes(32))
                if v != ENTRY_FORMAT_VERSION:
                    problem(seq, msg.unknown_version(seq, v))
                if entry_case != case_id:
                    problem(seq, msg.other_case(seq, entry_case, case_id))
                if linked and prev_hash != previous_hash:
                    problem(seq, msg.broken_link(seq))
                if type(timestamp) is not str or not timestamp_shape(timestamp):
                    problem(seq, msg.bad_time(seq, timestamp))
                else:
                    if timestamp < previous_time:
                        warning(seq, msg.clock_backwards(seq, timestamp, previous_time))
                    previous_time = timestamp
                if action not in ACTIONS:
                    warning(seq, msg.unknown_action(seq, action))
                if key_id is not None or signature is not None:
                    self._signature(seq, key_id, signature, entry_hash, pool)
                previous_hash = entry_hash
                expected = seq + 1
            done += len(batch)
            self.count = done
            if progress is not None:
                progress(done, total)

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
            self.warnings.add(seq, msg.details_relaid(seq))
        return matches

    def _signature(
        self, seq: int, key_id: object, signature: object, entry_hash: object, pool: _SignaturePool
    ) -> None:
        problem = self.problems.add
        if signature is None:
            problem(seq, msg.signature_removed(seq, key_id))
            return
        if key_id is None:
            problem(seq, msg.key_reference_removed(seq))
            return
        record = self.keys.get(str(key_id))
        if record is None:
            problem(seq, msg.key_unknown(seq, key_id))
            return
        if record.registered_seq > seq:
            problem(seq, msg.key_registered_later(seq, key_id, record.registered_seq))
            return
        message = _hash_bytes(entry_hash)
        if not isinstance(signature, str) or not _HEX128.fullmatch(signature) or message is None:
            problem(seq, msg.signature_malformed(seq))
            return
        task = (seq, record.public_key, message, bytes.fromhex(signature))
        self.all_tasks.append(task)
        pool.add(task)

    def check_signatures(self, pool: _SignaturePool) -> None:
        try:
            bad = set(pool.results())
        except _RetryInline:
            bad = set(failed_signatures(self.all_tasks))
        self.signed = len(self.all_tasks) - len(bad)
        for seq, public_key, message, signature in self.all_tasks:
            if seq not in bad:
                continue
            claimed = next(r for r in self.keys.values() if r.public_key == public_key)
            other = next(
                (
                    r
                    for r in self.keys.values()
                    if r.key_id != claimed.key_id and verify_ed25519(r.public_key, signature, message)
                ),
                None,
            )
            if other is not None:
                self.problems.add(
                    seq,
                    msg.signed_by_other_key(seq, other.key_id, other.owner, claimed.key_id, claimed.owner),
                )
            else:
                self.problems.add(seq, msg.signature_mismatch(seq, claimed.key_id, claimed.owner))

    # ------------------------------------------------------------------ tree and checkpoints

    def check_tree(self) -> None:
        """Compare the stored nodes with those recomputed from the entry hashes.

        Each level is first compared whole (one query, one list comparison); only a level that differs
        is walked node by node. The problem names the first entry under the lowest differing level: a
        changed or missing leaf points at its entry; a changed inner node over intact leaves points at
        the start of its range.
        """
        tree = self.tree = MemoryTree.from_entry_hashes(self.entry_hashes)
        levels = tree.levels
        first_bad: dict[int, int] = {}  # level → first leaf under a differing node at that level
        bad = 0
        stored_total = int(self.conn.execute("SELECT COUNT(*) FROM tree_nodes").fetchone()[0])
        for level, expected_here in enumerate(levels):
            count, low, high = self.conn.execute(
                "SELECT COUNT(*), MIN(idx), MAX(idx) FROM tree_nodes WHERE level = ?", (level,)
            ).fetchone()
            if count == len(expected_here) and (count == 0 or (low == 0 and high == count - 1)):
                stored = [r[0] for r in self.conn.execute(
                    "SELECT hash FROM tree_nodes WHERE level = ? ORDER BY idx", (level,)
                )]  # fmt: skip
                if stored == expected_here:
                    continue
            level_bad, start = self._walk_level(level, expected_here)
            if level_bad:
                bad += level_bad
                first_bad[level] = start
        height = len(levels)
        in_range = self.conn.execute(
            "SELECT COUNT(*) FROM tree_nodes WHERE typeof(level) = 'integer' AND level >= 0 AND level < ?",
            (height,),
        ).fetchone()[0]
        if stored_total > in_range:  # nodes above the tree's height (entries cut off), or not numbered
            bad += stored_total - in_range
            row = self.conn.execute(
                "SELECT MIN(idx << level) FROM tree_nodes "
                "WHERE NOT (typeof(level) = 'integer' AND level >= 0 AND level < ?)",
                (height,),
            ).fetchone()
            first_bad.setdefault(height, row[0] if isinstance(row[0], int) and row[0] >= 0 else 0)
        if first_bad:
            entry = first_bad[min(first_bad)] + 1
            self.problems.add(entry, msg.tree_mismatch(entry, bad, stored_total))

    def _walk_level(self, level: int, expected_here: list[bytes]) -> tuple[int, int]:
        """Differing or missing nodes of one level, and the first leaf under the first of them."""
        bad, first = 0, -1
        next_index = 0

        def mark(start: int, count: int = 1) -> None:
            nonlocal bad, first
            bad += count
            first = start if first < 0 else min(first, start)

        for index, value in self.conn.execute(
            "SELECT idx, hash FROM tree_nodes WHERE level = ? ORDER BY idx", (level,)
        ):
            if not isinstance(index, int) or index < 0:
                mark(0)
                continue
            if index > next_index:
                mark(next_index << level, min(index, len(expected_here)) - next_index)
            if index >= len(expected_here) or value != expected_here[index]:
                mark(index << level)
            next_index = max(next_index, index + 1)
        if next_index < len(expected_here):
            mark(next_index << level, len(expected_here) - next_index)
        return bad, first

    def root_at(self, size: int) -> str:
        assert self.tree is not None
        return root_hash(self.tree, size).hex()

    def check_stored_checkpoints(self) -> None:
        rows = self.conn.execute(
            "SELECT id, tree_size, root_hash, case_id, timestamp, key_id, signature FROM checkpoints "
            "ORDER BY id"
        ).fetchall()
        for row_id, tree_size, root, case_id, timestamp, key_id, signature in rows:
            self.checkpoints_checked += 1
            try:
                signed = SignedCheckpoint(Checkpoint(tree_size, root), case_id, timestamp, key_id, signature)
            except (LedgerError, TypeError):
                self.problems.add(None, msg.checkpoint_malformed(row_id))
                continue
            label = f"checkpoint {signed.checkpoint.short()} (signed {timestamp})"
            record = self.keys.get(str(key_id))
            if record is None:
                self.problems.add(None, msg.checkpoint_key_unknown(label, key_id))
            elif not verify_checkpoint_signature(signed, record.public_key_hex):
                self.problems.add(None, msg.checkpoint_signature_mismatch(label, key_id, record.owner))
            if case_id != self.case_id:
                self.problems.add(None, msg.checkpoint_other_case(label, case_id, self.case_id))
            self._extends(signed.checkpoint, label)

    def _extends(self, checkpoint: Checkpoint, label: str) -> bool:
        """Does the ledger (as recomputed) still begin with ``checkpoint``? Reports why not."""
        n = self.count
        size = checkpoint.tree_size
        if size > n:
            self.problems.add(n + 1, msg.truncated(n, label, size))
            return False
        assert self.tree is not None
        new_root = self.root_at(n)
        old_root = self.root_at(size) if size else EMPTY_ROOT.hex()
        proof = ConsistencyProof(
            size, n, old_root, new_root, [h.hex() for h in consistency_path(self.tree, size, n)]
        )
        if verify_consistency(proof, old=checkpoint):
            return True
        self.problems.add(None, msg.rewritten(size, label))
        return False

    def check_expected(self, expect: Checkpoint) -> None:
        self.extends_expected = self._extends(expect, f"the expected checkpoint {expect.short()}")


def verify_ledger(
    conn: sqlite3.Connection,
    path: Path,
    case_id: str,
    *,
    expect: Checkpoint | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> VerificationReport:
    """Verify the ledger behind ``conn`` (see the module docstring). Never writes."""
    verifier = _Verifier(conn, path, case_id, workers)
    previous_factory = conn.text_factory
    pool = _SignaturePool(workers)
    if conn.in_transaction:
        raise LedgerError("verify cannot run inside a write on the same connection")
    try:
        conn.execute("BEGIN")
        conn.text_factory = lenient_text
        verifier.load_keys()
        conn.text_factory = previous_factory
        verifier.scan(progress, pool)
        verifier.check_signatures(pool)
        verifier.check_tree()
        verifier.check_stored_checkpoints()
        if expect is not None:
            verifier.check_expected(expect)
        absent = missing_triggers(conn)
        if absent:
            verifier.warnings.add(None, msg.triggers_missing(absent))
    except sqlite3.DatabaseError as exc:
        verifier.problems.add(None, msg.damaged(exc))
    finally:
        conn.text_factory = previous_factory
        if conn.in_transaction:
            conn.execute("COMMIT")
    if verifier.tree is None:
        verifier.tree = MemoryTree([hashlib.sha256(b"\x00" + h).digest() for h in verifier.entry_hashes])
    problems = verifier.problems.finish("problems")
    seqs = [p.seq for p in problems if p.seq is not None]
    return VerificationReport(
        ok=not problems,
        entries=verifier.count,
        signed=verifier.signed,
        first_bad_seq=min(seqs) if seqs else None,
        problems=problems,
        checkpoint=Checkpoint(verifier.count, verifier.root_at(verifier.count)),
        expected=expect,
        extends_expected=verifier.extends_expected,
        warnings=verifier.warnings.finish("warnings"),
        checkpoints_checked=verifier.checkpoints_checked,
    )
