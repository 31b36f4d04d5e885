"""Ledger speed and proof sizes, each beside a reference measured in the same run.

* durable appends per second (WAL, synchronous=FULL, one transaction per entry) against a plain sqlite3
  loop inserting rows of the same size with the same pragmas, one commit per row;
* verify of 100,000 entries (quick: 5,000), unsigned and signed, against reading the same rows with
  plain sqlite3 and hashing each (unsigned) and against a bare Ed25519 verify loop over the same number of
  signatures (signed). The ledgers for this are built through ``Ledger.append`` with synchronous=OFF on the
  building connection only (a durable build of 100,000 entries would measure the disk, not the ledger);
* the inclusion proof for entry 1 of 1,000,000 and a consistency proof at that size: the tree nodes of a
  million random leaves are written straight into a ``tree_nodes`` table (appending a million durable
  entries would take hours) and the proofs are read from it the way the ledger reads them.

Wall time is the median of the runs. CPU time is given for this process and for the worker processes
verify starts: on a machine shared with other work, it shows how much of the wall time was spent waiting
for a core.
"""

from __future__ import annotations

import hashlib
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chain_of_custody import (
    ConsistencyProof,
    InclusionProof,
    Ledger,
    Signer,
    verify_consistency,
    verify_inclusion,
)
from chain_of_custody.entry import ENTRY_COLUMNS
from chain_of_custody.keys import verify_ed25519
from chain_of_custody.merkle import MemoryTree, consistency_path, inclusion_path, leaf_hash, root_hash
from chain_of_custody.storage import TableNodes

SOFTWARE = "evidence-intake 0.1.0"
ACTOR = "ร.ต.อ. สมชาย ใจดี"
GOAL_UNSIGNED, GOAL_SIGNED, GOAL_PROOF = 2.0, 15.0, 1024


def _details(i: int) -> dict[str, object]:
    return {
        "seal": f"TH-SEAL-{i:06d}",
        "sha256": hashlib.sha256(i.to_bytes(8, "big")).hexdigest(),
        "size": 64_023_805_952 + i,
        "tool": "ewfacquire 20140816",
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median wall, CPU (this process) and CPU (worker processes) seconds of ``runs`` calls."""
    walls, cpus, workers = [], [], []
    for _ in range(runs):
        wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        workers.append(_children_cpu() - children)
    return statistics.median(walls), statistics.median(cpus), statistics.median(workers)


def _build(path: Path, n: int, signer: Signer | None) -> None:
    with Ledger.create(path, case_id="TH-2026-0042") as ledger:
        ledger._conn.execute("PRAGMA synchronous = OFF")  # building only; see the module docstring
        if signer is not None:
            ledger.register_key(
                signer, owner="Forensic workstation 3", purpose="workstation", actor=ACTOR, software=SOFTWARE
            )
        for i in range(n - (signer is not None)):
            ledger.append("received", actor=ACTOR, exhibit=f"EX-{i % 500:04d}", details=_details(i),
                          software=SOFTWARE, signer=signer)  # fmt: skip


def bench_appends(folder: Path, n: int) -> None:
    path = folder / "appends.sqlite"
    ledger = Ledger.create(path, case_id="TH-2026-0042")
    start = time.perf_counter()
    for i in range(n):
        ledger.append(
            "received", actor=ACTOR, exhibit=f"EX-{i % 500:04d}", details=_details(i), software=SOFTWARE
        )
    ours = n / (time.perf_counter() - start)
    rows = ledger._conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries").fetchall()
    ledger.close()
    reference_path = folder / "reference.sqlite"
    conn = sqlite3.connect(reference_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"CREATE TABLE t ({', '.join(c + ' TEXT' for c in ENTRY_COLUMNS.split(', '))})")
    insert = f"INSERT INTO t VALUES ({', '.join('?' * len(rows[0]))})"
    start = time.perf_counter()
    for row in rows:
        conn.execute("BEGIN")
        conn.execute(insert, row)
        conn.execute("COMMIT")
    reference = n / (time.perf_counter() - start)
    conn.close()
    print(f"appends, durable (WAL + synchronous=FULL), {n:,} entries:")
    print(f"  ours {ours:,.0f}/s   plain sqlite3 insert+commit of the same rows {reference:,.0f}/s   "
          f"ratio {ours / reference:.2f}")  # fmt: skip


def bench_verify(folder: Path, n: int, signed: bool, runs: int) -> None:
    path = folder / f"verify-{'signed' if signed else 'unsigned'}.sqlite"
    signer = Signer.generate() if signed else None
    start = time.perf_counter()
    _build(path, n, signer)
    build = time.perf_counter() - start
    ledger = Ledger.open(path, readonly=True)
    report = ledger.verify()
    assert report.ok and report.entries == n and report.signed == (n if signed else 0), report.problems[:3]
    wall, cpu, worker_cpu = _timed(ledger.verify, runs)
    ledger.close()

    conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
    if signed:
        tasks = [
            (bytes.fromhex(h), bytes.fromhex(s))
            for h, s in conn.execute("SELECT entry_hash, signature FROM entries")
        ]
        assert signer is not None
        public_key = signer.public_key

        def reference() -> None:
            for message, signature in tasks:
                verify_ed25519(public_key, signature, message)

        what = "a bare Ed25519 verify loop over the same signatures, one process"
    else:

        def reference() -> None:
            cursor = conn.execute(f"SELECT {ENTRY_COLUMNS} FROM entries")
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    hashlib.sha256("\x1f".join(map(str, row)).encode()).digest()

        what = "plain sqlite3 read of every row + SHA-256 of each"
    ref_wall, _ref_cpu, _ = _timed(reference, 1 if signed else runs)
    conn.close()
    goal = GOAL_SIGNED if signed else GOAL_UNSIGNED
    kind = "signed" if signed else "unsigned"
    verdict = (
        f"goal < {goal:.0f} s: {'met' if wall < goal else 'NOT met'}"
        if n == 100_000
        else "goal: full run only"
    )
    print(f"verify, {n:,} {kind} entries (built in {build:.0f} s; {os.path.getsize(path) / 1e6:.0f} MB):")
    print(f"  ours {wall:.2f} s wall ({cpu:.2f} s CPU here + {worker_cpu:.2f} s in workers)")
    print(f"  reference, {what}: {ref_wall:.2f} s   ratio {wall / ref_wall:.2f}   {verdict}")


def bench_proofs(folder: Path) -> None:
    n = 1_000_000
    start = time.perf_counter()
    leaves = [leaf_hash(hashlib.sha256(i.to_bytes(8, "big")).digest()) for i in range(n)]
    tree = MemoryTree(leaves)
    path = folder / "million.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE tree_nodes (level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (level, idx)) "
        "WITHOUT ROWID"
    )
    conn.execute("BEGIN")
    for level, nodes in enumerate(tree.levels):
        conn.executemany(
            "INSERT INTO tree_nodes VALUES (?, ?, ?)", ((level, i, h) for i, h in enumerate(nodes))
        )
    conn.execute("COMMIT")
    build = time.perf_counter() - start
    source = TableNodes(conn, path)
    start = time.perf_counter()
    proof = InclusionProof(
        1, 0, n, hashlib.sha256((0).to_bytes(8, "big")).hexdigest(),
        [h.hex() for h in inclusion_path(source, 0, n)], root_hash(source, n).hex(),
    )  # fmt: skip
    took = time.perf_counter() - start
    assert verify_inclusion(proof)
    reads = source.reads
    import json

    json_size = len(json.dumps(proof.to_dict(), separators=(",", ":")))
    binary = len(proof.to_bytes())
    source = TableNodes(conn, path)
    old = 765_432
    cons = ConsistencyProof(old, n, root_hash(source, old).hex(), root_hash(source, n).hex(),
                            [h.hex() for h in consistency_path(source, old, n)])  # fmt: skip
    assert verify_consistency(cons)
    conn.close()
    print(
        f"proofs in a tree of {n:,} entries (tree nodes written directly, {build:.0f} s; see the docstring):"
    )
    print(f"  inclusion proof for entry 1: {len(proof.path)} hashes, {binary} bytes binary "
          f"({(binary + 2) // 3 * 4} base64), {json_size} bytes as JSON; "
          f"{reads} node reads, {took * 1000:.1f} ms; "
          f"goal < {GOAL_PROOF} bytes: {'met' if binary < GOAL_PROOF else 'NOT met'}")  # fmt: skip
    print(
        f"  consistency proof {old:,} → {n:,}: {len(cons.path)} hashes, {len(cons.to_bytes())} bytes binary"
    )
    print(f"  reference: the whole ledger's entry hashes alone would be {32 * n:,} bytes")


def run(quick: bool) -> None:
    n = 5_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as temp:
        folder = Path(temp)
        bench_appends(folder, 200 if quick else 2_000)
        bench_verify(folder, n, signed=False, runs=3)
        bench_verify(folder, n, signed=True, runs=1 if not quick else 3)
        bench_proofs(folder)
