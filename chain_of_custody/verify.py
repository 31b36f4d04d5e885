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
The entry-by-entry part is in :mod:`.scan`; a large ledger is scanned in ranges by worker processes, and
the ranges are joined here (numbering, links and times across each boundary).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import messages as msg
from .entry import GENESIS_HASH
from .errors import LedgerError
from .merkle import EMPTY_ROOT, MemoryTree, consistency_path, root_hash
from .proofs import (
    Checkpoint,
    ConsistencyProof,
    SignedCheckpoint,
    verify_checkpoint_signature,
    verify_consistency,
)
from .rows import FIRST_SEQ
from .scan import MAX_LISTED, Finding, KeyInfo, ScanResult, load_keys, scan_range, scan_range_in_worker
from .schema import missing_triggers

if TYPE_CHECKING:
    import multiprocessing.context

PARALLEL_FROM = 20_000  # entries; below this one process is quicker than starting workers
RANGE_SIZE = 25_000  # entries per range handed to a worker (several per worker, to even out the load)


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


class _Findings:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, seq: int | None, reason: str) -> None:
        if len(self.items) < MAX_LISTED:
            self.items.append(Problem(seq, reason))
        else:
            self.dropped += 1

    def extend(self, findings: list[Finding], dropped: int = 0) -> None:
        for seq, reason in findings:
            self.add(seq, reason)
        self.dropped += dropped

    def finish(self, what: str) -> list[Problem]:
        items = sorted(self.items, key=lambda p: (p.seq is None, p.seq or 0))
        if self.dropped:
            items.append(Problem(None, f"… and {self.dropped} more {what} not listed"))
        return items


def _ranges(top: int, parts: int) -> list[tuple[int, int]]:
    """(after, up_to] ranges of sequence numbers covering every row up to ``top``."""
    bounds = [FIRST_SEQ] + [top * i // parts for i in range(1, parts)] + [top]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing  # only a large ledger is checked in worker processes

    # fork is quick and imports nothing, but is unsafe while other threads run (a progress bar);
    # spawn is safe everywhere but re-imports the main module in each worker.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Verifier:
    def __init__(self, conn: sqlite3.Connection, path: Path, case_id: str, uri: str | None) -> None:
        self.conn = conn
        self.path = path
        self.case_id = case_id
        self.uri = uri
        self.problems = _Findings()
        self.warnings = _Findings()
        self.keys: dict[str, KeyInfo] = {}
        self.entry_hashes: list[bytes] = []
        self.count = 0
        self.signed = 0
        self.tree: MemoryTree | None = None
        self.extends_expected: bool | None = None
        self.checkpoints_checked = 0

    # ------------------------------------------------------------------ entries

    def scan(self, progress: Callable[[int, int], None] | None, workers: int | None) -> None:
        self.keys, problems, warnings = load_keys(self.conn)
        self.problems.extend(problems)
        self.warnings.extend(warnings)
        total, top = self.conn.execute("SELECT COUNT(*), IFNULL(MAX(seq), 0) FROM entries").fetchone()
        workers = workers if workers is not None else (os.cpu_count() or 1)
        results: list[ScanResult] | None = None
        if workers > 1 and total >= PARALLEL_FROM and self.uri is not None:
            results = self._scan_in_workers(int(top), int(total), workers, progress)
        if results is None:
            done = 0

            def advance(rows: int) -> None:
                nonlocal done
                done += rows
                if progress is not None:
                    progress(done, total)

            results = [scan_range(self.conn, FIRST_SEQ, int(top), self.case_id, self.keys, advance)]
        self._join(results)

    def _scan_in_workers(
        self, top: int, total: int, workers: int, progress: Callable[[int, int], None] | None
    ) -> list[ScanResult] | None:
        """Ranges checked in parallel; None (check here instead) if worker processes cannot be used."""
        assert self.uri is not None
        import concurrent.futures.process

        ranges = _ranges(top, max(workers, -(-total // RANGE_SIZE)))
        try:
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=_pool_context()
            ) as pool:
                futures = {
                    pool.submit(scan_range_in_worker, self.uri, after, up_to, self.case_id, self.keys): index
                    for index, (after, up_to) in enumerate(ranges)
                }
                results: list[ScanResult | None] = [None] * len(ranges)
                done = 0
                for future in concurrent.futures.as_completed(futures):
                    result = results[futures[future]] = future.result()
                    done += result.count
                    if progress is not None:
                        progress(min(done, total), total)
        except (OSError, concurrent.futures.process.BrokenProcessPool):
            return None  # no processes here (a sandbox) or a worker died: check in this process instead
        return [r for r in results if r is not None]

    def _join(self, results: list[ScanResult]) -> None:
        """Put the ranges together, checking numbering, links and times where one range meets the next."""
        previous_seq, previous_hash, previous_time = 0, GENESIS_HASH, None
        for result in results:
            self.problems.extend(result.problems, result.dropped_problems)
            self.warnings.extend(result.warnings, result.dropped_warnings)
            self.signed += result.signed
            self.count += result.count
            digests = result.digests
            self.entry_hashes.extend(bytes(digests[i : i + 32]) for i in range(0, len(digests), 32))
            if result.first is None or result.last is None:
                continue
            seq, prev_hash, first_time = result.first
            if seq > previous_seq + 1:
                self.problems.add(previous_seq + 1, msg.missing_entries(previous_seq + 1, seq))
            elif seq < previous_seq + 1:
                self.problems.add(seq, msg.bad_number(seq))
            elif prev_hash != previous_hash:
                self.problems.add(seq, msg.broken_link(seq))
            if first_time is not None and previous_time is not None and first_time < previous_time:
                self.warnings.add(seq, msg.clock_backwards(seq, first_time, previous_time))
            previous_seq, previous_hash, last_time = result.last
            previous_time = last_time or previous_time

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
            elif not verify_checkpoint_signature(signed, record.public_key.hex()):
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
    uri: str | None = None,
    expect: Checkpoint | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> VerificationReport:
    """Verify the ledger behind ``conn`` (see the module docstring). Never writes.

    ``uri``: how worker processes open the same file read-only (None: everything in this process);
    ``workers``: how many (None: one per CPU; 1: none), used for ledgers of 20,000 entries or more.
    """
    verifier = _Verifier(conn, path, case_id, uri)
    if conn.in_transaction:
        raise LedgerError("verify cannot run inside a write on the same connection")
    try:
        conn.execute("BEGIN")
        verifier.scan(progress, workers)
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
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")  # a read transaction: nothing to keep, and a damaged file
            except sqlite3.DatabaseError:  # can fail even this; the damage is already a problem
                pass
    if verifier.tree is None:
        verifier.tree = MemoryTree.from_entry_hashes(verifier.entry_hashes)
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
