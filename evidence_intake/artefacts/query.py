"""Reading artefacts back: filters, full-text search, and masking of secrets.

Search is a case-insensitive substring match (ASCII letters fold; Thai and Chinese have no case).
For message bodies and contact names the FTS5 trigram index finds candidate rows without scanning;
the exact match is then checked on the text itself. A trigram index can only look up strings of at
least three characters: a shorter search ("转账" is two) scans every row with ``instr`` instead, and
the result says so in ``notes``. Kinds without an index are always scanned.

Secrets (seed phrases, private keys, passwords) are masked in every result unless ``reveal`` is
given; revealing writes a ``secrets_revealed`` ledger entry first, so the record shows who saw them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evidence_intake.artefacts.kinds import KINDS, TEXT, KindSpec
from evidence_intake.artefacts.store import open_read_only, require_store
from evidence_intake.errors import UsageError
from evidence_intake.timeutil import iso_utc

TRIGRAM = 3


@dataclass(slots=True)
class QueryResult:
    kind: KindSpec
    columns: list[str]
    rows: Iterator[dict[str, Any]]
    total: int
    notes: list[str] = field(default_factory=list)


def kind_spec(name: str) -> KindSpec:
    try:
        return KINDS[name]
    except KeyError:
        raise UsageError(
            f"unknown artefact kind {name!r}", hint=f"choose one of: {', '.join(KINDS)}"
        ) from None


def mask_secret(value: str | None) -> str | None:
    """A masked form that shows what kind of secret it is, never enough of it to use."""
    if value is None:
        return None
    words = value.split()
    if len(words) >= 12:
        return f"[masked: {len(words)}-word phrase]"
    if len(value) >= 16:
        return f"{value[:2]}…{value[-2:]} [masked: {len(value)} characters]"
    return f"[masked: {len(value)} characters]"


def search_columns(spec: KindSpec) -> list[str]:
    if spec.fts_column:
        return [spec.fts_column]
    return [c.name for c in spec.columns if c.role == TEXT and c.name not in spec.secret_columns]


def query(
    store_path: Path,
    kind: str,
    *,
    exhibit: str | None = None,
    search: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    reveal: bool = False,
    case: Any = None,
    examiner: str | None = None,
) -> QueryResult:
    """Artefacts of one kind, with their provenance, oldest first (by the kind's time, else by id)."""
    spec = kind_spec(kind)
    require_store(Path(store_path))  # before the checks of the options: that error comes first
    if (since or until) and spec.time_expr is None:
        timed = ", ".join(k.name for k in KINDS.values() if k.time_expr)
        raise UsageError(f"--since/--until do not apply to {kind}", hint=f"they apply to: {timed}")
    if limit is not None and limit < 1:
        raise UsageError("--limit must be 1 or more")
    where: list[str] = []
    params: list[Any] = []
    notes: list[str] = []
    if exhibit:
        where.append("exhibit = ?")
        params.append(exhibit)
    if since:
        where.append(f"{spec.time_expr} >= ?")
        params.append(iso_utc(since))
    if until:
        where.append(f"{spec.time_expr} <= ?")
        params.append(iso_utc(until))
    if search:
        clause, args, note = _search_clause(spec, search)
        where.append(clause)
        params.extend(args)
        if note:
            notes.append(note)
    condition = (" WHERE " + " AND ".join(where)) if where else ""
    # Artefact rows are read from the views, which carry the provenance columns.
    conn = open_read_only(Path(store_path))
    total = conn.execute(f"SELECT count(*) FROM {spec.name}{condition}", params).fetchone()[0]
    if reveal and spec.secret_columns and total:
        if case is None or examiner is None:
            raise UsageError("revealing secrets needs the case and the examiner, for the ledger")
        case.record(
            "secrets_revealed",
            examiner=examiner,
            exhibit=exhibit,
            details={"kind": kind, "rows": int(total), "search": search, "store": str(store_path)},
        )
    sql = f"SELECT * FROM {spec.name}{condition} ORDER BY {spec.order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = conn.execute(sql, params)
    columns = [d[0] for d in cursor.description]

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for row in cursor:
                item = dict(row)
                if not reveal:
                    for column in spec.secret_columns:
                        item[column] = mask_secret(item.get(column))
                yield item
        finally:
            conn.close()

    if spec.secret_columns and not reveal and total:
        notes.append(
            f"{', '.join(spec.secret_columns)} masked; --reveal shows them (and records that in the ledger)"
        )
    return QueryResult(spec, columns, rows(), int(total), notes)


def _search_clause(spec: KindSpec, text: str) -> tuple[str, list[Any], str | None]:
    needle = text.strip()
    if not needle:
        raise UsageError("--search needs some text")
    columns = search_columns(spec)
    exact = " OR ".join(f"instr(lower({c}), lower(?)) > 0" for c in columns)
    args: list[Any] = [needle] * len(columns)
    if spec.fts and len(needle) >= TRIGRAM:
        clause = f"id IN (SELECT rowid FROM {spec.fts} WHERE {spec.fts_column} LIKE ?) AND ({exact})"
        like = "%" + needle + "%"
        return clause, [like, *args], None
    if spec.fts:
        note = (
            f"search text {needle!r} is shorter than {TRIGRAM} characters: the trigram index cannot look it "
            "up, so every row was scanned (slower on large stores)"
        )
        return f"({exact})", args, note
    return f"({exact})", args, None
