"""`evidence-intake files` and `evidence-intake export-file`: list an exhibit's files, copy one out."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence_intake import console
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, ExhibitOpt, JsonOpt, KeyOpt, parse_keys
from evidence_intake.errors import UsageError
from evidence_intake.evidence.export import export_file
from evidence_intake.evidence.listing import Listed, Listing, entry_record, list_files
from evidence_intake.evidence.model import Problem
from evidence_intake.timeutil import to_zone

if TYPE_CHECKING:
    from evidence_intake.case import Case

FORMATS = ("table", "csv", "json", "bodyfile")


def locate_case(case_dir: Path | None, *, reading: bool = False) -> Case:
    """The case named by --case (or found from the environment); imported late so the module loads alone."""
    from evidence_intake.case import Case

    return Case.locate(case_dir, reading=reading)


def files_command(
    exhibit: ExhibitOpt,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            help=(
                "Glob: '*.db' matches names at any depth; '/data/**/msgstore.db' whole paths; "
                "'p2:/Users/**' one volume."
            ),
            show_default=False,
        ),
    ] = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="Only deleted entries.")] = False,
    mime: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="Content type from the file's bytes: application/vnd.sqlite3, image/*…",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="table, csv, json, or bodyfile (for mactime, as fls -m writes it)."),
    ] = "table",
    json_out: JsonOpt = False,
    key: KeyOpt = None,
    case_dir: CaseOpt = None,
) -> None:
    """List the files of an exhibit's newest acquisition: every partition and file system, deleted too.

    Unreadable or encrypted partitions are listed as warnings on stderr (and under "problems" in JSON);
    the listing goes on with the rest.

    Example: evidence-intake files --exhibit EX-001 --path '*.db' --type application/vnd.sqlite3

    Example: evidence-intake files --exhibit EX-001 --format bodyfile > ex001.body && mactime -b ex001.body
    """
    fmt = "json" if json_out else fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    with (
        locate_case(case_dir, reading=True) as case,
        list_files(
            case, exhibit, path_glob=path, deleted_only=deleted, mime=mime, keys=parse_keys(key)
        ) as listing,
    ):
        if fmt == "json":
            _json(listing)
        elif fmt == "csv":
            _csv(listing)
        elif fmt == "bodyfile":
            _bodyfile(listing)
        else:
            _table(listing, case.settings.timezone, with_mime=mime is not None)
        _warn(listing.problems)


def _rows(listing: Listing) -> Iterator[Listed]:
    """The listing's entries, with a count on stderr when it is a terminal (a walk can take minutes)."""
    with console.progress() as bar:
        task = bar.add_task(f"listing {listing.exhibit}", total=None)
        count = 0
        for item in listing.entries():
            yield item
            count += 1
            if count % 1000 == 0:
                bar.update(task, completed=count)
        bar.update(task, completed=count)


def _json(listing: Listing) -> None:
    write = sys.stdout.write
    head = {
        "exhibit": listing.exhibit,
        "acquisition": listing.acquisition.id,
        "volumes": [_volume(v) for v in listing.volumes],
    }
    write(console.dumps(head)[:-2] + ',\n  "entries": [')
    first = True
    for item in _rows(listing):
        write(
            ("\n    " if first else ",\n    ")
            + json.dumps(entry_record(item.entry, item.mime), ensure_ascii=False)
        )
        first = False
    problems = console.dumps([_problem(p) for p in listing.problems]).replace("\n", "\n  ")
    write(("\n  " if not first else "") + '],\n  "problems": ' + problems + "\n}\n")
    sys.stdout.flush()


def _csv(listing: Listing) -> None:
    writer: Any = None
    for item in _rows(listing):
        record = entry_record(item.entry, item.mime)
        if writer is None:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(record), lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    if writer is None:
        sys.stdout.write(",".join(entry_record(None, None)) + "\n")
    sys.stdout.flush()


def _bodyfile(listing: Listing) -> None:
    for item in _rows(listing):
        for line in listing.bodyfile_lines(item.entry):
            sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _table(listing: Listing, zone: str, *, with_mime: bool) -> None:
    columns = ["location", "type", "size", "deleted", f"modified ({zone})", "inode", "file system"]
    if with_mime:
        columns.append("content type")

    def rows() -> Iterator[list[Any]]:
        for item in _rows(listing):
            e = item.entry
            modified = to_zone(e.mtime, zone).strftime("%Y-%m-%d %H:%M:%S") if e.mtime else None
            row: list[Any] = [
                e.location,
                e.type.value,
                e.size,
                "deleted" if e.deleted else "",
                modified,
                e.inode,
            ]
            row.append(e.filesystem)
            if with_mime:
                row.append(item.mime)
            yield row

    console.table(f"Files of {listing.exhibit} (acquisition {listing.acquisition.id})", columns, rows())


def _volume(v: Any) -> dict[str, Any]:
    return {
        "name": v.name,
        "offset": v.offset,
        "size": v.size,
        "description": v.description,
        "filesystem": v.filesystem,
        "problem": _problem(v.problem) if v.problem else None,
    }


def _problem(p: Problem) -> dict[str, str]:
    return {"where": p.where, "kind": p.kind, "reason": p.reason}


def _warn(problems: list[Problem]) -> None:
    for p in problems:
        console.warn(f"{p.where}: {p.reason} ({p.kind})")


def export_command(
    path: Annotated[
        str, typer.Argument(help="The entry, as listed by files: /a/b.db, p2:/a/b.db, /a/b.txt:stream.")
    ],
    exhibit: ExhibitOpt,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder to copy into (the entry keeps its path below it).", file_okay=False
        ),
    ],
    inode: Annotated[
        str | None,
        typer.Option("--inode", help="Which entry, when a deleted one shares the path.", show_default=False),
    ] = None,
    key: KeyOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
    case_dir: CaseOpt = None,
) -> None:
    """Copy one file out of an exhibit, hashed (SHA-256) while copying, and record the export in the ledger.

    Never overwrites a file and never writes outside --out; the copy is made read-only.

    Example: evidence-intake export-file --exhibit EX-001 p2:/Users/a/Desktop/wallet.txt --out ./exports
    """
    with locate_case(case_dir) as case:
        result = export_file(
            case, exhibit, path, out, examiner=case.examiner(examiner), inode=inode, keys=parse_keys(key)
        )
    if json_out:
        console.print_json(result.to_dict())
        return
    console.key_values(
        "Exported",
        [
            ("exhibit", result.exhibit),
            ("acquisition", result.acquisition),
            ("location", result.location),
            ("inode", result.inode),
            ("size", f"{result.size} bytes"),
            ("SHA-256", result.sha256),
            ("destination", result.destination),
        ],
    )


def register(root: typer.Typer) -> None:
    root.command("files")(files_command)
    root.command("export-file")(export_command)
