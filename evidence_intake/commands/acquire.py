"""`evidence-intake acquire` and `evidence-intake verify`: image and hash a source, re-check later."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress as RichProgress
from rich.progress import TaskID

from evidence_intake import console
from evidence_intake.acquisition.hashing import DEFAULT_ALGORITHMS, parse_algorithms
from evidence_intake.acquisition.physical import COMPRESSION, PhysicalOptions, Progress, Result
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, ExhibitOpt, JsonOpt, OptionalExhibitOpt
from evidence_intake.errors import IntegrityError, UsageError
from evidence_intake.sizes import human, parse_size


class BarProgress(Progress):
    """The engine's progress drawn as rich bars on stderr: bytes, rate and time left."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.update(self.task, visible=True)
            self.bar.stop_task(self.task)
        self.task = self.bar.add_task(name, total=total)

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, n)


def _show(result: Result, json_out: bool) -> None:
    a = result.acquisition
    if json_out:
        console.print_json(result.to_dict())
        return
    rows: list[tuple[str, Any]] = [
        ("acquisition", a.id),
        ("exhibit", a.exhibit),
        ("format", a.format),
        ("source", a.source),
        ("size", f"{a.size} bytes ({human(a.size)})"),
        *((alg.upper(), value) for alg, value in a.hashes.items()),
        ("files", "\n".join(str(p) for p in a.paths)),
    ]
    if a.manifest_path:
        rows.append(("manifest", a.manifest_path))
    if a.log_path and a.log_path.exists():
        rows.append(("log", a.log_path))
    if a.error_map:
        total = sum(e["length"] for e in a.error_map)
        rows.append(
            ("read errors", f"{len(a.error_map)} range(s), {total} bytes written as zeros (see the log)")
        )
    if result.verification:
        rows.append(
            (
                "verification",
                ", ".join(f"{k}: {v}" for k, v in result.verification.items() if isinstance(v, str)),
            )
        )
    for note in result.notes:
        rows.append(("note", note))
    console.key_values("Acquisition completed", rows)


def acquire(
    source: Annotated[Path, typer.Argument(help="Device (/dev/sdb), image file, folder, tar or zip.")],
    exhibit: ExhibitOpt,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", help="raw or e01 for devices and files; left out, folders/tar/zip are logical."
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="Segment size: 2GiB, 650MB, 4000000000.")
    ] = None,
    hash_: Annotated[
        str, typer.Option("--hash", help="Hashes: md5, sha1, sha256, sha512, blake2b.")
    ] = ",".join(DEFAULT_ALGORITHMS),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the image (default: the case's evidence folder).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Image file name without extension.")] = None,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Re-read the image and compare hashes.")
    ] = True,
    verify_source: Annotated[
        bool, typer.Option("--verify-source", help="Also re-read the source and compare its hashes.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the exhibit's interrupted acquisition.")
    ] = False,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Logical sources: reference where it lies instead of copying.")
    ] = False,
    compression: Annotated[str, typer.Option("--compression", help="E01: none, fast or best.")] = "fast",
    expect: Annotated[
        list[str] | None, typer.Option("--expect", help="Expected hash ALG:HEX of the source; repeatable.")
    ] = None,
    block_size: Annotated[str, typer.Option("--block-size", help="Read size.", hidden=True)] = "8MiB",
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Image a source and hash it in one pass (or preserve a logical source with a manifest).

    Example: evidence-intake acquire /dev/sdb --exhibit EX-001 --split 2GiB

    Example: evidence-intake acquire extraction.tar.gz --exhibit EX-002
    """
    from evidence_intake.acquisition.logical import acquire_logical, detect
    from evidence_intake.acquisition.physical import acquire_physical

    algorithms = parse_algorithms(hash_)
    expected: dict[str, str] = {}
    for item in expect or []:
        alg, sep, value = item.partition(":")
        if not sep:
            raise UsageError(
                f"--expect {item!r} is not ALG:HEX", hint="for example --expect md5:196066add11f…"
            )
        expected[parse_algorithms(alg)[0]] = value.strip().lower()
    if compression not in COMPRESSION:
        raise UsageError(f"unknown compression {compression!r}", hint=f"choose from {', '.join(COMPRESSION)}")
    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        logical = (
            format_ is None
            and source.exists()
            and not source.is_block_device()
            and detect(source) is not None
        )
        if format_ is None:
            format_ = "raw"
        with console.progress(transfer=True) as bar:
            progress = BarProgress(bar)
            if logical:
                if split or resume:
                    raise UsageError(
                        "--split and --resume apply to device and file images, not to logical sources"
                    )
                result = acquire_logical(
                    case,
                    source,
                    exhibit=exhibit,
                    examiner=actor,
                    in_place=in_place,
                    algorithms=algorithms,
                    out_dir=out,
                    progress=progress,
                )
            else:
                if in_place:
                    raise UsageError("--in-place applies to folders, tar and zip sources only")
                options = PhysicalOptions(
                    format=format_.lower(),
                    split=parse_size(split) if split else None,
                    algorithms=algorithms,
                    out_dir=out,
                    name=name,
                    verify=verify,
                    verify_source=verify_source,
                    resume=resume,
                    compression=compression,
                    block_size=parse_size(block_size),
                    expect=expected,
                )
                result = acquire_physical(
                    case, source, exhibit=exhibit, examiner=actor, options=options, progress=progress
                )
        _show(result, json_out)


def verify(
    exhibit: OptionalExhibitOpt = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-hash stored images and logical sources, compare with the ledger, record the result.

    Exit status 0 when everything verified, 5 when anything did not.

    Example: evidence-intake verify --exhibit EX-001
    """
    from evidence_intake.acquisition.verify import failed, verify_acquisitions

    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        with console.progress(transfer=True) as bar:
            outcomes = verify_acquisitions(case, exhibit=exhibit, examiner=actor, progress=BarProgress(bar))
        if json_out:
            console.print_json([o.to_dict() for o in outcomes])
        else:
            console.table(
                "Verification",
                ["exhibit", "acquisition", "format", "result", "problems"],
                [
                    (
                        o.acquisition.exhibit,
                        o.acquisition.id[:8],
                        o.acquisition.format,
                        o.status,
                        "\n".join(o.problems),
                    )
                    for o in outcomes
                ],
            )
        bad = failed(outcomes)
        if bad:
            raise IntegrityError(
                f"{len(bad)} of {len(outcomes)} acquisition(s) failed verification",
                hint="keep the files as they are; compare them with their backups and the acquisition logs",
            )


def register(root: typer.Typer) -> None:
    root.command("acquire")(acquire)
    root.command("verify")(verify)
