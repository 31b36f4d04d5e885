"""The artefact store's schema, changed only through ordered, named migrations.

Layout (docs/artefacts.md explains every column):

* ``extraction_runs``: one row per ``extract`` of one exhibit.
* ``sources``: one row per parser run on one source file: path, partition, SHA-256 of the file and of
  its -wal/-shm/-journal companions, status (parsed, unsupported schema, error, not applicable),
  counts. Rows of an earlier run of the same parser on the same file are kept, marked superseded.
* ``<kind>_rows`` base tables (message_rows, contact_rows...): the artefacts, each row pointing to its
  ``sources`` row; views named after the kinds (``messages``, ``contacts``...) show each row with its
  full provenance (parser, version, source path, partition, SHA-256, run id). Provenance is kept
  once per source file instead of once per row: a million SMS do not repeat the same 200 bytes.
* ``identifiers``: every normalised identifier (E.164 number, lower-cased e-mail, app user id,
  username, wallet address) of every artefact row, indexed, for cross-device correlation.
* ``extraction_errors``, ``undecodable_text``; FTS5 trigram indexes over message bodies and names.

Migrations are plain functions listed in ``STEPS``; never edit one that has shipped, add the next.
Whether any is pending is read with sqlite3 alone; sqlite-utils (about 0.1 s to import) runs them
only when one is, so that reading the store back (``artefacts``, reports) does not load it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from chain_of_custody.schema import migration_set
from evidence_intake.artefacts.kinds import KINDS, PROVENANCE_COLUMNS, KindSpec
from evidence_intake.artefacts.layout import M001_COLUMNS as _M001_COLUMNS
from evidence_intake.artefacts.layout import M002_CALL_COLUMNS as _M002_CALL_COLUMNS
from evidence_intake.artefacts.layout import base_table_sql as _base_table_sql
from evidence_intake.artefacts.layout import run_script

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "evidence_intake.artefacts"

# Indexes dropped during a large bulk load and rebuilt after it (building once is several times
# faster than keeping them up to date row by row). ``ensure_indexes`` recreates any that are missing.
# Each index costs about 1 µs per row to build, so only those that queries need are kept: numbers
# and ids for correlation, and time per exhibit for timelines. Deleting the rows of a superseded run
# goes by id range and needs none.
SECONDARY_INDEXES: dict[str, str] = {
    "identifiers_value": "CREATE INDEX IF NOT EXISTS identifiers_value ON identifiers(value, type)",
    "message_rows_exhibit_time": (
        "CREATE INDEX IF NOT EXISTS message_rows_exhibit_time ON message_rows(exhibit, sent_at)"
    ),
    "call_rows_exhibit_time": (
        "CREATE INDEX IF NOT EXISTS call_rows_exhibit_time ON call_rows(exhibit, started_at)"
    ),
}


def _view_sql(spec: KindSpec, columns: list[str]) -> str:
    kind_cols = ", ".join(f"r.{c}" for c in columns)
    return (
        f"CREATE VIEW {spec.name} AS SELECT r.id, r.exhibit, {kind_cols}, "
        "s.parser, s.parser_version, s.extraction_id, s.source_partition, s.source_filesystem, "
        "s.source_path, s.source_inode, s.source_sha256, r.record_table, r.record_rowid, r.record_offset, "
        f"r.source_id FROM {spec.table} AS r JOIN sources AS s ON s.id = r.source_id"
    )


def m001_initial(db: sqlite_utils.Database) -> None:
    conn = db.conn
    run_script(
        conn,
        """
        CREATE TABLE extraction_runs (
          id TEXT PRIMARY KEY,
          exhibit TEXT NOT NULL,
          status TEXT NOT NULL,
          started_at TEXT NOT NULL,
          completed_at TEXT,
          examiner TEXT,
          software TEXT NOT NULL,
          parsers TEXT NOT NULL,
          counts TEXT,
          ledger_seq INTEGER
        );
        CREATE TABLE sources (
          id INTEGER PRIMARY KEY,
          extraction_id TEXT NOT NULL REFERENCES extraction_runs(id),
          exhibit TEXT NOT NULL,
          parser TEXT NOT NULL,
          parser_version TEXT NOT NULL,
          source_partition TEXT NOT NULL,
          source_filesystem TEXT,
          source_path TEXT NOT NULL,
          source_inode TEXT,
          source_size INTEGER,
          source_sha256 TEXT,
          companions TEXT NOT NULL DEFAULT '[]',
          status TEXT NOT NULL,
          schema TEXT,
          tables_seen TEXT,
          detail TEXT,
          records INTEGER NOT NULL DEFAULT 0,
          errors INTEGER NOT NULL DEFAULT 0,
          warnings INTEGER NOT NULL DEFAULT 0,
          row_ranges TEXT NOT NULL DEFAULT '{}',
          started_at TEXT NOT NULL,
          completed_at TEXT,
          superseded_by INTEGER REFERENCES sources(id)
        );
        CREATE INDEX sources_lookup ON sources(exhibit, parser, source_partition, source_path);
        CREATE INDEX sources_run ON sources(extraction_id);
        CREATE TABLE extraction_errors (
          id INTEGER PRIMARY KEY,
          extraction_id TEXT NOT NULL,
          exhibit TEXT NOT NULL,
          parser TEXT,
          parser_version TEXT,
          source_id INTEGER REFERENCES sources(id),
          source_partition TEXT,
          source_path TEXT,
          source_sha256 TEXT,
          severity TEXT NOT NULL,
          error TEXT NOT NULL,
          record_table TEXT,
          record_rowid INTEGER,
          at TEXT NOT NULL
        );
        CREATE INDEX extraction_errors_run ON extraction_errors(extraction_id);
        CREATE TABLE identifiers (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL,
          row_id INTEGER NOT NULL,
          exhibit TEXT NOT NULL,
          app TEXT,
          role TEXT NOT NULL,
          type TEXT NOT NULL,
          value TEXT NOT NULL,
          raw TEXT
        );
        CREATE TABLE undecodable_text (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL,
          row_id INTEGER NOT NULL,
          source_id INTEGER NOT NULL REFERENCES sources(id),
          record_table TEXT,
          record_rowid INTEGER,
          column_name TEXT NOT NULL,
          raw BLOB NOT NULL
        );
        """,
    )
    for spec in KINDS.values():
        columns = _M001_COLUMNS[spec.name]
        conn.execute(_base_table_sql(spec, columns))
        conn.execute(_view_sql(spec, [name for name, _ in columns]))
    # Full-text indexes: trigram (finds substrings in scripts without spaces), detail=none and no
    # column sizes (a third smaller and faster to build; LIKE queries still answer exactly), no
    # automatic merging while a run inserts (the engine merges once at the end of a run), and a
    # 64 MiB buffer of pending terms so that a bulk load writes few, large segments.
    run_script(
        conn,
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5(
          body, content='message_rows', content_rowid='id', tokenize='trigram', detail=none, columnsize=0);
        CREATE VIRTUAL TABLE contacts_fts USING fts5(
          name, content='contact_rows', content_rowid='id', tokenize='trigram', detail=none, columnsize=0);
        INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0);
        INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('automerge', 0);
        INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 67108864);
        INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('hashsize', 16777216);
        """,
    )
    for sql in SECONDARY_INDEXES.values():
        conn.execute(sql)


def m002_call_duration_raw(db: sqlite_utils.Database) -> None:
    """``calls.duration_raw``: the duration as the app stored it, beside ``duration_s``.

    ``call_rows`` is rebuilt rather than altered so that the new column sits next to
    ``duration_s`` in the table as in the view. Every row is copied with its id (the identifiers
    and the sources' row ranges point to ids); rows extracted before have no raw duration (NULL)
    until their source is extracted again.
    """
    conn = db.conn
    spec = KINDS["calls"]
    old = ", ".join([*PROVENANCE_COLUMNS, *(name for name, _ in _M001_COLUMNS["calls"])])
    conn.execute(f"DROP VIEW IF EXISTS {spec.name}")
    conn.execute("DROP INDEX IF EXISTS call_rows_exhibit_time")  # made again on the new table below
    conn.execute(f"ALTER TABLE {spec.table} RENAME TO {spec.table}_m001")
    conn.execute(_base_table_sql(spec, _M002_CALL_COLUMNS))
    conn.execute(f"INSERT INTO {spec.table} ({old}) SELECT {old} FROM {spec.table}_m001 ORDER BY id")
    conn.execute(f"DROP TABLE {spec.table}_m001")
    conn.execute(_view_sql(spec, [name for name, _ in _M002_CALL_COLUMNS]))
    conn.execute(SECONDARY_INDEXES["call_rows_exhibit_time"])


def m003_extraction_run_process(db: sqlite_utils.Database) -> None:
    """``extraction_runs.host`` and ``pid``: the process running an extraction, so that the next one
    can tell a run that is still going from one whose process was killed (and close it). Runs
    recorded before have them NULL."""
    conn = db.conn
    conn.execute("ALTER TABLE extraction_runs ADD COLUMN host TEXT")
    conn.execute("ALTER TABLE extraction_runs ADD COLUMN pid INTEGER")


STEPS = (
    ("m001_initial", m001_initial),
    ("m002_call_duration_raw", m002_call_duration_raw),
    ("m003_extraction_run_process", m003_extraction_run_process),
)


@cache
def migrations() -> Migrations:
    """The sqlite-utils migration set of ``STEPS`` (imports sqlite-utils)."""
    return migration_set(MIGRATION_SET, STEPS)


def __getattr__(name: str) -> Any:
    if name == "MIGRATIONS":  # the sqlite-utils set, built on first use
        return migrations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def expected_columns(spec: KindSpec) -> list[str]:
    """Base-table columns a ``KindSpec`` implies (provenance first), for the schema test."""
    return [*PROVENANCE_COLUMNS, *spec.column_names]
