"""The written record of an acquisition: the register row, the ledger entries and the plain-text log.

The log sits next to the image and can be read without the tool, in the manner of Guymager's
.info file or dc3dd's log: who, when, on which host, from which medium, with which hashes, and
which byte ranges could not be read.
"""

from __future__ import annotations

import errno
import os
import platform
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evidence_intake import SOFTWARE, host_name, pid_alive
from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.case import Case
from evidence_intake.errors import InsufficientSpaceError, IntakeError
from evidence_intake.register import (
    Acquisition,
    get_acquisition,
    json_column,
    list_acquisitions,
    paths_column,
    relative_to_case,
)
from evidence_intake.sizes import human
from evidence_intake.timeutil import format_local, iso_utc, utcnow

INCOMPLETE_SUFFIX = ".INCOMPLETE.txt"


@dataclass
class Draft:
    """An acquisition being made: what will become its register row."""

    case: Case
    exhibit: str
    kind: str
    format: str
    source: str
    source_identity: dict[str, Any]
    examiner: str
    options: dict[str, Any]
    base: Path
    size: int | None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: datetime = field(default_factory=utcnow)
    paths: list[Path] = field(default_factory=list)
    in_place: bool = False

    @property
    def marker(self) -> Path:
        return self.base.with_name(self.base.name + INCOMPLETE_SUFFIX)

    @property
    def log_path(self) -> Path:
        return self.base.with_name(self.base.name + ".log.txt")


def start(draft: Draft) -> None:
    """Register row (running) and ledger entry acquisition_started, before the first byte is read.

    A physical image's INCOMPLETE marker is written before either: it is the first file written at
    the destination, so a destination that cannot be written (read-only, full, not permitted) stops
    the acquisition before anything is recorded, instead of leaving a row "running" that no process
    will finish.
    """
    if draft.kind == "physical":
        _write_marker(draft)
    case = draft.case
    case.db.table("acquisitions").insert(
        {
            "id": draft.id,
            "exhibit_id": draft.exhibit,
            "kind": draft.kind,
            "format": draft.format,
            "source": draft.source,
            "source_identity": json_column(draft.source_identity),
            "paths": paths_column(case, draft.paths),
            "in_place": int(draft.in_place),
            "size": draft.size,
            "bytes_done": 0,
            "status": "running",
            "examiner": draft.examiner,
            "host": host_name(),
            "software": SOFTWARE,
            "options": json_column(draft.options | {"pid": os.getpid()}),
            "log_path": relative_to_case(case, draft.log_path),
            "started_at": iso_utc(draft.started_at),
        }
    )
    case.record(
        "acquisition_started",
        examiner=draft.examiner,
        exhibit=draft.exhibit,
        details={
            "acquisition_id": draft.id,
            "kind": draft.kind,
            "format": draft.format,
            "source": draft.source,
            "source_identity": draft.source_identity,
            "size": draft.size,
            "options": draft.options,
            "output": relative_to_case(case, draft.base),
        },
    )


def _write_marker(draft: Draft) -> None:
    try:
        draft.marker.write_text(
            "This image is INCOMPLETE: its acquisition has not finished.\n"
            f"Acquisition {draft.id} of exhibit {draft.exhibit}, started {iso_utc(draft.started_at)}.\n"
            "Do not use it as evidence. Resume it with `evidence-intake acquire … --resume`.\n",
            encoding="utf-8",
        )
    except OSError as exc:
        try:
            draft.marker.unlink(missing_ok=True)
        except OSError:
            pass
        folder = draft.marker.parent
        if exc.errno == errno.ENOSPC:
            raise InsufficientSpaceError(
                f"the destination {folder} is full; nothing was imaged or recorded",
                path=folder,
                hint="free space or choose another destination with --out",
            ) from exc
        raise IntakeError(
            f"cannot write the image to {folder}: {exc.strerror or exc}; nothing was imaged or recorded",
            path=folder,
            hint="choose a destination folder this user can write to (--out), or make this one writable",
        ) from exc


def checkpoint(case: Case, acquisition_id: str, *, bytes_done: int, errors: Sequence[ErrorRange]) -> None:
    case.db.table("acquisitions").update(
        acquisition_id,
        {"bytes_done": bytes_done, "error_map": json_column([e.to_dict() for e in errors])},
    )


def fail(
    case: Case,
    acquisition_id: str,
    *,
    examiner: str,
    reason: str,
    bytes_done: int,
    errors: Sequence[ErrorRange] | Sequence[Mapping[str, int]],
    resumable: bool,
    status: str = "incomplete",
) -> None:
    """Mark an acquisition incomplete with how far it got: register row and acquisition_failed."""
    acq = get_acquisition(case, acquisition_id)
    error_dicts = [e.to_dict() if isinstance(e, ErrorRange) else dict(e) for e in errors]
    case.db.table("acquisitions").update(
        acquisition_id,
        {
            "status": status,
            "bytes_done": bytes_done,
            "error_map": json_column(error_dicts),
            "completed_at": iso_utc(utcnow()),
            "message": reason,
        },
    )
    case.record(
        "acquisition_failed",
        examiner=examiner,
        exhibit=acq.exhibit,
        reason=reason,
        details={
            "acquisition_id": acquisition_id,
            "bytes_done": bytes_done,
            "size": acq.size,
            "error_map": error_dicts,
            "resumable": resumable,
            "paths": [relative_to_case(case, p) for p in acq.paths],
        },
    )


def complete(
    case: Case,
    draft: Draft,
    *,
    hashes: Mapping[str, str],
    segment_hashes: Sequence[Mapping[str, Any]],
    errors: Sequence[ErrorRange],
    size: int,
    manifest: Path | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Acquisition:
    completed_at = utcnow()
    error_dicts = [e.to_dict() for e in errors]
    case.db.table("acquisitions").update(
        draft.id,
        {
            "status": "completed",
            "size": size,
            "bytes_done": size,
            "paths": paths_column(case, draft.paths),
            "hashes": json_column(dict(hashes)),
            "segment_hashes": json_column(list(segment_hashes)),
            "error_map": json_column(error_dicts),
            "manifest_path": relative_to_case(case, manifest) if manifest else None,
            "completed_at": iso_utc(completed_at),
        },
    )
    case.record(
        "acquisition_completed",
        examiner=draft.examiner,
        exhibit=draft.exhibit,
        details={
            "acquisition_id": draft.id,
            "kind": draft.kind,
            "format": draft.format,
            "size": size,
            "hashes": dict(hashes),
            "hashes_cover": "the image as written; unreadable ranges in error_map are zeros"
            if errors
            else "the image as written, equal to the source",
            "segments": list(segment_hashes),
            "error_map": error_dicts,
            "source": draft.source,
            "source_identity": draft.source_identity,
            "started_at": iso_utc(draft.started_at),
            "completed_at": iso_utc(completed_at),
            "software": SOFTWARE,
            "host": host_name(),
            "examiner": draft.examiner,
            **({"manifest": relative_to_case(case, manifest)} if manifest else {}),
            **(dict(extra) if extra else {}),
        },
    )
    draft.marker.unlink(missing_ok=True)
    return get_acquisition(case, draft.id)


def reconcile_stale(case: Case, exhibit: str | None, *, examiner: str) -> list[str]:
    """Acquisitions left 'running' by a process that no longer exists are recorded as failed.

    A killed process (kill -9, power loss) cannot write its own acquisition_failed entry; the next
    command that looks at the exhibit does, with the last durable resume point as how far it got.
    """
    closed: list[str] = []
    host = host_name()
    for acq in list_acquisitions(case, exhibit):
        if acq.status != "running" or acq.host != host:
            continue
        pid = int(acq.options.get("pid", 0))
        if pid and pid_alive(pid) and pid != os.getpid():
            continue
        fail(
            case,
            acq.id,
            examiner=examiner,
            reason="interrupted: the acquiring process ended without finishing (killed or power lost)",
            bytes_done=acq.bytes_done,
            errors=acq.error_map,
            resumable=acq.format in ("raw", "split-raw"),
        )
        closed.append(acq.id)
    return closed


def write_log(
    case: Case,
    draft: Draft,
    *,
    hashes: Mapping[str, str],
    errors: Sequence[ErrorRange],
    size: int,
    verification: Mapping[str, Any] | None,
    segment_hashes: Sequence[Mapping[str, Any]],
    completed_at: datetime,
    notes: Sequence[str] = (),
) -> Path:
    """The plain-text acquisition log next to the image (never overwritten)."""
    s = case.settings
    tz = s.timezone
    exhibit = case.exhibit(draft.exhibit)
    lines = [
        f"{SOFTWARE} acquisition log",
        "=" * 60,
        "",
        "CASE",
        f"  Case number     : {s.case_number}",
        f"  Title           : {s.title}",
        f"  Agency          : {s.agency or ''}",
        f"  Exhibit         : {exhibit.exhibit_id} ({exhibit.kind}) {exhibit.description}",
        f"  Seal / bag      : {exhibit.seal_number or ''}",
        f"  Examiner        : {draft.examiner}",
        "",
        "ACQUISITION",
        f"  Acquisition id  : {draft.id}",
        f"  Started (UTC)   : {iso_utc(draft.started_at)}   local {format_local(draft.started_at, tz)}",
        f"  Ended (UTC)     : {iso_utc(completed_at)}   local {format_local(completed_at, tz)}",
        f"  Host            : {host_name()} ({platform.system()} {platform.release()})",
        f"  Software        : {SOFTWARE}",
        f"  Format          : {draft.format}",
        f"  Options         : {', '.join(f'{k}={v}' for k, v in sorted(draft.options.items()))}",
        "",
        "SOURCE",
        f"  Path            : {draft.source}",
    ]
    for key, value in sorted(draft.source_identity.items()):
        if key != "path":
            lines.append(f"  {key:<16}: {value}")
    lines += [
        "",
        "IMAGE",
        f"  Size            : {size} bytes ({human(size)})",
    ]
    for seg in segment_hashes:
        lines.append(
            f"  Segment         : {seg.get('path')}  {seg.get('size')} bytes  SHA-256 {seg.get('sha256', '')}"
        )
    lines += ["", "HASHES (over the image as written)"]
    for alg, value in hashes.items():
        lines.append(f"  {alg.upper():<16}: {value}")
    lines += ["", "READ ERRORS"]
    if errors:
        total = sum(e.length for e in errors)
        lines.append(f"  {len(errors)} range(s), {total} bytes could not be read and were written as zeros:")
        for e in errors:
            lines.append(
                f"    offset {e.offset:>16}  length {e.length:>12}"
                f"  (sectors {e.offset // 512}–{(e.offset + e.length) // 512 - 1})"
            )
    else:
        lines.append("  none: every byte was read from the source")
    lines += ["", "VERIFICATION"]
    if verification is None:
        lines.append("  not done (--no-verify)")
    else:
        for key, value in verification.items():
            lines.append(f"  {key:<16}: {value}")
    if notes:
        lines += ["", "NOTES", *(f"  {n}" for n in notes)]
    lines.append("")
    path = draft.log_path
    with open(path, "x", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return path
