"""The store's tables match the kinds, migrations apply once, and every kind is documented."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import sqlite_utils

from evidence_intake.artefacts.kinds import KINDS, PROVENANCE_COLUMNS
from evidence_intake.artefacts.layout import M001_COLUMNS
from evidence_intake.artefacts.model import Call, Locator
from evidence_intake.artefacts.schema import MIGRATIONS, STEPS, expected_columns
from evidence_intake.artefacts.store import ArtefactStore, SourceRecord, open_read_only
from evidence_intake.errors import IntakeError
from evidence_intake.parsers.unit import ShardWriter

# The store migration that added the call length as the app stored it, and the columns it concerns
# (how long a call lasted: data read from evidence, not a measure of time taken by the tests).
SECOND_STEP = "m002_call_duration_raw"
CALL_LENGTH, AS_STORED = "duration_s", "duration_raw"
THIRD_STEP = "m003_extraction_run_process"

DOCS = Path(__file__).resolve().parents[2] / "docs" / "artefacts.md"


def test_base_tables_match_the_kind_specs(tmp_path: Path) -> None:
    with ArtefactStore(tmp_path / "a.sqlite") as store:
        for spec in KINDS.values():
            cols = [r[1] for r in store.conn.execute(f"PRAGMA table_info({spec.table})")]
            assert cols == expected_columns(spec), spec.name
            view = [r[1] for r in store.conn.execute(f"PRAGMA table_info({spec.name})")]
            provenance = {"parser", "parser_version", "extraction_id", "source_partition", "source_path"}
            assert provenance | {"source_sha256", "record_table", "record_rowid", "exhibit"} <= set(view)


def test_every_dataclass_field_has_a_column() -> None:
    for spec in KINDS.values():
        stored = {c.field for c in spec.columns}
        for f in fields(spec.artefact):
            if f.name in ("locator", "region"):
                continue
            assert f.name in stored, f"{spec.artefact.__name__}.{f.name} is not stored"


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    ArtefactStore(path).close()
    ArtefactStore(path).close()
    conn = sqlite3.connect(path)
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATIONS.name,)
        )
    ]
    assert names == ["m001_initial", SECOND_STEP, THIRD_STEP]


def test_runs_record_the_process_running_them_and_older_runs_keep_theirs_empty(tmp_path: Path) -> None:
    """m003 adds extraction_runs.host and pid (a killed run is told from one still going by them)."""
    path = tmp_path / "a.sqlite"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before=THIRD_STEP)
    old.conn.execute(
        "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
        "VALUES ('old', 'EX-001', 'completed', '2025-03-06T00:00:00.000000Z', 'x', '{}')"
    )
    old.conn.commit()
    old.conn.close()
    with ArtefactStore(path) as store:
        store.begin_run("new", exhibit="EX-001", examiner="x", software="x", parsers={})
        rows = store.conn.execute("SELECT id, host, pid FROM extraction_runs ORDER BY id").fetchall()
    assert rows == [("new", os.uname().nodename, os.getpid()), ("old", None, None)]


def test_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from evidence_intake.errors import IntakeError

    bad = tmp_path / "artefacts.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(IntakeError, match="is not a usable artefact store"):
        ArtefactStore(bad)


def test_docs_describe_every_table_and_column() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for spec in KINDS.values():
        section = re.search(rf"^### `{spec.name}`.*?(?=^### |\Z)", text, re.S | re.M)
        assert section, f"docs/artefacts.md has no section for {spec.name}"
        for column in (*spec.column_names, *PROVENANCE_COLUMNS):
            if column == "id":
                continue
            assert f"`{column}`" in section.group(0), (
                f"docs/artefacts.md does not describe {spec.name}.{column}"
            )
    for table in ("sources", "extraction_runs", "extraction_errors", "identifiers", "undecodable_text"):
        assert f"### `{table}`" in text, table


def test_a_store_of_the_first_layout_gains_duration_raw_and_keeps_its_calls(tmp_path: Path) -> None:
    """An artefacts.sqlite written before calls had duration_raw: opening it migrates it in place."""
    path = tmp_path / "artefacts.sqlite"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before=SECOND_STEP)
    first_layout = [*PROVENANCE_COLUMNS, *(name for name, _ in M001_COLUMNS["calls"])]
    assert [r[1] for r in old.conn.execute("PRAGMA table_info(call_rows)")] == first_layout
    old.conn.execute(
        "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
        "VALUES ('r1', 'EX-001', 'completed', '2025-03-06T12:00:00.000000Z', 'evidence-intake', '{}')"
    )
    old.conn.execute(
        "INSERT INTO sources (id, extraction_id, exhibit, parser, parser_version, source_partition, "
        "source_path, status, row_ranges, started_at) VALUES (1, 'r1', 'EX-001', 'android.calllog', '1.0', "
        "'', '/data/calllog.db', 'parsed', '{\"calls\": [[3, 4]]}', '2025-03-06T12:00:00.000000Z')"
    )
    calls = [
        (3, 1, "EX-001", "calls", 7, None, "Phone", "0812345678", "+66812345678", "สมชาย", "incoming",
         "answered", "voice", "2025-03-06T12:50:00.000000Z", 1_741_265_400_000, 125, "Bangkok", 0, 0),
        (4, 1, "EX-001", "calls", 9, None, "LINE", "u1a2b3c", None, None, "outgoing", None, "video", None,
         "not a time", None, None, 1, 1),
    ]  # fmt: skip
    marks = ", ".join("?" * len(first_layout))
    old.conn.executemany(f"INSERT INTO call_rows ({', '.join(first_layout)}) VALUES ({marks})", calls)
    old.conn.execute(
        "INSERT INTO identifiers (kind, row_id, exhibit, app, role, type, value, raw) "
        "VALUES ('calls', 3, 'EX-001', 'Phone', 'number', 'phone', '+66812345678', '0812345678')"
    )
    old.conn.commit()
    old.conn.close()

    with ArtefactStore(path) as store:
        conn = store.conn
        assert [r[1] for r in conn.execute("PRAGMA table_info(call_rows)")] == expected_columns(
            KINDS["calls"]
        )
        view = [r[1] for r in conn.execute("PRAGMA table_info(calls)")]
        assert view[view.index(CALL_LENGTH) + 1] == AS_STORED
        got = [tuple(r) for r in conn.execute(f"SELECT {', '.join(first_layout)}, duration_raw FROM calls")]
        assert got == [(*c, None) for c in calls]  # every value and id kept; nothing read as stored
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'call_rows'")}
        assert "call_rows_exhibit_time" in indexes
        linked = conn.execute(
            "SELECT c.number FROM identifiers AS i JOIN calls AS c ON c.id = i.row_id WHERE i.kind = 'calls'"
        ).fetchall()
        assert linked == [("0812345678",)]
        # and the store takes new calls with their raw duration
        sid = store.add_source(
            SourceRecord("r1", "EX-001", "android.line", "1.1", "", None, "/n", None, 1, "")
        )
        writer = ShardWriter(tmp_path / "s.sqlite", source_id=sid, exhibit="EX-001", region="TH")
        writer.add(
            Call(
                locator=Locator(table="chat_history", rowid=6),
                app="LINE",
                duration_s=65,
                duration_raw="65400",
            )
        )
        writer.finish()
        store.merge_shard(tmp_path / "s.sqlite", sid)
        new = conn.execute(
            "SELECT id, duration_s, duration_raw FROM calls WHERE source_id = ?", (sid,)
        ).fetchall()
        assert new == [(5, 65, "65400")]
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == ["m001_initial", SECOND_STEP, THIRD_STEP]


def test_reading_an_older_store_migrates_it_and_a_current_store_is_not_written(tmp_path: Path) -> None:
    """`artefacts` and the reports open the store through open_read_only: it migrates an old store
    (found with sqlite3 alone) and leaves a current one byte for byte as it was."""
    path = tmp_path / "artefacts.sqlite"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before=SECOND_STEP)
    old.conn.close()
    conn = open_read_only(path)
    try:
        view = [r[1] for r in conn.execute("PRAGMA table_info(calls)")]
        assert AS_STORED in view
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY name")]
        assert applied == [name for name, _ in STEPS]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM call_rows")
    finally:
        conn.close()
    before = path.read_bytes()
    open_read_only(path).close()
    assert path.read_bytes() == before


def test_a_damaged_store_read_back_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "artefacts.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(IntakeError, match="is not a usable artefact store"):
        open_read_only(path)
    assert path.read_bytes() == b"not a database at all" * 100


_KILLED_MID_TRANSACTION = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE")
conn.execute("PRAGMA cache_size=10")  # so that changed pages reach the file before the commit
conn.execute("BEGIN IMMEDIATE")
conn.execute("DELETE FROM extraction_runs")
conn.execute(
    "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 20000) "
    "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
    "SELECT 'x' || v, 'EX-9', 'running', '2025', 'x', '{}' FROM n"
)
os._exit(0)  # killed before COMMIT: a hot rollback journal stays behind, the file half-changed
"""


def test_a_store_left_mid_transaction_by_a_killed_extraction_is_rolled_back_and_read(tmp_path: Path) -> None:
    path = tmp_path / "artefacts.sqlite"
    with ArtefactStore(path) as store:
        store.conn.execute(
            "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
            "VALUES ('r1', 'EX-001', 'completed', '2025-03-06T12:00:00.000000Z', 'evidence-intake', '{}')"
        )
    subprocess.run([sys.executable, "-c", _KILLED_MID_TRANSACTION, str(path)], check=True)
    assert path.with_name("artefacts.sqlite-journal").stat().st_size > 0
    conn = open_read_only(path)
    try:
        runs = [tuple(r) for r in conn.execute("SELECT id, exhibit FROM extraction_runs")]
    finally:
        conn.close()
    assert runs == [("r1", "EX-001")]


_OPEN_STORE = """
import sys
from pathlib import Path
from evidence_intake.artefacts.store import ArtefactStore
ArtefactStore(Path(sys.argv[1])).close()
"""


def test_two_processes_opening_an_old_store_at_once_migrate_it_once(tmp_path: Path) -> None:
    """An extract and a report started together right after an upgrade: the second waits, then finds
    the store migrated (it used to run the migration again and stop on the migrations table)."""
    path = tmp_path / "artefacts.sqlite"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before=SECOND_STEP)
    first_layout = [*PROVENANCE_COLUMNS, *(name for name, _ in M001_COLUMNS["calls"])]
    old.conn.execute(
        "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
        "VALUES ('r1', 'EX-001', 'completed', '2025-03-06T12:00:00.000000Z', 'evidence-intake', '{}')"
    )
    row = [1, "EX-001", "calls", 7, None, "Phone", "0812345678", "+66812345678", "สมชาย", "incoming",
           "answered", "voice", "2025-03-06T12:50:00Z", 1_741_265_400_000, 125, "Bangkok", 0, 0]  # fmt: skip
    marks = ", ".join("?" * len(first_layout))
    old.conn.executemany(
        f"INSERT INTO call_rows ({', '.join(first_layout)}) VALUES ({marks})",
        ([i, *row] for i in range(1, 200_001)),
    )
    old.conn.commit()
    old.conn.close()
    procs = [
        subprocess.Popen([sys.executable, "-c", _OPEN_STORE, str(path)], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    conn = sqlite3.connect(path)
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY name")]
    assert applied == ["m001_initial", SECOND_STEP, THIRD_STEP]
    assert conn.execute("SELECT count(*), min(id), max(id) FROM call_rows").fetchone() == (
        200_000,
        1,
        200_000,
    )
    conn.close()


def test_an_emptied_store_is_not_read_back_as_one_without_artefacts(tmp_path: Path) -> None:
    path = tmp_path / "artefacts.sqlite"
    path.write_bytes(b"")
    with pytest.raises(IntakeError, match="is empty"):
        open_read_only(path)
    assert path.read_bytes() == b""


def test_undecodable_text_inside_attachments_and_handles_is_flagged_with_its_bytes() -> None:
    """The typed path checks every text it stores, list columns included (attachment names, types and
    paths; a handle's app), as the bulk path does."""
    from evidence_intake.artefacts.model import Attachment, Contact, Handle, Message
    from evidence_intake.artefacts.text import LossyText

    raw = b"\xe0\xb8\xaa\xffA"
    bad = LossyText.decode(raw)
    assert isinstance(bad, LossyText)
    message = Message(
        locator=Locator(table="part", rowid=1),
        app="SMS",
        attachments=(Attachment(name=bad, mime_type="image/jpeg", path=bad, size=3),),
    )
    undecodable: list[tuple[str, bytes]] = []
    spec = KINDS["messages"]
    row = dict(zip(spec.column_names, spec.to_row(message, "TH", undecodable), strict=True))
    assert undecodable == [("attachments", raw), ("attachments", raw)]
    assert json.loads(row["attachments"]) == [
        {"name": "ส\ufffdA", "mime_type": "image/jpeg", "path": "ส\ufffdA", "size": 3}
    ]
    contact = Contact(locator=Locator(table="users", rowid=2), app="Telegram", handles=(Handle(app=bad),))
    undecodable.clear()
    KINDS["contacts"].to_row(contact, "TH", undecodable)
    assert undecodable == [("handles", raw)]
