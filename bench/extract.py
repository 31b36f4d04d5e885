"""Extraction throughput: records per second from an Android extraction into the artefact store.

A generated Android file-system extraction (a folder tree): mmssms.db with 1,000,000 SMS, calllog.db
with 100,000 calls, contacts2.db with 50,000 contacts, and a WhatsApp msgstore.db with 200,000
messages (read only when a registered parser claims it), 1/20 of that with --quick. Texts mix Thai,
Chinese, Burmese and English; numbers mix +66, +95, +86 and +855 forms.

Measured, each in a fresh process so that peak memory is the extraction's own:

* ours: ``extract()`` of every registered parser, full-text indexes and identifiers included, from
  the evidence folder into an empty artefacts.sqlite (records = rows stored);
* reference: a plain Python loop reading the same rows with sqlite3 and inserting them into bare
  tables (executemany, batches of 10,000, one transaction);
* floor: what any extraction into one searchable SQLite file must at least do, with no Python per
  row: the same rows copied by ``INSERT ... SELECT`` from the attached databases into bare tables,
  and the message text indexed with the store's FTS5 trigram options. No conversion, provenance,
  identifier or secondary index: a rate no extractor with those can exceed on this machine.

Each is run three times (once with --quick), ours, the reference and the floor in turn so that all
meet the same load on a shared machine; every run is printed (wall time, records/s, CPU time per record
of the main process and the workers, peak memory) and the medians, with the ratios.
Goal: 150,000 records/s and under 500 MiB on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._extracting import BenchCase, folder_tree, in_child, usage

SMS_DB = "data/user_de/0/com.android.providers.telephony/databases/mmssms.db"
CALLS_DB = "data/user_de/0/com.android.providers.contacts/databases/calllog.db"
CONTACTS_DB = "data/data/com.android.providers.contacts/databases/contacts2.db"
WHATSAPP_DB = "data/data/com.whatsapp/databases/msgstore.db"
FULL = {"sms": 1_000_000, "calls": 100_000, "contacts": 50_000, "whatsapp": 200_000}

THAI = [
    "พรุ่งนี้โอนเงินให้แล้วนะ",
    "ได้รับเงินแล้วครับ ขอบคุณมาก",
    "ลูกค้าใหม่ติดต่อมาทางไลน์",
    "รหัส OTP ของคุณคือ {n} ห้ามบอกรหัสนี้กับผู้อื่น",
    "ยอดเงินเข้าบัญชี {n} บาท",
    "ประชุมทีมพรุ่งนี้เก้าโมงเช้า",
    "ส่งเลขบัญชีมาให้หน่อย",
    "แพ็กเกจเน็ตของคุณใกล้หมดแล้ว กด *{n}# เพื่อต่ออายุ",
]
CHINESE = [
    "明天给你转账",
    "今天的业绩是多少",
    "客户已经付款了，请确认",
    "把钱转到这个USDT地址 TQ{n}",
    "晚上八点开会",
    "新来的人明天开始工作",
]
BURMESE = ["ငွေလွှဲပြီးပြီ", "မနက်ဖြန် တွေ့မယ်", "ဖုန်းဆက်ပါ"]
ENGLISH = [
    "ok",
    "Meeting at the office tomorrow, bring the phones",
    "Your verification code is {n}",
    "Sent 500 USDT TRC20, check the wallet",
    "call me",
    "Where are you now?",
]
CREATE_SMS = (
    "CREATE TABLE sms (_id INTEGER PRIMARY KEY,thread_id INTEGER,address TEXT,person INTEGER,date INTEGER,"
    "date_sent INTEGER DEFAULT 0,protocol INTEGER,read INTEGER DEFAULT 0,status INTEGER DEFAULT "
    "-1,type INTEGER,"
    "reply_path_present INTEGER,subject TEXT,body TEXT,service_center TEXT,locked INTEGER DEFAULT 0,"
    "sub_id INTEGER DEFAULT -1, error_code INTEGER DEFAULT -1, creator TEXT,seen INTEGER DEFAULT 0);"
    "CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT,thread_id INTEGER,date INTEGER,"
    "date_sent INTEGER DEFAULT 0,msg_box INTEGER,read INTEGER DEFAULT 0,m_id TEXT,sub TEXT,sub_cs INTEGER,"
    "m_type INTEGER);"
    "CREATE TABLE addr (_id INTEGER PRIMARY KEY,msg_id INTEGER,contact_id INTEGER,address TEXT,type INTEGER,"
    "charset INTEGER);"
    "CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT,mid INTEGER,seq INTEGER DEFAULT 0,ct TEXT,"
    "name TEXT,chset INTEGER,cd TEXT,fn TEXT,cid TEXT,cl TEXT,ctt_s INTEGER,ctt_t TEXT,_data TEXT,text TEXT);"
)
CREATE_CALLS = (
    "CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT,number TEXT,presentation INTEGER NOT "
    "NULL DEFAULT 1,"
    "date INTEGER,duration INTEGER,type INTEGER,features INTEGER NOT NULL DEFAULT 0,"
    "subscription_component_name TEXT,new INTEGER,name TEXT,countryiso TEXT,geocoded_location TEXT,"
    "normalized_number TEXT,deleted INTEGER NOT NULL DEFAULT 0);"
)
CREATE_CONTACTS = (
    "CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT,account_name TEXT, account_type TEXT, "
    "data_set TEXT);"
    "CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT,account_id INTEGER,sourceid TEXT,"
    "deleted INTEGER NOT NULL DEFAULT 0,contact_id INTEGER,display_name TEXT);"
    "CREATE TABLE mimetypes (_id INTEGER PRIMARY KEY AUTOINCREMENT,mimetype TEXT NOT NULL);"
    "CREATE TABLE data (_id INTEGER PRIMARY KEY AUTOINCREMENT,package_id INTEGER,mimetype_id INTEGER "
    "NOT NULL,"
    "raw_contact_id INTEGER NOT NULL,is_primary INTEGER NOT NULL DEFAULT 0,data1 TEXT,data2 TEXT,data3 TEXT);"
    "CREATE INDEX data_raw_contact_id ON data (raw_contact_id);"
)
CREATE_WHATSAPP = (
    "CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, "
    "agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);"
    "CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, subject TEXT);"
    "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, "
    "from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER, "
    "recipient_count INTEGER, timestamp INTEGER, received_timestamp INTEGER, message_type INTEGER, "
    "text_data TEXT, starred INTEGER);"
)


def _numbers(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.45:
            out.append(f"08{rng.choice('16789')}{rng.randint(0, 9_999_999):07d}")
        elif kind < 0.65:
            out.append(f"+668{rng.choice('16789')}{rng.randint(0, 9_999_999):07d}")
        elif kind < 0.8:
            out.append(f"+95 9 {rng.randint(200, 799)} {rng.randint(0, 9999):04d}")
        elif kind < 0.93:
            out.append(f"+86 13{rng.randint(0, 9)} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}")
        else:
            out.append(f"+855 {rng.choice(['12', '17', '92'])} {rng.randint(0, 999_999):06d}")
    return out


def _text(rng: random.Random) -> str:
    pool = rng.choices((THAI, CHINESE, BURMESE, ENGLISH), weights=(5, 3, 1, 2))[0]
    parts = [rng.choice(pool) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
    return " ".join(parts).format(n=rng.randint(100_000, 999_999))


def _write(path: Path, schema: str, table: str, rows: Iterator[tuple[Any, ...]], width: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    marks = ", ".join("?" * width)
    conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    conn.commit()
    conn.close()


def generate(root: Path, scale: float, seed: int = 2568) -> dict[str, int]:
    rng = random.Random(seed)
    sizes = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    people = _numbers(rng, 5000)
    start = 1_700_000_000_000

    def sms() -> Iterator[tuple[Any, ...]]:
        t = start
        for i in range(1, sizes["sms"] + 1):
            t += rng.randint(1_000, 120_000)
            kind = 1 if rng.random() < 0.55 else 2
            sent = t - rng.randint(500, 5_000) if kind == 1 else 0
            yield (
                i,
                i % 4000,
                rng.choice(people),
                None,
                t,
                sent,
                0,
                1,
                -1,
                kind,
                0,
                None,
                _text(rng),
                None,
                0,
                1,
                -1,
                None,
                1,
            )

    _write(root / SMS_DB, CREATE_SMS, "sms", sms(), 19)

    def calls() -> Iterator[tuple[Any, ...]]:
        t = start
        for i in range(1, sizes["calls"] + 1):
            t += rng.randint(10_000, 3_600_000)
            yield (
                i,
                rng.choice(people),
                1,
                t,
                rng.randint(0, 900),
                rng.choice((1, 1, 2, 2, 3, 5)),
                0,
                "com.android.phone/x",
                0,
                None,
                "TH",
                None,
                None,
                0,
            )

    _write(root / CALLS_DB, CREATE_CALLS, "calls", calls(), 14)

    path = root / CONTACTS_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(CREATE_CONTACTS)
    conn.executemany(
        "INSERT INTO accounts VALUES (?, ?, ?, NULL)",
        [(1, "x@gmail.com", "com.google"), (2, "WhatsApp", "com.whatsapp")],
    )
    mimes = ["name", "phone_v2", "email_v2", "vnd.com.whatsapp.profile"]
    conn.executemany(
        "INSERT INTO mimetypes VALUES (?, ?)",
        [(i + 1, "vnd.android.cursor.item/" + m) for i, m in enumerate(mimes)],
    )
    raws: list[tuple[Any, ...]] = []
    data: list[tuple[Any, ...]] = []
    for i in range(1, sizes["contacts"] + 1):
        name = _text(rng)[:20]
        account = rng.choice((None, 1, 2))
        raws.append((i, account, None, 0, i, name))
        number = rng.choice(people)
        data.append((None, None, 1, i, 0, name, None, None))
        data.append((None, None, 2, i, 1, number, "2", None))
        if rng.random() < 0.2:
            data.append((None, None, 3, i, 0, f"user{i}@example.com", "1", None))
        if account == 2:
            data.append(
                (None, None, 4, i, 0, number.lstrip("+").replace(" ", "") + "@s.whatsapp.net", None, None)
            )
    conn.executemany("INSERT INTO raw_contacts VALUES (?, ?, ?, ?, ?, ?)", raws)
    conn.executemany("INSERT INTO data VALUES (?, ?, ?, ?, ?, ?, ?, ?)", data)
    conn.commit()
    conn.close()

    path = root / WHATSAPP_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(CREATE_WHATSAPP)
    jids = [
        (i + 1, p.lstrip("+").replace(" ", ""), "s.whatsapp.net", 0, 0, 0, None)
        for i, p in enumerate(people[:800])
    ]
    conn.executemany("INSERT INTO jid VALUES (?, ?, ?, ?, ?, ?, ?)", jids)
    conn.executemany("INSERT INTO chat VALUES (?, ?, NULL)", [(i, i) for i in range(1, 801)])

    def wa() -> Iterator[tuple[Any, ...]]:
        t = start
        for i in range(1, sizes["whatsapp"] + 1):
            t += rng.randint(1_000, 60_000)
            yield (
                i,
                rng.randint(1, 800),
                rng.randint(0, 1),
                f"K{i:012d}",
                None,
                13,
                0,
                t,
                t + 900,
                0,
                _text(rng),
                0,
            )

    conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", wa())
    conn.commit()
    conn.close()
    return sizes


# -- what is measured, each in its own process ---------------------------------------------------


def _ours(evidence: str, work: str, jobs: int, queue: Any) -> None:
    from evidence_intake.parsers.engine import extract

    case = BenchCase(Path(work))
    started = time.perf_counter()
    report = extract(case, ["EX-001"], examiner="bench", jobs=jobs, open_tree=folder_tree(Path(evidence)))
    seconds = time.perf_counter() - started
    ex = report.exhibits[0]
    queue.put(
        {
            "seconds": seconds,
            "records": sum(ex.records.values()),
            "per_kind": {k: v for k, v in ex.records.items() if v},
            "parsers": {p.parser: p.records for p in ex.parsers.values() if p.files},
            "problems": ex.problems[:5],
            **usage(),
        }
    )


REFERENCE_QUERIES = {
    SMS_DB: "SELECT _id, thread_id, address, date, date_sent, type, body FROM sms",
    CALLS_DB: (
        "SELECT _id, number, date, duration, type, features, name, countryiso, geocoded_location FROM calls"
    ),
    CONTACTS_DB: (
        "SELECT rc._id, rc.display_name, d.data1, d.data2, m.mimetype FROM raw_contacts rc "
        "JOIN data d ON d.raw_contact_id = rc._id JOIN mimetypes m ON m._id = d.mimetype_id"
    ),
    WHATSAPP_DB: (
        "SELECT _id, chat_row_id, from_me, key_id, status, timestamp, message_type, text_data FROM message"
    ),
}
# The message text of each query, which the floor indexes as the store indexes messages.body.
FLOOR_TEXT = {SMS_DB: "body", WHATSAPP_DB: "text_data"}
# The store's full-text options (artefacts/schema.py), so that the floor pays what the store pays.
FLOOR_FTS = "tokenize='trigram', detail=none, columnsize=0"


def _reference(evidence: str, work: str, queue: Any) -> None:
    started = time.perf_counter()
    out = sqlite3.connect(Path(work) / "reference.sqlite")
    rows_total = 0
    for n, (db, sql) in enumerate(REFERENCE_QUERIES.items()):
        src = sqlite3.connect(f"file:{Path(evidence) / db}?mode=ro", uri=True)
        cursor = src.execute(sql)
        width = len(cursor.description)
        out.execute(f"CREATE TABLE t{n} ({', '.join(f'c{i}' for i in range(width))})")
        insert = f"INSERT INTO t{n} VALUES ({', '.join('?' * width)})"
        while batch := cursor.fetchmany(10_000):
            out.executemany(insert, batch)
            rows_total += len(batch)
        src.close()
    out.commit()
    out.close()
    seconds = time.perf_counter() - started
    queue.put({"seconds": seconds, "records": rows_total, **usage()})


def _floor(evidence: str, work: str, queue: Any) -> None:
    """Copy the reference's rows with SQL alone and index the message text (see the module's text)."""
    started = time.perf_counter()
    out = sqlite3.connect(f"file:{Path(work) / 'floor.sqlite'}", uri=True, isolation_level=None)
    out.execute("PRAGMA journal_mode=DELETE")  # as the store (artefacts/store.py)
    out.execute("PRAGMA synchronous=FULL")
    out.execute("PRAGMA cache_size=-131072")
    rows_total = 0
    for n, (db, sql) in enumerate(REFERENCE_QUERIES.items()):
        out.execute("ATTACH DATABASE ? AS src", (f"file:{Path(evidence) / db}?mode=ro",))
        select = sql.replace(" FROM ", " FROM src.", 1).replace(" JOIN ", " JOIN src.")
        out.execute("BEGIN")
        out.execute(f"CREATE TABLE t{n} AS SELECT * FROM ({select}) LIMIT 0")
        rows_total += out.execute(f"INSERT INTO t{n} SELECT * FROM ({select})").rowcount
        text = FLOOR_TEXT.get(db)
        if text:
            out.execute(f"CREATE VIRTUAL TABLE f{n} USING fts5({text}, content='t{n}', {FLOOR_FTS})")
            out.execute(f"INSERT INTO f{n} (f{n}, rank) VALUES ('automerge', 0)")
            out.execute(f"INSERT INTO f{n} (f{n}, rank) VALUES ('hashsize', 67108864)")
            out.execute(
                f"INSERT INTO f{n} (rowid, {text}) SELECT rowid, {text} FROM t{n} WHERE {text} IS NOT NULL"
            )
        out.execute("COMMIT")
        out.execute("DETACH DATABASE src")
    out.close()
    seconds = time.perf_counter() - started
    queue.put({"seconds": seconds, "records": rows_total, **usage()})


def _summary(name: str, runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median figures of the runs, and one line per run: the machine is shared, one run proves little."""
    for n, r in enumerate(runs, 1):
        cpu = r["own_cpu"] + r["children_cpu"]
        print(
            f"  {name} run {n}: {r['seconds']:.2f} s wall, {r['records'] / r['seconds']:,.0f} records/s, "
            f"CPU {cpu:.2f} s = {cpu / r['records'] * 1e6:.2f} us/record "
            f"(main {r['own_cpu']:.2f} s, workers {r['children_cpu']:.2f} s), "
            f"peak {r['own_mib']:.0f} MiB main + {r['children_mib']:.0f} MiB largest worker",
            flush=True,
        )
    med = {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rate": statistics.median(r["records"] / r["seconds"] for r in runs),
        "cpu_us": statistics.median((r["own_cpu"] + r["children_cpu"]) / r["records"] * 1e6 for r in runs),
        "own_mib": max(r["own_mib"] for r in runs),
        "children_mib": max(r["children_mib"] for r in runs),
        "records": runs[0]["records"],
    }
    return med


def run(quick: bool) -> None:
    scale = 1 / 20 if quick else 1.0
    repeats = 1 if quick else 3
    jobs = max(1, os.cpu_count() or 1)
    base = Path(tempfile.mkdtemp(prefix="bench-extract-"))
    try:
        evidence = base / "evidence"
        t = time.perf_counter()
        sizes = generate(evidence, scale)
        body_chars = (
            sqlite3.connect(evidence / SMS_DB).execute("SELECT avg(length(body)) FROM sms").fetchone()[0]
        )
        print(
            f"generated {sizes['sms']:,} SMS (mean body {body_chars:.0f} characters), "
            f"{sizes['calls']:,} calls, "
            f"{sizes['contacts']:,} contacts, {sizes['whatsapp']:,} WhatsApp messages "
            f"in {time.perf_counter() - t:.1f} s; {jobs} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        ours: list[dict[str, Any]] = []
        refs: list[dict[str, Any]] = []
        floors: list[dict[str, Any]] = []
        for n in range(repeats):  # in turn, so that all see the same load on the machine
            for name, runs, target, extra in (
                ("ours", ours, _ours, (jobs,)),
                ("ref", refs, _reference, ()),
                ("floor", floors, _floor, ()),
            ):
                work = base / f"{name}-{n}"
                work.mkdir()
                runs.append(in_child(target, str(evidence), str(work), *extra))
                shutil.rmtree(work)
        last = ours[-1]
        print(f"stored per kind: {json.dumps(last['per_kind'])}; per parser: {json.dumps(last['parsers'])}")
        if sizes["whatsapp"] and not any("whatsapp" in p for p in last["parsers"]):
            print("msgstore.db: no registered parser reads it yet, so its messages are not counted")
        for problem in last["problems"]:
            print(f"  problem: {problem}")
        mine = _summary("evidence-intake extract", ours)
        ref = _summary("reference sqlite3 loop ", refs)
        floor = _summary("floor: SQL copy + FTS   ", floors)
        print(
            f"evidence-intake extract ({jobs} workers, FTS and identifiers included), median of {repeats}: "
            f"{mine['records']:,} records in {mine['seconds']:.2f} s = {mine['rate']:,.0f} records/s, "
            f"{mine['cpu_us']:.2f} us CPU/record; peak memory {mine['own_mib']:.0f} MiB main + "
            f"{mine['children_mib']:.0f} MiB largest worker"
        )
        print(
            f"reference sqlite3 loop (no conversion, no index), median of {repeats}: "
            f"{ref['records']:,} rows in {ref['seconds']:.2f} s = {ref['rate']:,.0f} rows/s, "
            f"{ref['cpu_us']:.2f} us CPU/row; peak memory {ref['own_mib']:.0f} MiB"
        )
        print(
            f"floor: the same rows copied by INSERT ... SELECT, message text in a trigram index "
            f"(no conversion, provenance, identifier or other index), median of {repeats}: "
            f"{floor['records']:,} rows in {floor['seconds']:.2f} s = {floor['rate']:,.0f} rows/s, "
            f"{floor['cpu_us']:.2f} us CPU/row; peak memory {floor['own_mib']:.0f} MiB"
        )
        print(
            f"ratio ours/reference: {mine['rate'] / ref['rate']:.2f} in records/s, "
            f"{ref['cpu_us'] / mine['cpu_us']:.2f} in CPU per record; "
            f"ours/floor: {mine['rate'] / floor['rate']:.2f} in records/s "
            "(goal: >= 150,000 records/s, < 500 MiB)"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
