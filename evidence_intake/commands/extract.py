"""`evidence-intake extract`: run the parsers over exhibits and fill the artefact store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from evidence_intake import console
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, JsonOpt, KeyOpt, parse_keys
from evidence_intake.errors import PartialResultError, UsageError
from evidence_intake.parsers.engine import ExtractionReport, default_jobs, extract


class _Bars:
    """One bar per exhibit: files done of files matched."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, exhibit: str, done: int, total: int) -> None:
        if exhibit not in self.tasks:
            self.tasks[exhibit] = self.bar.add_task(f"extracting {exhibit}", total=max(total, 1))
        self.bar.update(self.tasks[exhibit], completed=done, total=max(total, 1))


def _render(report: ExtractionReport) -> None:
    for ex in report.exhibits:
        console.table(
            f"Extraction of {ex.exhibit}: {ex.status} ({ex.seconds:.1f} s, run {ex.extraction_id})",
            [
                "parser",
                "version",
                "files",
                "records",
                "errors",
                "unsupported schema",
                "not applicable",
                "warnings",
            ],
            [
                (
                    p.parser,
                    p.version,
                    p.files,
                    p.records,
                    p.errors,
                    p.unsupported,
                    p.not_applicable,
                    p.warnings,
                )
                for p in ex.parsers.values()
            ],
        )
        for problem in ex.problems[:20]:
            console.warn(problem)
        if len(ex.problems) > 20:
            console.warn(f"... and {len(ex.problems) - 20} more: see the extraction_errors table")


def extract_command(
    exhibit: Annotated[
        list[str] | None,
        typer.Option("--exhibit", help="Exhibit id; repeat for several.", show_default=False),
    ] = None,
    all_exhibits: Annotated[bool, typer.Option("--all", help="Every exhibit of the case.")] = False,
    parser: Annotated[
        list[str] | None,
        typer.Option("--parser", help="Run only this parser (repeatable); see `evidence-intake parsers`."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Worker processes (default: one per CPU; 0 runs everything in this process).",
            show_default=False,
        ),
    ] = None,
    key: KeyOpt = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Extract chats, calls, contacts and accounts from exhibits into the case's artefact store.

    Evidence is read only through verified scratch copies. Running it again replaces the rows of
    the same parser and file (no duplicates). Exit status 8 when some parser failed on some file:
    what succeeded is kept, the failures are in the extraction_errors table and the ledger.

    Encrypted volumes and backups are read with --key, as for `files`: the ledger records which
    volumes a key was given for, never the key.

    Example: evidence-intake extract --exhibit EX-001 --jobs 2

    Example: evidence-intake extract --exhibit EX-002 --key '*'     (an encrypted iPhone backup)
    """
    if bool(exhibit) == all_exhibits:
        raise UsageError(
            "give --exhibit ID (one or more) or --all", hint="e.g. evidence-intake extract --all"
        )
    if jobs is not None and jobs < 0:
        raise UsageError("--jobs must be 0 or more")
    keys = parse_keys(key)
    from evidence_intake.case import Case  # imported when the command runs, not when the CLI is assembled

    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        if all_exhibits:
            from evidence_intake.register import exhibit_ids

            targets = list(exhibit_ids(case))
            if not targets:
                raise UsageError(
                    "the case has no exhibits", hint="register one with: evidence-intake exhibit add"
                )
        else:
            targets = list(dict.fromkeys(exhibit or []))
        with console.progress() as bar:
            report = extract(
                case,
                targets,
                examiner=actor,
                parsers=parser or None,
                jobs=default_jobs() if jobs is None else jobs,
                progress=_Bars(bar),
                keys=keys,
            )
    if json_out:
        console.print_json(report.to_dict())
    else:
        _render(report)
    if report.failed:
        failed = [e.exhibit for e in report.exhibits if e.status != "completed"]
        raise PartialResultError(
            f"extraction finished with errors for {', '.join(failed)}; everything that was read is stored",
            hint="see the table above and the extraction_errors table of artefacts.sqlite",
        )


def register(root: typer.Typer) -> None:
    root.command("extract")(extract_command)
