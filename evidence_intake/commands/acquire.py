"""`evidence-intake acquire` and `evidence-intake verify`: image and hash a source, re-check later."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence_intake import console
from evidence_intake.acquisition.hashing import DEFAULT_ALGORITHMS
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, ExhibitOpt, JsonOpt, OptionalExhibitOpt

if TYPE_CHECKING:
    from evidence_intake.acquisition.physical import Result


def _show(result: Result, json_out: bool) -> None:
    from evidence_intake.sizes import human

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
    for problem in result.problems:
        rows.append(("NOT VERIFIED", problem))
    console.key_values(
        "Acquisition completed, NOT verified" if result.problems else "Acquisition completed", rows
    )


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
    allow_mounted: Annotated[
        bool,
        typer.Option(
            "--allow-mounted",
            help="Image a device even with a file system mounted read-write from it (recorded).",
        ),
    ] = False,
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
    from evidence_intake.acquisition.acquire import acquire as run_acquisition
    from evidence_intake.acquisition.physical import NotVerifiedError
    from evidence_intake.case import Case

    try:
        with Case.locate(case_dir) as case, console.progress(transfer=True) as bar:
            result = run_acquisition(
                case,
                source,
                exhibit=exhibit,
                examiner=case.examiner(examiner),
                format=format_,
                split=split,
                algorithms=hash_,
                out_dir=out,
                name=name,
                verify=verify,
                verify_source=verify_source,
                resume=resume,
                in_place=in_place,
                compression=compression,
                expect=expect or (),
                block_size=block_size,
                allow_mounted=allow_mounted,
                progress=console.BarProgress(bar),
            )
    except NotVerifiedError as failed:  # recorded, but not verified: shown, then exit status 5
        _show(failed.result, json_out)
        raise
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
    from evidence_intake.case import Case
    from evidence_intake.errors import IntegrityError

    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        with console.progress(transfer=True) as bar:
            outcomes = verify_acquisitions(
                case, exhibit=exhibit, examiner=actor, progress=console.BarProgress(bar)
            )
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
