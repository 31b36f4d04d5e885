"""Physical acquisition: a device, file or existing image imaged to raw, split raw or E01, hashed once.

Order of work, so that nothing is written before every check passed and nothing done is lost:
checks (source readable, destination free and not on the source, enough space) → register row
and acquisition_started → one read pass (checkpointed) → finish the image → verification pass →
plain-text log → acquisition_completed and verified/verification_failed.
Ctrl-C, SIGTERM, a full disk or any other failure marks the acquisition incomplete with how far
it got (acquisition_failed); a raw image can be continued with ``resume=True``.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_intake import SOFTWARE
from evidence_intake.acquisition import records
from evidence_intake.acquisition.base import ErrorRange, ImageMetadata, ImageWriter
from evidence_intake.acquisition.devices import mounts_on, shared_devices
from evidence_intake.acquisition.hashing import DEFAULT_ALGORITHMS, MultiHasher
from evidence_intake.acquisition.pipeline import DEFAULT_BLOCK, PassState, copy_and_hash
from evidence_intake.acquisition.raw import RawWriter, seal_files
from evidence_intake.acquisition.readback import verify_image
from evidence_intake.acquisition.resume import BackgroundSync, find_resumable, rehash_partial, same_tail
from evidence_intake.acquisition.sources import BlockDeviceSource, ImageSource, Source, open_source
from evidence_intake.case import Case, safe_name
from evidence_intake.digests import sha256_file
from evidence_intake.errors import (
    ConflictError,
    InsufficientSpaceError,
    IntakeError,
    IntegrityError,
    InterruptedError_,
    UsageError,
)
from evidence_intake.progress import Progress
from evidence_intake.register import Acquisition
from evidence_intake.timeutil import iso_utc, utcnow

FORMATS = ("raw", "e01")
COMPRESSION = ("none", "fast", "best")


@dataclass(frozen=True, kw_only=True)
class PhysicalOptions:
    format: str = "raw"
    split: int | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    out_dir: Path | None = None
    name: str | None = None
    verify: bool = True
    verify_source: bool = False
    resume: bool = False
    compression: str = "fast"
    block_size: int = DEFAULT_BLOCK
    retries: int = 2
    expect: Mapping[str, str] = field(default_factory=dict)
    allow_mounted: bool = False

    def recorded(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "split": self.split,
            "algorithms": list(self.algorithms),
            "verify": self.verify,
            "verify_source": self.verify_source,
            "compression": self.compression if self.format == "e01" else None,
            "block_size": self.block_size,
            "allow_mounted": self.allow_mounted,
            "retries": self.retries,
        }


@dataclass
class Result:
    acquisition: Acquisition
    verification: dict[str, Any] | None
    notes: list[str]
    problems: list[str] = field(default_factory=list)  # why it did not verify (NotVerifiedError)

    def to_dict(self) -> dict[str, Any]:
        return {
            "acquisition": self.acquisition.to_dict(),
            "verification": self.verification,
            "notes": self.notes,
            "problems": self.problems,
        }


class NotVerifiedError(IntegrityError):
    """The acquisition finished and is recorded, but its verification failed (exit status 5).

    Carries the recorded ``result`` so that the command still shows the acquisition (its id, hashes
    and files) before the error, as ``verify`` does for a check that fails.
    """

    def __init__(self, message: str, *, hint: str, result: Result) -> None:
        super().__init__(message, hint=hint)
        self.result = result


def _format_name(options: PhysicalOptions) -> str:
    if options.format == "e01":
        return "e01"
    return "split-raw" if options.split else "raw"


def _first_free_base(folder: Path, stem: str) -> Path:
    """``stem``, ``stem-2``, ``stem-3``… whichever has no file of any image extension yet."""
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        if not any(p.name.startswith(name + ".") for p in folder.iterdir()):
            return folder / name
        n += 1


def _check_not_on_source(source: Source, folder: Path) -> None:
    """Refuse a destination on the source device, before anything (even the folder) is created there."""
    if isinstance(source, BlockDeviceSource):
        shared = shared_devices(source.rdev, folder)
        if shared:
            raise ConflictError(
                f"the destination {folder} is on the source device {source.path} "
                f"(both rest on {', '.join(sorted(shared))})",
                hint="write the image to another disk: writing to the source would alter the evidence",
            )


def _block_device(source_path: Path) -> int | None:
    """The device number when ``source_path`` is a block device (else None: a file, an image, missing)."""
    try:
        st = os.stat(source_path)
    except OSError:
        return None  # open_source names the problem with the source
    return st.st_rdev if stat.S_ISBLK(st.st_mode) else None


def _check_case_not_on_source(case: Case, source_path: Path) -> None:
    """Refuse to image the device that holds the case folder: every ledger entry would write to it."""
    dev = _block_device(source_path)
    if dev is None:
        return
    shared = shared_devices(dev, case.root)
    if shared:
        raise ConflictError(
            f"the case folder {case.root} is on the device to be imaged, {source_path} "
            f"(both rest on {', '.join(sorted(shared))})",
            hint="keep the case on the workstation or on the evidence drive, never on the seized medium",
        )


def _check_mounts(source_path: Path, allowed: bool) -> list[dict[str, Any]]:
    """File systems mounted from the device: refused when read-write, unless allowed (then recorded)."""
    dev = _block_device(source_path)
    if dev is None:
        return []
    mounts = mounts_on(dev)
    writable = [m for m in mounts if not m.read_only]
    if writable and not allowed:
        where = ", ".join(f"{m.source} at {m.point}" for m in writable)
        raise ConflictError(
            f"{source_path} is mounted read-write ({where}): the system may write to it while it is imaged, "
            "and the hashes would then match no later reading",
            hint=f"unmount it first (umount {writable[0].point}), or image it as it is with --allow-mounted "
            "(the mounts are recorded with the acquisition)",
        )
    return [{"point": m.point, "source": m.source, "read_only": m.read_only} for m in mounts]


def _check_destination(source: Source, folder: Path, needed: int) -> None:
    _check_not_on_source(source, folder)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise InsufficientSpaceError(
            f"not enough free space in {folder}: {needed} bytes needed, {free} free",
            hint=f"free at least {needed - free} more bytes, or choose another --out folder",
        )


@contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM (a shutdown, a kill) is handled like Ctrl-C: the record says how far it got."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _make_writer(
    base: Path, options: PhysicalOptions, metadata: ImageMetadata, size: int, sector: int
) -> ImageWriter:
    if options.format == "raw":
        return RawWriter(base, split=options.split, sector_size=sector)
    from evidence_intake.acquisition.ewf_writer import EwfWriter

    return EwfWriter(
        base,
        metadata=metadata,
        media_size=size,
        sector_size=sector,
        compression=options.compression,
        segment_size=options.split,
    )


def _metadata(case: Case, exhibit_id: str, examiner: str, source: Source) -> ImageMetadata:
    exhibit = case.exhibit(exhibit_id)
    ident = source.identity()
    now = utcnow()
    return ImageMetadata(
        case_number=case.settings.case_number,
        evidence_number=exhibit.exhibit_id,
        examiner=examiner,
        description=exhibit.description,
        notes=exhibit.notes or "",
        acquired_at=now,
        system_at=now,
        operating_system=f"{os.uname().sysname} {os.uname().release}",
        software=SOFTWARE,
        model=ident.get("model") or exhibit.model,
        serial=ident.get("serial") or exhibit.serial_number,
        media_type="removable" if str(ident.get("removable")) == "1" else "fixed",
        physical=isinstance(source, BlockDeviceSource),
    )


def acquire_physical(
    case: Case,
    source_path: Path,
    *,
    exhibit: str,
    examiner: str,
    options: PhysicalOptions,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Result:
    progress = progress or Progress()
    if options.format not in FORMATS:
        raise UsageError(f"unknown image format {options.format!r}", hint=f"choose from {', '.join(FORMATS)}")
    if options.compression not in COMPRESSION:
        raise UsageError(
            f"unknown compression {options.compression!r}", hint=f"choose from {', '.join(COMPRESSION)}"
        )
    _check_case_not_on_source(case, source_path)  # before the case's databases are even opened
    case.exhibit(exhibit)
    records.reconcile_stale(case, exhibit, examiner=examiner)
    algorithms = tuple(options.algorithms)
    if options.format == "e01":
        algorithms = tuple(dict.fromkeys(("md5", "sha1", *algorithms)))
    mounts = _check_mounts(source_path, options.allow_mounted)
    source = open_source(source_path)
    if isinstance(source, BlockDeviceSource):
        source.mounts = mounts
    with source:
        return _acquire(
            case,
            source,
            exhibit=exhibit,
            examiner=examiner,
            options=options,
            algorithms=algorithms,
            progress=progress,
            stop=stop,
        )


# Names that promise a container; content that is not one is imaged as the plain file it is, but
# the officer is told (a wrong file picked at a raid site, or a renamed one).
_PROMISED = {
    ".e01": (b"EVF\x09\x0d\x0a\xff\x00", "an E01 image"),
    ".ex01": (b"EVF2\x0d\x0a\x81\x00", "an Ex01 image"),
    ".zip": (b"PK\x03\x04", "a zip archive"),
}


def _source_notes(source: Source) -> list[str]:
    """What the officer should know about the source before trusting the image of it."""
    if source.size == 0:
        return ["the source holds no data (0 bytes): check that the right device or file was given"]
    promised = _PROMISED.get(source.path.suffix.lower())
    if promised is None or source.kind not in ("file", "image"):
        return []
    magic, what = promised
    if source.kind == "image":  # opened as an image set by its name: its reader tells what it found
        fmt = getattr(getattr(source, "reader", None), "format", None)
        if fmt != "raw":
            return []
        name = source.path.name
        return [f"{name} is named like {what} but does not hold one: it was imaged as the plain file it is"]
    head = bytearray(len(magic))
    try:
        source.readinto(0, memoryview(head))
    except OSError:
        return []
    if bytes(head) == magic:
        return []
    name = source.path.name
    return [f"{name} is named like {what} but does not hold one: it was imaged as the plain file it is"]


def _acquire(
    case: Case,
    source: Source,
    *,
    exhibit: str,
    examiner: str,
    options: PhysicalOptions,
    algorithms: tuple[str, ...],
    progress: Progress,
    stop: threading.Event | None,
) -> Result:
    notes: list[str] = _source_notes(source)
    for mount in getattr(source, "mounts", []):
        mode = "read-only" if mount["read_only"] else "read-write"
        notes.append(f"the source was mounted {mode} at {mount['point']} ({mount['source']}) while imaged")
    resume_from: Acquisition | None = find_resumable(case, exhibit, source) if options.resume else None
    if resume_from is not None:
        base = resume_from.paths[0].with_suffix("") if resume_from.paths else None
        if base is None:
            raise ConflictError(f"acquisition {resume_from.id[:8]} recorded no image files to resume")
        options = PhysicalOptions(
            **{
                **options.__dict__,
                "format": "raw",
                "split": resume_from.options.get("split"),
                "algorithms": tuple(resume_from.options.get("algorithms", algorithms)),
                "block_size": resume_from.options.get("block_size", options.block_size),
            }
        )
        algorithms = options.algorithms
        folder = base.parent
        start_at = resume_from.bytes_done
    else:
        folder = (options.out_dir or case.evidence_dir(exhibit)).expanduser().resolve()
        if folder.exists() and not folder.is_dir():
            raise ConflictError(f"--out {folder} is a file; give a folder", path=folder)
        _check_not_on_source(source, folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = safe_name(options.name or exhibit)
        if options.name:
            base = folder / stem
            if any(p.name.startswith(stem + ".") for p in folder.iterdir()):
                raise ConflictError(
                    f"an image named {stem} already exists in {folder}; evidence is never overwritten",
                    hint="choose another --name or --out folder",
                )
        else:
            base = _first_free_base(folder, stem)
        start_at = 0
    needed = source.size - start_at
    _check_destination(source, folder, needed)

    fmt_name = _format_name(options)
    metadata = _metadata(case, exhibit, examiner, source)
    if resume_from is not None:
        draft = records.Draft(
            case=case,
            exhibit=exhibit,
            kind="physical",
            format=fmt_name,
            source=str(source.path),
            source_identity=source.identity(),
            examiner=examiner,
            options=options.recorded() | {"resumed_from": resume_from.id},
            base=base,
            size=source.size,
        )
        writer: ImageWriter = RawWriter.resume(
            base, split=options.split, offset=start_at, sector_size=source.sector_size
        )
        if not same_tail(source, writer.paths, start_at, options.split):
            writer.abort()
            raise ConflictError(
                f"cannot resume: the last bytes of the partial image differ from {source.path}",
                hint="the medium changed or is another one; start a new acquisition without --resume",
            )
        draft.paths = writer.paths
        notes.append(f"resumed acquisition {resume_from.id} at byte {start_at}")
        discarded = getattr(writer, "discarded", [])
        if discarded:
            notes.append(
                "segments begun after the last durable point were written again: " + ", ".join(discarded)
            )
    else:
        draft = records.Draft(
            case=case,
            exhibit=exhibit,
            kind="physical",
            format=fmt_name,
            source=str(source.path),
            source_identity=source.identity(),
            examiner=examiner,
            options=options.recorded(),
            base=base,
            size=source.size,
        )
        writer = _make_writer(base, options, metadata, source.size, source.sector_size)
    records.start(draft)
    state = PassState(offset=start_at)
    if resume_from is not None:
        state.errors = [ErrorRange(e["offset"], e["length"]) for e in resume_from.error_map]

    syncer = BackgroundSync(writer) if isinstance(writer, RawWriter) else None

    def on_checkpoint(s: PassState) -> None:
        assert syncer is not None
        durable = syncer.request(s.offset, s.errors)
        if durable is not None:
            offset, errors = durable
            case.db.table("acquisitions").update(
                draft.id, {"paths": records.paths_column(case, writer.paths)}
            )
            records.checkpoint(case, draft.id, bytes_done=offset, errors=errors)

    hasher = MultiHasher(algorithms)
    try:
        with _interrupt_on_sigterm():
            if start_at:
                progress.phase("re-hashing partial image", start_at)
                rehash_partial(writer.paths, start_at, hasher, progress)
            progress.phase(f"imaging {source.path.name}", source.size)
            progress.advance(start_at)
            copy_and_hash(
                source,
                writer,
                hasher,
                state,
                block_size=options.block_size,
                retries=options.retries,
                on_progress=progress.advance,
                on_checkpoint=on_checkpoint if syncer is not None else None,
                stop=stop,
            )
            hashes = hasher.hexdigests()
            paths = writer.finish(hashes=hashes, error_map=state.errors)
    except BaseException as exc:
        hasher.close()
        _record_failure(case, draft, writer, state, exc, examiner)
        raise _as_intake_error(exc, draft) from exc
    hasher.close()
    draft.paths = paths
    seal_files(paths)
    case.db.table("acquisitions").update(draft.id, {"paths": records.paths_column(case, paths)})
    return _finish(case, draft, source, options, algorithms, hashes, state, notes, progress, writer)


def _finish(
    case: Case,
    draft: records.Draft,
    source: Source,
    options: PhysicalOptions,
    algorithms: Sequence[str],
    hashes: dict[str, str],
    state: PassState,
    notes: list[str],
    progress: Progress,
    writer: ImageWriter,
) -> Result:
    verification: dict[str, Any] | None = None
    problems: list[str] = []
    segment_hashes: list[dict[str, Any]] = []
    writer_segments = getattr(writer, "segment_hashes", None)
    if callable(writer_segments):
        segment_hashes = [
            {"path": Path(p).name, "size": Path(p).stat().st_size, "sha256": h} for p, h in writer_segments()
        ]
    if options.verify:
        image_hashes, segs = verify_image(draft.paths, draft.format, algorithms, progress, source.size)
        if not segment_hashes:
            segment_hashes = segs
        elif segs != segment_hashes:
            problems.append("segment files changed between writing and verification")
        verification = {
            "image": "match" if image_hashes == hashes else "MISMATCH",
            "image_hashes": image_hashes,
        }
        if image_hashes != hashes:
            problems.append("the image read back does not give the hashes computed while imaging")
    else:
        segment_hashes = segment_hashes or [{"path": p.name, "size": p.stat().st_size} for p in draft.paths]
    if options.verify_source:
        progress.phase("re-reading source", source.size)
        again = PassState()
        with MultiHasher(algorithms) as hasher:
            copy_and_hash(
                source,
                None,
                hasher,
                again,
                block_size=options.block_size,
                retries=options.retries,
                on_progress=progress.advance,
            )
            source_hashes = hasher.hexdigests()
        verification = (verification or {}) | {
            "source": "match" if source_hashes == hashes else "MISMATCH",
            "source_hashes": source_hashes,
        }
        if source_hashes != hashes:
            problems.append(
                "the source read a second time gives other hashes"
                + (
                    " (it has unreadable sectors, whose content may vary)"
                    if state.errors or again.errors
                    else ""
                )
            )
    expected = dict(options.expect)
    if isinstance(source, ImageSource):
        expected = {**source.stored_hashes(), **expected}
    if expected:
        compared = {
            alg: ("match" if hashes.get(alg) == value.lower() else "MISMATCH")
            for alg, value in expected.items()
            if alg in hashes
        }
        verification = (verification or {}) | {"expected": compared}
        if any(v != "match" for v in compared.values()):
            problems.append("the source does not give the expected (stored) hashes")
    completed_at = utcnow()
    log = records.write_log(
        case,
        draft,
        hashes=hashes,
        errors=state.errors,
        size=source.size,
        verification=verification,
        segment_hashes=segment_hashes,
        completed_at=completed_at,
        notes=notes + problems,
    )
    acquisition = records.complete(
        case,
        draft,
        hashes=hashes,
        segment_hashes=segment_hashes,
        errors=state.errors,
        size=source.size,
        extra={
            "verification": verification,
            "log": log.name,
            "log_sha256": sha256_file(log),
            **({"notes": notes} if notes else {}),
        },
    )
    if verification is not None:
        case.record(
            "verification_failed" if problems else "verified",
            examiner=draft.examiner,
            exhibit=draft.exhibit,
            details={
                "acquisition_id": draft.id,
                "hashes": hashes,
                "result": verification,
                "problems": problems,
            },
        )
        case.db.table("verifications").insert(
            {
                "acquisition_id": draft.id,
                "exhibit_id": draft.exhibit,
                "status": "verification_failed" if problems else "verified",
                "hashes": records.json_column(verification),
                "details": records.json_column({"problems": problems, "at": "acquisition"}),
                "verified_at": iso_utc(completed_at),
                "examiner": draft.examiner,
                "ledger_seq": len(case.ledger),
            }
        )
    result = Result(acquisition=acquisition, verification=verification, notes=notes, problems=problems)
    if problems:
        raise NotVerifiedError(
            f"acquisition {draft.id[:8]} of {draft.exhibit} finished but did not verify: "
            + "; ".join(problems),
            hint="keep the image and its log as they are and acquire the medium again",
            result=result,
        )
    return result


def _record_failure(
    case: Case, draft: records.Draft, writer: ImageWriter, state: PassState, exc: BaseException, examiner: str
) -> None:
    try:
        writer.abort()
    except OSError:
        pass
    draft.paths = writer.paths
    case.db.table("acquisitions").update(draft.id, {"paths": records.paths_column(case, writer.paths)})
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted by the user or a shutdown signal"
    elif isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        reason = "the destination disk is full"
    else:
        reason = f"failed: {exc}"
    # Only what reached the disk counts as done for a resume (raw writers flush in abort).
    done = state.offset if writer.resumable else 0
    records.fail(
        case,
        draft.id,
        examiner=examiner,
        reason=f"{reason}; {state.offset} of {draft.size} bytes imaged",
        bytes_done=done,
        errors=state.errors,
        resumable=writer.resumable,
    )


def _as_intake_error(exc: BaseException, draft: records.Draft) -> BaseException:
    resumable = draft.format in ("raw", "split-raw")
    again = (
        f"continue it with: evidence-intake acquire {draft.source} --exhibit {draft.exhibit} --resume"
        if resumable
        else "start it again; the incomplete image stays on record, marked incomplete"
    )
    if isinstance(exc, KeyboardInterrupt):
        return InterruptedError_(
            f"acquisition of {draft.exhibit} interrupted; the image is marked incomplete", hint=again
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return InsufficientSpaceError(
            f"the destination of {draft.base} is full; the image is marked incomplete",
            hint="free space or add a disk, then " + again,
        )
    if isinstance(exc, IntakeError):
        return exc
    return IntakeError(
        f"acquisition of {draft.exhibit} failed: {exc}; the image is marked incomplete", hint=again
    )


ProgressCallback = Callable[[int], None]
