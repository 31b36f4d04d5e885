"""Store behaviour seen without the engine: FTS in Thai and Chinese, replacement of earlier runs."""

from __future__ import annotations

from pathlib import Path

from evidence_intake.artefacts.model import Contact, Locator, Message, Phone
from evidence_intake.artefacts.query import mask_secret, query
from evidence_intake.artefacts.store import ArtefactStore, SourceRecord
from evidence_intake.parsers.unit import ShardWriter

SENTENCES = [
    "พรุ่งนี้โอนเงินให้แล้วนะ",
    "明天给你转账",
    "ငွေလွှဲပြီးပြီ",  # Burmese: "transferred the money"
    "โอน USDT เข้ากระเป๋า TRC20 แล้ว",
    "Meeting at the office",
]


def fill(path: Path, bodies: list[str], names: list[str], run: str = "r1") -> None:
    with ArtefactStore(path) as store:
        store.begin_run(run, exhibit="EX-001", examiner="x", software="t", parsers={"p": "1"})
        sid = store.add_source(SourceRecord(run, "EX-001", "p", "1", "", None, "/x.db", None, 1, "00" * 32))
        shard = path.parent / "s.sqlite"
        writer = ShardWriter(shard, source_id=sid, exhibit="EX-001", region="TH")
        for n, body in enumerate(bodies, 1):
            writer.add(Message(locator=Locator(table="m", rowid=n), app="Test", body=body))
        for n, name in enumerate(names, 1):
            writer.add(
                Contact(
                    locator=Locator(table="c", rowid=n),
                    app="Test",
                    name=name,
                    phones=(Phone(number="0812345678"),),
                )
            )
        writer.finish()
        store.merge_shard(shard, sid)
        store.finish_source(sid, status="parsed", records=len(bodies) + len(names), errors=0, warnings=0)


def bodies(result: object) -> list[str]:
    return [r["body"] for r in result.rows]  # type: ignore[attr-defined]


def test_fts_finds_words_inside_unspaced_scripts(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    fill(path, SENTENCES, ["นายสมชาย ใจดี", "王小明"])
    thai = query(path, "messages", search="โอนเงิน")
    assert bodies(thai) == ["พรุ่งนี้โอนเงินให้แล้วนะ"] and thai.notes == []
    assert bodies(query(path, "messages", search="给你转账")) == ["明天给你转账"]
    chinese = query(path, "messages", search="转账")
    assert bodies(chinese) == ["明天给你转账"] and "shorter than 3 characters" in chinese.notes[0]
    assert bodies(query(path, "messages", search="လွှဲ")) == ["ငွေလွှဲပြီးပြီ"]
    assert bodies(query(path, "messages", search="usdt")) == ["โอน USDT เข้ากระเป๋า TRC20 แล้ว"]  # ASCII folds
    assert bodies(query(path, "messages", search="โอน")) == [
        "พรุ่งนี้โอนเงินให้แล้วนะ",
        "โอน USDT เข้ากระเป๋า TRC20 แล้ว",
    ]
    assert bodies(query(path, "messages", search="50%")) == []  # % is text, not a wildcard
    assert [r["name"] for r in query(path, "contacts", search="สมชาย").rows] == ["นายสมชาย ใจดี"]
    assert [r["name"] for r in query(path, "contacts", search="小明").rows] == ["王小明"]


def test_a_later_run_of_the_same_file_replaces_the_earlier_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    fill(path, SENTENCES, [])
    (path.parent / "s.sqlite").unlink()
    fill(path, SENTENCES[:2], [], run="r2")
    assert bodies(query(path, "messages")) == SENTENCES[:2]
    assert bodies(query(path, "messages", search="ลงเงิน")) == []
    with ArtefactStore(path) as store:
        fts = store.conn.execute("SELECT count(*) FROM messages_fts WHERE body LIKE '%โอน%'").fetchone()[0]
        assert fts == 1  # the FTS index forgot the replaced rows too
        assert (
            store.conn.execute("SELECT count(*) FROM sources WHERE superseded_by IS NOT NULL").fetchone()[0]
            == 1
        )


def test_mask_secret() -> None:
    assert mask_secret("legal winner thank year wave sausage worth useful legal winner thank yellow") == (
        "[masked: 12-word phrase]"
    )
    key = "5Kb8kLf9zgWQnogidDA76MzPL6TsZZY36hWXMssSzNydYXYB9KF"
    assert mask_secret(key) == "5K…KF [masked: 51 characters]"
    assert mask_secret("1234") == "[masked: 4 characters]" and mask_secret(None) is None


def test_whole_numbers_are_read_alike_in_sql_and_in_python() -> None:
    """The bulk path (SQL) and the typed path (Python) turn an INT column's value into the same number,
    and neither guesses one from a value that is not a whole number."""
    import sqlite3

    from evidence_intake.artefacts.kinds import KINDS, _sql_expr, _whole

    column = next(c for c in KINDS["calls"].columns if c.name == "duration_s")
    expr = _sql_expr(column, 0, {column.field}, "'TH'")
    values = [65, 0, -3, 62.0, 62.6, "65", " 125 ", "1:05", "", "abc", "６５", b"65", None]
    expected = [65, 0, -3, 62, None, 65, 125, None, None, None, None, None, None]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE q ({column.field})")
    conn.executemany("INSERT INTO q VALUES (?)", [(v,) for v in values])
    in_sql = [row[0] for row in conn.execute(f"SELECT {expr} FROM q ORDER BY rowid")]
    assert in_sql == expected
    assert [_whole(v) for v in values] == expected


def _open_source(store: ArtefactStore, path: Path, run: str, bodies: list[str], *, begin: bool = True) -> int:
    """A source of /x.db in ``run`` (begun unless ``begin`` is False) whose messages are merged; the
    source is left running."""
    if begin:
        store.begin_run(run, exhibit="EX-001", examiner="x", software="t", parsers={"p": "1"})
    sid = store.add_source(SourceRecord(run, "EX-001", "p", "1", "", None, "/x.db", None, 1, "00" * 32))
    shard = path.parent / f"{run}-{sid}.sqlite"
    writer = ShardWriter(shard, source_id=sid, exhibit="EX-001", region="TH")
    for n, body in enumerate(bodies, 1):
        writer.add(Message(locator=Locator(table="m", rowid=n), app="Test", body=body))
    writer.finish()
    store.merge_shard(shard, sid)
    return sid


def test_two_extractions_of_one_file_at_once_leave_one_copy(tmp_path: Path) -> None:
    """Run A is still merging when run B of the same file completes: B does not touch A's running
    source; when A completes, its rows replace B's. Either way the views show the file once."""
    path = tmp_path / "a.sqlite"
    with ArtefactStore(path) as store:
        a = _open_source(store, path, "A", SENTENCES[:3])
        b = _open_source(store, path, "B", SENTENCES[:3])
        store.finish_source(b, status="parsed", records=3, errors=0, warnings=0)
        assert len(bodies(query(path, "messages"))) == 6  # A's rows are still coming in: not B's to drop
        store.finish_source(a, status="parsed", records=3, errors=0, warnings=0)
        rows = store.conn.execute("SELECT source_id FROM messages").fetchall()
        assert sorted(rows) == [(a,)] * 3
        superseded = store.conn.execute("SELECT id, superseded_by FROM sources ORDER BY id").fetchall()
        assert superseded == [(a, None), (b, a)]
        indexed = store.conn.execute("SELECT count(*) FROM messages_fts WHERE body LIKE '%โอน%'").fetchone()[
            0
        ]
        assert indexed == 1


def test_files_of_one_run_that_share_a_path_are_two_files(tmp_path: Path) -> None:
    """A tar's two members of one name, or two names that read alike, in one run: both kept."""
    path = tmp_path / "a.sqlite"
    with ArtefactStore(path) as store:
        first = _open_source(store, path, "R", SENTENCES[:1])
        store.finish_source(first, status="parsed", records=1, errors=0, warnings=0)
        second = _open_source(store, path, "R", SENTENCES[1:2], begin=False)
        store.finish_source(second, status="parsed", records=1, errors=0, warnings=0)
    assert bodies(query(path, "messages")) == SENTENCES[:2]
