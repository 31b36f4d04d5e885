"""iOS Messages extraction: records per second from a generated sms.db through the ios.sms parser.

sms.db is built from samples/schemas/ios/sms.sql (with the indexes Messages creates): 300,000 messages
(15,000 with --quick) in 2,000 one-to-one chats and 50 groups of 5, dates in nanoseconds, 5 % of
the rows with their text only in attributedBody (the typed path decodes them in Python), 2 % with an
attachment. Measured each in a fresh process:

* ours: ``extract()`` with the ``ios.sms`` parser alone, into an empty artefacts.sqlite (full-text
  index and identifiers included), with one worker per CPU; once more on a copy of the file
  without the message_id indexes, which makes the parser join through one grouped pass instead;
* reference: a plain sqlite3 loop reading the same messages with their handle and chat
  (``message LEFT JOIN handle``, the chat by ``chat_message_join``) into a bare table.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._extracting import BenchCase, folder_tree, in_child
from samples.encodings import attributed_body
from samples.sqlitebuild import schema

DB = "private/var/mobile/Library/SMS/sms.db"
FULL = 300_000
TEXTS = [
    "พรุ่งนี้โอนเงินให้แล้วนะ",
    "ยอดเงินเข้าบัญชี {n} บาท",
    "明天给你转账",
    "把钱转到这个USDT地址 TQ{n}",
    "ငွေလွှဲပြီးပြီ",
    "Sent 500 USDT TRC20, check the wallet",
    "Your verification code is {n}",
    "ok",
]
MAC_2025 = 760_000_000 * 10**9  # 2025-01-31 in Mac absolute nanoseconds


def generate(path: Path, count: int, *, indexes: bool = True, seed: int = 2568) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(schema("ios/sms"))
    handles = [(i, f"+66812{i * 37:06d}" if i % 3 else f"09{425_000_000 + i * 13}") for i in range(1, 2001)]
    conn.executemany("INSERT INTO handle (ROWID, id, country, service) VALUES (?, ?, 'th', 'SMS')", handles)
    chats = [(i, f"SMS;-;{h}", h) for i, h in handles] + [
        (2000 + g, f"iMessage;+;chat{g}", f"chat{g}") for g in range(1, 51)
    ]
    conn.executemany(
        "INSERT INTO chat (ROWID, guid, chat_identifier, service_name, style) VALUES (?, ?, ?, 'SMS', 45)",
        chats,
    )
    members = [(i, i) for i, _ in handles] + [
        (2000 + g, rng.randint(1, 2000)) for g in range(1, 51) for _ in range(5)
    ]
    conn.executemany("INSERT OR IGNORE INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)", members)
    date = MAC_2025
    for start in range(1, count + 1, 10_000):
        rows, joins, attachments = [], [], []
        for rowid in range(start, min(count, start + 9_999) + 1):
            date += rng.randint(10**9, 120 * 10**9)
            chat = rng.randint(1, 2050)
            me = rng.random() < 0.45
            handle = 0 if chat > 2000 and me else (chat if chat <= 2000 else rng.randint(1, 2000))
            text = " ".join(rng.choice(TEXTS) for _ in range(rng.choice((1, 1, 2)))).format(n=rowid)
            only_attributed = rng.random() < 0.05
            rows.append((rowid, f"G{rowid:09d}", None if only_attributed else text, handle, date, int(me),
                         attributed_body(text)))  # fmt: skip
            joins.append((chat, rowid, date))
            if rng.random() < 0.02:
                attachments.append((rowid, f"IMG_{rowid}.HEIC"))
        conn.executemany(
            "INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me, attributedBody, service, "
            "is_delivered) VALUES (?, ?, ?, ?, ?, ?, ?, 'SMS', 1)",
            rows,
        )
        conn.executemany("INSERT INTO chat_message_join VALUES (?, ?, ?)", joins)
        conn.executemany(
            "INSERT INTO attachment (ROWID, guid, original_guid, transfer_name, mime_type, total_bytes) "
            "VALUES (?, 'at' || ?1, 'at' || ?1, ?, 'image/heic', 1000000)",
            attachments,
        )
        conn.executemany(
            "INSERT INTO message_attachment_join VALUES (?, ?)", [(a[0], a[0]) for a in attachments]
        )
    if not indexes:
        conn.execute("DROP INDEX chat_message_join_idx_message_id_only")
        conn.execute("DROP INDEX chat_recoverable_message_join_message_id_idx")
    conn.commit()
    conn.close()


def _peak_mib() -> tuple[float, float]:
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def _ours(evidence: str, work: str, jobs: int, queue: Any) -> None:
    from evidence_intake.parsers.engine import extract
    from evidence_intake.parsers.ios.sms import IosSmsParser
    from evidence_intake.parsers.registry import ParserRegistry

    started = time.perf_counter()
    report = extract(
        BenchCase(Path(work)),
        ["EX-002"],
        examiner="bench",
        jobs=jobs,
        registry=ParserRegistry.of(IosSmsParser),
        open_tree=folder_tree(Path(evidence)),
    )
    seconds = time.perf_counter() - started
    exhibit = report.exhibits[0]
    own, children = _peak_mib()
    queue.put(
        {
            "seconds": seconds,
            "records": sum(exhibit.records.values()),
            "problems": exhibit.problems[:3],
            "own_mib": own,
            "children_mib": children,
        }
    )


REFERENCE = (
    "SELECT m.ROWID, m.text, m.date, m.is_from_me, h.id, c.guid FROM message AS m "
    "LEFT JOIN handle AS h ON h.ROWID = m.handle_id "
    "LEFT JOIN chat AS c ON c.ROWID = (SELECT min(chat_id) FROM chat_message_join WHERE message_id = m.ROWID)"
)


def _reference(evidence: str, work: str, queue: Any) -> None:
    started = time.perf_counter()
    src = sqlite3.connect(f"file:{Path(evidence) / DB}?mode=ro", uri=True)
    out = sqlite3.connect(Path(work) / "reference.sqlite")
    out.execute("CREATE TABLE t (rowid_, text, date, from_me, handle, chat)")
    cursor = src.execute(REFERENCE)
    total = 0
    while batch := cursor.fetchmany(10_000):
        out.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", batch)
        total += len(batch)
    out.commit()
    seconds = time.perf_counter() - started
    queue.put({"seconds": seconds, "records": total, "own_mib": _peak_mib()[0], "children_mib": 0.0})


def run(quick: bool) -> None:
    count = FULL // 20 if quick else FULL
    repeats = 1 if quick else 2
    jobs = max(1, os.cpu_count() or 1)
    base = Path(tempfile.mkdtemp(prefix="bench-ios-sms-"))
    try:
        indexed, plain = base / "indexed", base / "plain"
        started = time.perf_counter()
        generate(indexed / DB, count)
        generate(plain / DB, count, indexes=False)
        print(
            f"generated 2 x {count:,} messages in {time.perf_counter() - started:.1f} s; {jobs} CPUs",
            flush=True,
        )
        results: dict[str, list[dict[str, Any]]] = {"indexed": [], "plain": [], "reference": []}
        for n in range(repeats):
            for label, target, args in (
                ("indexed", _ours, (str(indexed), jobs)),
                ("plain", _ours, (str(plain), jobs)),
                ("reference", _reference, (str(indexed),)),
            ):
                work = base / f"{label}-{n}"
                work.mkdir()
                evidence, *rest = args
                results[label].append(in_child(target, evidence, str(work), *rest))
                shutil.rmtree(work)
        ref = min(results["reference"], key=lambda r: r["seconds"])
        ref_rate = ref["records"] / ref["seconds"]
        for label, title in (
            ("indexed", "with the message_id index"),
            ("plain", "without it (grouped pass)"),
        ):
            best = min(results[label], key=lambda r: r["seconds"])
            rate = best["records"] / best["seconds"]
            runs = ", ".join(f"{r['seconds']:.2f}" for r in results[label])
            print(
                f"ios.sms {title}: {best['records']:,} records in {best['seconds']:.2f} s = {rate:,.0f}/s "
                f"(runs: {runs} s); peak {best['own_mib']:.0f} MiB main + {best['children_mib']:.0f} MiB "
                f"worker; ratio to the reference {rate / ref_rate:.2f}"
            )
            for problem in best["problems"]:
                print(f"  problem: {problem}")
        runs = ", ".join(f"{r['seconds']:.2f}" for r in results["reference"])
        print(
            f"reference sqlite3 loop: {ref['records']:,} rows in {ref['seconds']:.2f} s = {ref_rate:,.0f}/s "
            f"(runs: {runs} s); peak {ref['own_mib']:.0f} MiB"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
