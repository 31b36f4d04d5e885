"""The bulk path's conversions (parsers/bulk.py): odd text and numbers, column checks by ranges, splitting."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.artefacts.model import Locator, Message
from evidence_intake.artefacts.store import ArtefactStore, SourceRecord
from evidence_intake.parsers import BulkQuery, Source, bulk, engine, times
from evidence_intake.parsers.sql import iso_time
from evidence_intake.parsers.unit import ShardWriter
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import NOTES_SQL, BulkNotes, TypedNotes
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

NOTES = "data/data/test.notes/databases/notes.db"
BAD = "โอน".encode() + b"\xff\xfe" + "เงิน".encode()


class BulkNotesWithRecipients(BulkNotes):
    """Notes whose author is also given as a JSON list of recipients (a JSON text column)."""

    name = "test.bulknotes.recipients"

    def bulk(self, source: Source) -> Sequence[BulkQuery]:
        sql = """SELECT _id AS record_rowid, 'Notes' AS app, body, 'outgoing' AS direction,
                 json_array(author) AS recipients, json_array(phone) AS recipient_phones FROM src.notes"""
        return [BulkQuery(kind=Message, table="notes", sql=sql)]


def notes(
    tmp_path: Path, rows: list[tuple[Any, ...]], text: dict[tuple[int, str], bytes] | None = None
) -> Path:
    """The notes database; ``text`` stores raw bytes as TEXT (what an app with a bug leaves behind)."""
    root = tmp_path / "evidence"
    path = make_db(root / NOTES, NOTES_SQL, {"notes": rows})
    conn = sqlite3.connect(path)
    for (rowid, column), raw in (text or {}).items():
        conn.execute(f"UPDATE notes SET {column} = CAST(? AS TEXT) WHERE _id = ?", (raw, rowid))
    conn.commit()
    conn.close()
    return root


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    drop = {"id", "extraction_id", "source_id", "parser", "parser_version"}
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def row(n: int, phone: str | None = "0812345678", body: str | bytes = "ok") -> tuple[Any, ...]:
    return (n, f"author {n}", phone, body, 1700000000000 + n)


def test_an_invalid_utf8_number_does_not_stop_the_query(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    # the third number is not valid UTF-8: the phone function used to raise and the rows after it were lost
    root = notes(tmp_path, [row(n) for n in range(1, 6)], {(3, "phone"): b"081\xff2345678"})
    report = run_extract(FolderTree(root), BulkNotes, TypedNotes)
    assert not report.failed
    bulk_rows = store_rows(
        case, "SELECT * FROM messages WHERE parser = 'test.bulknotes' ORDER BY record_rowid"
    )
    assert [r["record_rowid"] for r in bulk_rows] == [1, 2, 3, 4, 5]
    assert [r["sender_phone"] for r in bulk_rows] == ["+66812345678", "+66812345678", None] + [
        "+66812345678"
    ] * 2
    typed = store_rows(case, "SELECT * FROM messages WHERE parser = 'test.notes' ORDER BY record_rowid")
    assert comparable(bulk_rows) == comparable(typed)  # the typed path reads it the same way


@pytest.mark.parametrize("jobs", [0, 2])
def test_undecodable_text_is_found_in_every_range_of_rows(
    tmp_path: Path, case: FakeCase, run_extract: Runner, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr(bulk, "CHECK_ROWS", 2)  # in-process only: workers check in one piece
    bad_rows = {1, 4, 5, 9}
    root = notes(tmp_path, [row(n) for n in range(1, 10)], {(n, "body"): BAD for n in bad_rows})
    report = run_extract(FolderTree(root), BulkNotes, TypedNotes, jobs=jobs)
    assert not report.failed
    got = store_rows(case, "SELECT * FROM messages WHERE parser = 'test.bulknotes' ORDER BY record_rowid")
    assert {r["record_rowid"] for r in got if r["has_undecodable_text"]} == bad_rows
    assert {r["body"] for r in got if r["record_rowid"] in bad_rows} == {"โอน\ufffd\ufffdเงิน"}
    kept = store_rows(
        case,
        "SELECT u.record_rowid, u.column_name, u.raw FROM undecodable_text AS u "
        "JOIN messages AS m ON m.id = u.row_id AND u.kind = 'messages' "
        "WHERE m.parser = 'test.bulknotes' ORDER BY u.id",
    )
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        (n, "body", BAD) for n in sorted(bad_rows)
    ]
    typed = store_rows(case, "SELECT * FROM messages WHERE parser = 'test.notes' ORDER BY record_rowid")
    assert comparable(got) == comparable(typed)
    warnings = store_rows(case, "SELECT error FROM extraction_errors WHERE parser = 'test.bulknotes'")
    assert warnings and all("not valid UTF-8" in w["error"] for w in warnings)


def test_json_lists_and_blobs_are_checked_too(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    rows = [row(1), row(2, body=b"blob, valid"), row(3, body=b"blob \xc3\x28"), row(4)]
    root = notes(tmp_path, rows, {(4, "author"): b"Aung \xff"})
    report = run_extract(FolderTree(root), BulkNotesWithRecipients)
    assert not report.failed
    got = store_rows(case, "SELECT * FROM messages ORDER BY record_rowid")
    assert [r["body"] for r in got] == ["ok", "blob, valid", "blob \ufffd(", "ok"]
    assert [r["has_undecodable_text"] for r in got] == [0, 0, 1, 1]
    assert got[3]["recipients"] == '["Aung \ufffd"]' and got[3]["recipient_phones"] == '["+66812345678"]'
    kept = store_rows(case, "SELECT record_rowid, column_name, raw FROM undecodable_text ORDER BY id")
    assert [(k["record_rowid"], k["column_name"]) for k in kept] == [(3, "body"), (4, "recipients")]
    assert kept[0]["raw"] == b"blob \xc3\x28" and kept[1]["raw"] == b'["Aung ' + b'\xff"]'


def test_bulk_ranges_start_small(
    tmp_path: Path, case: FakeCase, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BULK_CHUNK_ROWS", 8)
    root = notes(tmp_path, [row(n) for n in range(1, 31)])
    run_extract(FolderTree(root), BulkNotes)
    (source,) = store_rows(case, "SELECT row_ranges FROM sources")
    # 1/8, 1/4 and 1/2 of a range, then full ranges: 1 + 2 + 4 + 8 + 8 + 7 rows
    assert source["row_ranges"] == '{"messages":[[1,1],[2,3],[4,7],[8,15],[16,23],[24,30]]}'
    assert len(store_rows(case, "SELECT id FROM messages")) == 30


def test_iso_time_needs_an_epoch_at_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(times.EPOCH_OFFSETS, "odd", 3600)
    with pytest.raises(ValueError, match="midnight"):
        iso_time("x", unit="s", epoch="odd")


def test_workers_run_below_the_main_process() -> None:
    pool = engine.make_executor(1)
    try:
        niceness = pool.submit(os.nice, 0).result()
    finally:
        pool.shutdown()
    assert niceness == min(19, os.nice(0) + engine.WORKER_NICENESS)


def store_with_messages(path: Path, n: int) -> ArtefactStore:
    store = ArtefactStore(path)
    store.begin_run("r1", exhibit="EX-001", examiner="x", software="t", parsers={"p": "1"})
    sid = store.add_source(SourceRecord("r1", "EX-001", "p", "1", "", None, "/x.db", None, 1, "00" * 32))
    shard = path.parent / "s.sqlite"
    writer = ShardWriter(shard, source_id=sid, exhibit="EX-001", region="TH")
    for i in range(1, n + 1):
        writer.add(Message(locator=Locator(table="m", rowid=i), app="T", body=f"b{i}"))
    writer.finish()
    store.merge_shard(shard, sid)
    return store


def indexes(store: ArtefactStore) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_indexes_are_dropped_for_a_load_only_when_it_outweighs_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_intake.artefacts import store as store_module

    monkeypatch.setattr(store_module, "BULK_INDEX_THRESHOLD", 10)
    store = store_with_messages(tmp_path / "a.sqlite", 50)
    try:
        store.prepare_bulk(20)  # smaller than the 50 rows held: rebuilding would cost more than it saves
        assert "message_rows_exhibit_time" in indexes(store)
        store.prepare_bulk(100)
        assert "message_rows_exhibit_time" not in indexes(store)
        store.ensure_indexes()
        assert "message_rows_exhibit_time" in indexes(store)
    finally:
        store.close()


def test_rows_salvaged_before_a_cut_keep_their_undecodable_text(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = notes(tmp_path, [row(n, body="ok " * 40) for n in range(1, 3001)], {(2, "body"): BAD})
    path = root / NOTES
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])  # a truncated copy: read row by row up to the cut
    run_extract(FolderTree(root), BulkNotes)
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error" and 0 < int(source["records"]) < 3000, source
    second = store_rows(case, "SELECT body, has_undecodable_text FROM messages WHERE record_rowid = 2")
    assert second == [{"body": "โอน\ufffd\ufffdเงิน", "has_undecodable_text": 1}]
    kept = store_rows(case, "SELECT record_rowid, column_name, raw FROM undecodable_text")
    assert kept == [{"record_rowid": 2, "column_name": "body", "raw": BAD}]
