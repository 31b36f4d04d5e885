"""One entry point for every acquisition: choose logical or physical from the source and the options."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from evidence_intake.acquisition.hashing import DEFAULT_ALGORITHMS, parse_algorithms
from evidence_intake.acquisition.physical import PhysicalOptions, Result, acquire_physical
from evidence_intake.case import Case
from evidence_intake.errors import UsageError
from evidence_intake.progress import Progress
from evidence_intake.sizes import parse_size


def parse_expected(items: Sequence[str]) -> dict[str, str]:
    """``ALG:HEX`` pairs given with --expect."""
    expected: dict[str, str] = {}
    for item in items:
        alg, sep, value = item.partition(":")
        if not sep or not value.strip():
            raise UsageError(
                f"--expect {item!r} is not ALG:HEX", hint="for example --expect md5:196066add11f…"
            )
        name = parse_algorithms(alg)[0]
        digest = value.strip().lower()
        length = hashlib.new(name).digest_size * 2
        if len(digest) != length or any(c not in "0123456789abcdef" for c in digest):
            raise UsageError(
                f"--expect {item!r}: a {name} hash is {length} hexadecimal digits",
                hint="copy the hash exactly as the seizure form or the other tool gives it",
            )
        expected[name] = digest
    return expected


def acquire(
    case: Case,
    source: Path,
    *,
    exhibit: str,
    examiner: str,
    format: str | None = None,
    split: str | None = None,
    algorithms: str | Sequence[str] = DEFAULT_ALGORITHMS,
    out_dir: Path | None = None,
    name: str | None = None,
    verify: bool = True,
    verify_source: bool = False,
    resume: bool = False,
    in_place: bool = False,
    compression: str = "fast",
    expect: Sequence[str] = (),
    block_size: str = "8MiB",
    allow_mounted: bool = False,
    progress: Progress | None = None,
) -> Result:
    """A folder, tar, zip or iOS backup with no --format is a logical source; the rest is imaged."""
    from evidence_intake.evidence.logical_detect import detect_logical

    algs = parse_algorithms(algorithms)
    expected = parse_expected(expect)
    logical = (
        format is None
        and source.exists()
        and not source.is_block_device()
        and detect_logical(source) is not None
    )
    if logical:
        if split or resume:
            raise UsageError("--split and --resume apply to device and file images, not to logical sources")
        if expected:
            raise UsageError("--expect applies to device and file images; a logical source gets a manifest")
        from evidence_intake.acquisition.logical import acquire_logical

        return acquire_logical(
            case,
            source,
            exhibit=exhibit,
            examiner=examiner,
            in_place=in_place,
            algorithms=algs,
            out_dir=out_dir,
            progress=progress,
        )
    if in_place:
        raise UsageError("--in-place applies to folders, tar and zip sources only")
    options = PhysicalOptions(
        format=(format or "raw").lower(),
        split=parse_size(split) if split else None,
        algorithms=algs,
        out_dir=out_dir,
        name=name,
        verify=verify,
        verify_source=verify_source,
        resume=resume,
        compression=compression,
        block_size=parse_size(block_size),
        expect=expected,
        allow_mounted=allow_mounted,
    )
    return acquire_physical(
        case, source, exhibit=exhibit, examiner=examiner, options=options, progress=progress
    )
