"""Telegram cache4.db extraction: messages per second through android.telegram, TL decoding included.

A generated cache4.db (the client's schema, samples/schemas/android/telegram_cache4.sql) with 200,000
messages (10,000 with --quick) in 400 dialogs: text in Thai, Chinese, Burmese and English, a tenth of
them photos, stored as layer 226 and layer 173 blobs as the client writes them, and 2,000 users.

Measured, each in a fresh process:

* ours: ``extract()`` with only android.telegram, from the evidence folder into an empty store
  (every blob decoded, identifiers and full-text index included);
* reference: a plain sqlite3 loop reading the same rows (mid, uid, date, out, data) and inserting
  them into a bare table, decoding nothing. The gap is the price of decoding and storing.

The parser reads one file in one worker (typed path: every row needs Python), so the figure is per
CPU; the CPU time of each is printed beside the wall-clock time because the machine is shared. Each
measurement is taken twice (once with --quick) and the better run printed, with the ratio.
"""

from __future__ import annotations

import random
import resource
import shutil
import sqlite3
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._extracting import BenchCase, folder_tree, in_child

DB = "data/data/org.telegram.messenger/files/cache4.db"
SCHEMA = Path(__file__).resolve().parents[1] / "samples" / "schemas" / "android" / "telegram_cache4.sql"
FULL = 200_000
TEXTS = [
    "พรุ่งนี้โอนเงินให้แล้วนะ",
    "ส่งเลขบัญชีมาให้หน่อย",
    "把钱转到这个USDT地址",
    "客户已经付款了，请确认",
    "ငွေလွှဲပြီးပြီ",
    "Sent 500 USDT TRC20, check the wallet",
    "Meeting at the office tomorrow, bring the phones",
    "ok",
]


def _string(data: bytes) -> bytes:
    head = bytes([len(data)]) if len(data) < 254 else b"\xfe" + len(data).to_bytes(3, "little")
    body = head + data
    return body + b"\x00" * (-len(body) % 4)


def _peer_user(uid: int) -> bytes:
    return struct.pack("<Iq", 0x59511722, uid)


def _blob(rng: random.Random, mid: int, date: int, dialog: int, sender: int, out: bool) -> bytes:
    """message#95ef6f2b (layer 226) or message#76bec211 (layer 173), as TL_message writes them."""
    photo = rng.random() < 0.1
    text = "" if photo else f"{rng.choice(TEXTS)} {rng.randint(1, 99999)}"
    flags = (1 << 1 if out else 0) | (1 << 8) | (1 << 9 if photo else 0)
    if rng.random() < 0.5:
        head = struct.pack("<IIIi", 0x95EF6F2B, flags, 0, mid)
    else:
        head = struct.pack("<IIi", 0x76BEC211, flags, mid)
    media = struct.pack("<III", 0x695150D7, 1, 0xFB197A65) + bytes(48) if photo else b""
    return (
        head + _peer_user(sender) + _peer_user(dialog) + struct.pack("<i", date) + _string(text.encode())
        + media + _string(b" ")
    )  # fmt: skip


def generate(path: Path, n: int, seed: int = 2568) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    owner = 7_123_450_143
    users = [6_000_000_000 + i * 7919 for i in range(2_000)]
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    conn.executemany(
        "INSERT INTO users (uid, name, status, data) VALUES (?, ?, 0, NULL)",
        [(u, f"user {i};;;user_{i}") for i, u in enumerate(users)],
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        date = 1_735_689_600
        for mid in range(1, n + 1):
            dialog = users[mid % 400]
            out = rng.random() < 0.4
            date += rng.randint(1, 120)
            blob = _blob(rng, mid, date, dialog, owner if out else dialog, out)
            yield (mid, dialog, 1, 0, date, blob, int(out), 0, int(len(blob) > 80))

    conn.executemany(
        "INSERT INTO messages_v2 (mid, uid, read_state, send_state, date, data, out, ttl, media) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    conn.commit()
    conn.close()


def _ours(evidence: str, work: str, queue: Any) -> None:
    from evidence_intake.parsers.android.telegram import AndroidTelegramParser
    from evidence_intake.parsers.engine import InlineExecutor, extract
    from evidence_intake.parsers.registry import ParserRegistry

    started, cpu = time.perf_counter(), time.process_time()
    report = extract(
        BenchCase(Path(work)),
        ["EX-001"],
        examiner="bench",
        registry=ParserRegistry.of(AndroidTelegramParser),
        jobs=0,
        executor=InlineExecutor(),
        open_tree=folder_tree(Path(evidence)),
    )
    seconds = time.perf_counter() - started
    ex = report.exhibits[0]
    queue.put(
        {
            "seconds": seconds,
            "cpu": time.process_time() - cpu,
            "messages": ex.records.get("messages", 0),
            "problems": ex.problems[:3],
            "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _reference(evidence: str, work: str, queue: Any) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    src = sqlite3.connect(f"file:{Path(evidence) / DB}?mode=ro", uri=True)
    out = sqlite3.connect(Path(work) / "reference.sqlite")
    out.execute("CREATE TABLE t (mid, uid, date, out, data)")
    cursor = src.execute("SELECT mid, uid, date, out, data FROM messages_v2")
    rows = 0
    while batch := cursor.fetchmany(10_000):
        out.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", batch)
        rows += len(batch)
    out.commit()
    seconds = time.perf_counter() - started
    queue.put(
        {
            "seconds": seconds,
            "cpu": time.process_time() - cpu,
            "messages": rows,
            "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def run(quick: bool) -> None:
    n = FULL // 20 if quick else FULL
    repeats = 1 if quick else 2
    base = Path(tempfile.mkdtemp(prefix="bench-telegram-"))
    try:
        evidence = base / "evidence"
        t = time.perf_counter()
        generate(evidence / DB, n)
        size = (evidence / DB).stat().st_size / 2**20
        print(
            f"generated cache4.db: {n:,} messages, {size:.1f} MiB, in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        ours: list[dict[str, Any]] = []
        refs: list[dict[str, Any]] = []
        for i in range(repeats):
            for target, results in ((_ours, ours), (_reference, refs)):
                work = base / f"work-{i}"
                work.mkdir()
                results.append(in_child(target, str(evidence), str(work)))
                shutil.rmtree(work)
        best = min(ours, key=lambda r: r["seconds"])
        ref = min(refs, key=lambda r: r["seconds"])
        for problem in best["problems"]:
            print(f"  problem: {problem}")
        ours_rate = best["messages"] / best["seconds"]
        ref_rate = ref["messages"] / ref["seconds"]
        runs = ", ".join(f"{r['seconds']:.2f}" for r in ours)
        print(
            f"android.telegram extract: {best['messages']:,} messages in {best['seconds']:.2f} s = "
            f"{ours_rate:,.0f} messages/s (runs: {runs} s; CPU {best['cpu']:.2f} s = "
            f"{best['cpu'] / best['messages'] * 1e6:.0f} µs a message); peak memory {best['mib']:.0f} MiB"
        )
        runs = ", ".join(f"{r['seconds']:.2f}" for r in refs)
        print(
            f"reference sqlite3 loop:   {ref['messages']:,} rows in {ref['seconds']:.2f} s = "
            f"{ref_rate:,.0f} rows/s (runs: {runs} s; CPU {ref['cpu']:.2f} s); "
            f"peak memory {ref['mib']:.0f} MiB"
        )
        print(f"ratio ours/reference: {ours_rate / ref_rate:.3f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
