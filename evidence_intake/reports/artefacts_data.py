"""What an artefact report reads from the store: sections of rows, conversations, runs and source files.

Rows come through :func:`evidence_intake.artefacts.query.query`, the same reader as the `artefacts`
command, so filters, ordering and the masking of secrets (and the ledger entry when they are revealed)
are the same everywhere. The rest (conversation summaries, extraction runs, source files) is read here
with plain SELECTs on a read-only connection.

Rows are streamed: a section holds an open cursor, so a report of a million messages never holds them
all in memory. Each kind is read by its own statement; run reports when no extraction is writing to
the store, or a kind may reflect a later state than the one before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_intake.artefacts.kinds import KINDS, KindSpec
from evidence_intake.artefacts.query import QueryResult, query
from evidence_intake.artefacts.store import connect_read_only
from evidence_intake.errors import UsageError

# Order of the sections in a report: every kind the store knows, in its order, except that the stores
# that could not be read (encrypted_stores) come last, after everything that was.
KIND_ORDER = (*(k for k in KINDS if k != "encrypted_stores"), "encrypted_stores")
# How many participants a conversation lists by name before "and N more".
PARTICIPANTS_SHOWN = 12

ThreadKey = tuple[str | None, str | None, str | None, str | None]  # exhibit, app, account, thread_id


@dataclass(slots=True)
class Section:
    """One kind's rows as the report shows them; ``present`` is False when the store has no such view."""

    spec: KindSpec
    present: bool
    columns: list[str]
    total: int
    rows: Iterator[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class Thread:
    """A conversation: the messages of one exhibit, app, account and thread id."""

    ref: str  # "t1", "t2"…: the id the HTML uses to tie messages to their conversation
    exhibit: str | None
    app: str | None
    account: str | None
    thread_id: str | None
    thread_name: str | None
    messages: int
    first_at: str | None
    last_at: str | None
    participants: tuple[str, ...]
    more_participants: int

    @property
    def key(self) -> ThreadKey:
        return (self.exhibit, self.app, self.account, self.thread_id)


@dataclass(frozen=True, slots=True)
class Run:
    extraction_id: str
    exhibit: str
    status: str
    started_at: str | None
    completed_at: str | None
    examiner: str | None
    software: str | None
    parsers: str | None


@dataclass(frozen=True, slots=True)
class SourceFile:
    source_id: int
    exhibit: str
    parser: str
    parser_version: str
    partition: str
    filesystem: str | None
    path: str
    inode: str | None
    size: int | None
    sha256: str | None
    status: str
    records: int
    errors: int
    warnings: int
    detail: str | None


def parse_kinds(kinds: Sequence[str] | None) -> list[str]:
    """Kind names from ``--kind`` (repeated, or comma-separated), in report order; all when empty."""
    wanted: list[str] = []
    for item in kinds or ():
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in KINDS:
                raise UsageError(f"unknown artefact kind {name!r}", hint=f"choose from: {', '.join(KINDS)}")
            if name not in wanted:
                wanted.append(name)
    if not wanted:
        return list(KIND_ORDER)
    return [k for k in KIND_ORDER if k in wanted]


def store_views(store_path: Path) -> set[str]:
    conn = connect_read_only(store_path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    finally:
        conn.close()


def open_sections(
    store_path: Path,
    kinds: Sequence[str],
    *,
    exhibit: str | None,
    reveal: bool,
    case: Any,
    examiner: str,
) -> list[Section]:
    """A section per kind, each with its rows ready to stream; kinds the store lacks come back empty.

    Revealing secrets writes the ``secrets_revealed`` ledger entry here (inside ``query``), before any
    row is read, so the report's ledger head, taken after this, already includes it.
    """
    views = store_views(store_path)
    sections: list[Section] = []
    for name in kinds:
        spec = KINDS[name]
        if spec.name not in views:
            sections.append(Section(spec, False, [], 0, iter(())))
            continue
        result: QueryResult = query(
            store_path,
            name,
            exhibit=exhibit,
            reveal=reveal,
            case=case,
            examiner=examiner if reveal else None,
        )
        sections.append(Section(spec, True, result.columns, result.total, result.rows, list(result.notes)))
    return sections


_THREADS_SQL = """
SELECT exhibit, app, account, thread_id, max(thread_name) AS thread_name, count(*) AS messages,
       min(coalesce(sent_at, received_at)) AS first_at, max(coalesce(sent_at, received_at)) AS last_at
FROM messages {where}
GROUP BY exhibit, app, account, thread_id
ORDER BY exhibit, last_at DESC, app, account, thread_id
"""

_PARTICIPANTS_SQL = """
SELECT exhibit, app, account, thread_id, json_group_array(DISTINCT who) AS who FROM (
  SELECT exhibit, app, account, thread_id, coalesce(sender_name, sender) AS who FROM messages {where}
  UNION ALL
  SELECT m.exhibit, m.app, m.account, m.thread_id, r.value AS who
  FROM messages AS m, json_each(CASE WHEN json_valid(m.recipients) THEN m.recipients ELSE '[]' END) AS r
  {where_m}
) WHERE who IS NOT NULL AND who != ''
GROUP BY exhibit, app, account, thread_id
"""


def threads(store_path: Path, *, exhibit: str | None) -> list[Thread]:
    """The conversations of the messages in scope, newest activity first within each exhibit."""
    where, where_m, params = "", "", []
    if exhibit is not None:
        where, where_m, params = "WHERE exhibit = ?", "WHERE m.exhibit = ?", [exhibit]
    conn = connect_read_only(store_path)
    try:
        people: dict[ThreadKey, list[str]] = {}
        for row in conn.execute(_PARTICIPANTS_SQL.format(where=where, where_m=where_m), params * 2):
            key = (row["exhibit"], row["app"], row["account"], row["thread_id"])
            people[key] = sorted(str(p) for p in json.loads(row["who"]))
        out: list[Thread] = []
        for n, row in enumerate(conn.execute(_THREADS_SQL.format(where=where), params), start=1):
            key = (row["exhibit"], row["app"], row["account"], row["thread_id"])
            names = people.get(key, [])
            out.append(
                Thread(
                    ref=f"t{n}",
                    exhibit=row["exhibit"],
                    app=row["app"],
                    account=row["account"],
                    thread_id=row["thread_id"],
                    thread_name=row["thread_name"],
                    messages=int(row["messages"]),
                    first_at=row["first_at"],
                    last_at=row["last_at"],
                    participants=tuple(names[:PARTICIPANTS_SHOWN]),
                    more_participants=max(0, len(names) - PARTICIPANTS_SHOWN),
                )
            )
        return out
    finally:
        conn.close()


def runs(store_path: Path, *, exhibit: str | None) -> list[Run]:
    conn = connect_read_only(store_path)
    try:
        sql = "SELECT * FROM extraction_runs"
        params: list[Any] = []
        if exhibit is not None:
            sql += " WHERE exhibit = ?"
            params.append(exhibit)
        return [
            Run(
                extraction_id=r["id"],
                exhibit=r["exhibit"],
                status=r["status"],
                started_at=r["started_at"],
                completed_at=r["completed_at"],
                examiner=r["examiner"],
                software=r["software"],
                parsers=r["parsers"],
            )
            for r in conn.execute(sql + " ORDER BY started_at, id", params)
        ]
    finally:
        conn.close()


def source_files(store_path: Path, *, exhibit: str | None) -> list[SourceFile]:
    """Every file a parser read (its latest run), whatever came of it: the rows' provenance in one place."""
    conn = connect_read_only(store_path)
    try:
        sql = "SELECT * FROM sources WHERE superseded_by IS NULL"
        params: list[Any] = []
        if exhibit is not None:
            sql += " AND exhibit = ?"
            params.append(exhibit)
        return [
            SourceFile(
                source_id=int(r["id"]),
                exhibit=r["exhibit"],
                parser=r["parser"],
                parser_version=r["parser_version"],
                partition=r["source_partition"],
                filesystem=r["source_filesystem"],
                path=r["source_path"],
                inode=r["source_inode"],
                size=r["source_size"],
                sha256=r["source_sha256"],
                status=r["status"],
                records=int(r["records"] or 0),
                errors=int(r["errors"] or 0),
                warnings=int(r["warnings"] or 0),
                detail=r["detail"],
            )
            for r in conn.execute(sql + " ORDER BY exhibit, source_partition, source_path, parser", params)
        ]
    finally:
        conn.close()
