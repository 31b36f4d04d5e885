"""`evidence-intake artefacts`: read the artefact store (filters, search, CSV/JSON output)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from evidence_intake import console
from evidence_intake.artefacts.kinds import KINDS
from evidence_intake.artefacts.query import query
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, JsonOpt
from evidence_intake.errors import UsageError
from evidence_intake.timeutil import parse_datetime

FORMATS = ("table", "csv", "json", "jsonl")
TABLE_LIMIT = 100


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def artefacts_command(
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(KINDS)}.")],
    exhibit: Annotated[
        str | None, typer.Option("--exhibit", help="Only this exhibit.", show_default=False)
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", help="Text to find (substring, any script; 3+ characters use the index)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this time (ISO 8601, local or BE forms).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this time.")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "table",
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help=f"At most this many rows (table default {TABLE_LIMIT}).", show_default=False
        ),
    ] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show secrets unmasked (recorded in the ledger).")
    ] = False,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show extracted artefacts of one kind with their provenance; secrets stay masked unless --reveal.

    Example: evidence-intake artefacts --kind messages --exhibit EX-001 --search โอนเงิน --format csv
    """
    if json_out:
        fmt = "json"
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"choose one of: {', '.join(FORMATS)}")
    from evidence_intake.case import Case  # imported when the command runs, not when the CLI is assembled

    with Case.locate(case_dir, reading=True) as case:
        if exhibit is not None:
            # an unknown id is an error (exit 3) naming the known ones, not an empty list
            case.exhibit(exhibit)
        zone = case.settings.timezone
        result = query(
            case.artefacts_path,
            kind,
            exhibit=exhibit,
            search=search,
            since=parse_datetime(since, default_zone=zone) if since else None,
            until=parse_datetime(until, default_zone=zone) if until else None,
            limit=limit if limit is not None else (TABLE_LIMIT if fmt == "table" else None),
            reveal=reveal,
            case=case,
            examiner=case.examiner(examiner) if reveal else None,
        )
        for note in result.notes:
            console.warn(note)
        if fmt == "json":
            console.print_json([result.kind.as_json_object(row) for row in result.rows])
        elif fmt == "jsonl":
            console.print_jsonl(result.kind.as_json_object(row) for row in result.rows)
        elif fmt == "csv":
            from evidence_intake.reports.artefacts_flat import write_rows_csv

            # Chat text is written by whoever sent it: formula-like cells are neutralised, as in reports.
            write_rows_csv(sys.stdout, result.columns, result.rows)
            sys.stdout.flush()
        else:
            shown = [c for c in result.kind.summary if c in result.columns] or result.columns
            rows = list(result.rows)
            console.table(
                f"{kind} ({len(rows)} of {result.total})",
                shown,
                [[_short(row[c]) for c in shown] for row in rows],
            )
            if result.total > len(rows):
                console.info(f"{result.total - len(rows)} more: use --limit, or --format csv for all of them")


def _short(value: Any, width: int = 120) -> str:
    text = _cell(value)
    if text.startswith("[") and text.endswith("]"):
        try:
            items = json.loads(text)
            text = ", ".join(
                str(i.get("e164") or i.get("number") or i.get("user_id") or i.get("username"))
                if isinstance(i, dict)
                else str(i)
                for i in items
            )
        except ValueError:
            pass
    return text if len(text) <= width else text[: width - 1] + "…"


def register(root: typer.Typer) -> None:
    root.command("artefacts")(artefacts_command)
