"""Later verification of stored images and logical sources: re-hash and compare with the record.

The reference values come from the ledger (the acquisition_completed entry), not only from the
register, so that a register edited after the fact cannot make a changed image look verified;
where the two disagree, that is itself a failure. Each check writes `verified` or
`verification_failed` to the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evidence_intake.acquisition.readback import verify_image
from evidence_intake.acquisition.records import json_column, reconcile_stale
from evidence_intake.case import Case
from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.progress import Progress
from evidence_intake.register import Acquisition, list_acquisitions
from evidence_intake.timeutil import iso_utc, utcnow


@dataclass
class Outcome:
    acquisition: Acquisition
    status: str  # verified | verification_failed | no stored hash
    problems: list[str] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)
    ledger_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "acquisition_id": self.acquisition.id,
            "exhibit": self.acquisition.exhibit,
            "format": self.acquisition.format,
            "status": self.status,
            "problems": self.problems,
            "computed": self.computed,
            "ledger_seq": self.ledger_seq,
        }


def recorded_completion(case: Case, acquisition: Acquisition) -> dict[str, Any] | None:
    """The details of the ledger's acquisition_completed entry for this acquisition."""
    for entry in case.ledger.entries(exhibit=acquisition.exhibit, action="acquisition_completed"):
        if entry.details.get("acquisition_id") == acquisition.id:
            return dict(entry.details)
    return None


def _compare(label: str, expected: dict[str, str], got: dict[str, str], problems: list[str]) -> None:
    for alg, value in expected.items():
        if alg in got and got[alg] != value:
            problems.append(f"{label}: {alg.upper()} is {got[alg]}, recorded {value}")


def _verify_e01(
    acq: Acquisition, algorithms: list[str], progress: Progress
) -> tuple[dict[str, Any], list[str]]:
    """One read of the E01: its own stored hashes and chunk checksums, and the media hashes."""
    from evidence_intake.evidence.ewf_info import read_ewf_info, verify_ewf

    progress.phase("verifying E01", acq.size)
    last = [0]

    def advance(done: int, _total: int) -> None:
        progress.advance(done - last[0])
        last[0] = done

    ewf = verify_ewf(acq.paths[0], progress=advance, source_size=acq.size)
    problems: list[str] = []
    if ewf.status == "no stored hash":
        problems.append("the E01 holds no stored hash: it is checked against the ledger only")
    elif ewf.status != "verified":
        problems.append(f"the E01's stored hashes do not match its media data ({ewf.status})")
    for bad in ewf.bad_chunks:
        problems.append(f"bad chunk: {bad.to_dict()}")
    media = dict(ewf.source_hashes or ewf.computed)
    others = [a for a in algorithms if a not in media]
    if others:  # SHA-512 or BLAKE2b asked at acquisition: the generic reader computes them
        extra, _ = verify_image(acq.paths, "e01", others, progress, acq.size or 0)
        media.update(extra)
    info = read_ewf_info(acq.paths[0], segment_hashes=True)
    segments = [{"path": s.path.name, "size": s.size, "sha256": s.sha256} for s in info.segments]
    return {"e01": ewf.to_dict(), "hashes": media, "segments": segments}, problems


def _verify_physical(
    acq: Acquisition, recorded: dict[str, Any], progress: Progress
) -> tuple[dict[str, Any], list[str], str]:
    missing = [p for p in acq.paths if not p.is_file()]
    if missing:
        return {}, [f"image file {p} is missing" for p in missing], "verification_failed"
    algorithms = list(recorded.get("hashes", acq.hashes)) or ["sha256"]
    problems: list[str] = []
    if acq.format == "e01":
        computed, problems = _verify_e01(acq, algorithms, progress)
    else:
        media, segments = verify_image(acq.paths, acq.format, algorithms, progress, acq.size or 0)
        computed = {"hashes": media, "segments": segments}
    only_no_stored_hash = len(problems) == 1 and "no stored hash" in problems[0]
    _compare("image", recorded.get("hashes", {}), computed["hashes"], problems)
    recorded_segments = {s.get("path"): s for s in recorded.get("segments", [])}
    for seg in computed["segments"]:
        ref = recorded_segments.get(seg["path"])
        if ref is None:
            problems.append(f"segment {seg['path']} is not in the acquisition record")
        elif ref.get("sha256") and seg.get("sha256") and ref["sha256"] != seg["sha256"]:
            problems.append(f"segment {seg['path']}: SHA-256 is {seg['sha256']}, recorded {ref['sha256']}")
    if not problems:
        return computed, problems, "verified"
    if only_no_stored_hash and len(problems) == 1:
        return computed, problems, "no stored hash"
    return computed, problems, "verification_failed"


def _verify_logical(
    acq: Acquisition, recorded: dict[str, Any], progress: Progress
) -> tuple[dict[str, Any], list[str], str]:
    from evidence_intake.acquisition.hashing import hash_file
    from evidence_intake.acquisition.logical import open_tree
    from evidence_intake.acquisition.manifest import check_manifest

    problems: list[str] = []
    computed: dict[str, Any] = {}
    preserved = acq.paths[0]
    if not preserved.exists():
        return {}, [f"{preserved} is missing"], "verification_failed"
    if acq.manifest_path is None or not acq.manifest_path.is_file():
        return {}, [f"the manifest of acquisition {acq.id[:8]} is missing"], "verification_failed"
    manifest_sha = hash_file(acq.manifest_path, ("sha256",))["sha256"]
    computed["manifest_sha256"] = manifest_sha
    if recorded.get("manifest_sha256") and recorded["manifest_sha256"] != manifest_sha:
        problems.append("the manifest file was changed since acquisition")
    if acq.format in ("tar", "zip"):
        progress.phase(f"hashing {preserved.name}", preserved.stat().st_size)
        got = hash_file(
            preserved,
            [a for a in recorded.get("hashes", {}) if a != "manifest_sha256"] or ["sha256"],
            progress=progress.advance,
        )
        computed["hashes"] = got
        _compare(preserved.name, recorded.get("hashes", {}), got, problems)
    with open_tree(preserved, acq.format) as tree:
        differences = check_manifest(tree, acq.manifest_path)
    computed["differences"] = [str(d) for d in differences]
    problems += [f"member {d}" for d in differences[:50]]
    if len(differences) > 50:
        problems.append(f"… and {len(differences) - 50} more differing members")
    return computed, problems, "verification_failed" if problems else "verified"


def verify_acquisitions(
    case: Case, *, exhibit: str | None, examiner: str, progress: Progress | None = None
) -> list[Outcome]:
    progress = progress or Progress()
    if exhibit is not None:
        case.exhibit(exhibit)
    reconcile_stale(case, exhibit, examiner=examiner)
    acquisitions = [a for a in list_acquisitions(case, exhibit) if a.status == "completed"]
    if not acquisitions:
        raise NotFoundError(
            "nothing to verify: no completed acquisition"
            + (f" of {exhibit}" if exhibit else " in this case"),
            hint="acquire an exhibit first with: evidence-intake acquire SOURCE --exhibit ID",
        )
    outcomes: list[Outcome] = []
    for acq in acquisitions:
        recorded = recorded_completion(case, acq)
        problems: list[str] = []
        if recorded is None:
            recorded = {"hashes": acq.hashes, "segments": acq.segment_hashes}
            problems.append("no acquisition_completed entry in the ledger for this acquisition")
        elif recorded.get("hashes") != acq.hashes:
            problems.append("the register's hashes differ from those recorded in the ledger")
        try:
            if acq.kind == "logical":
                computed, found, status = _verify_logical(acq, recorded, progress)
            else:
                computed, found, status = _verify_physical(acq, recorded, progress)
        except OSError as exc:
            computed, found, status = (
                {},
                [f"cannot read {exc.filename or 'the image'}: {exc.strerror or exc}"],
                "verification_failed",
            )
        except EvidenceError as exc:  # a truncated or damaged segment: recorded, and the next one checked
            computed, found, status = {}, [exc.message], "verification_failed"
        problems += found
        if problems and status == "verified":
            status = "verification_failed"
        action = "verified" if status in ("verified", "no stored hash") else "verification_failed"
        entry = case.record(
            action,
            examiner=examiner,
            exhibit=acq.exhibit,
            details={
                "acquisition_id": acq.id,
                "status": status,
                "problems": problems,
                "hashes": computed.get("hashes", {}),
                "segments": computed.get("segments", []),
                **({"manifest_sha256": computed["manifest_sha256"]} if "manifest_sha256" in computed else {}),
            },
        )
        case.db.table("verifications").insert(
            {
                "acquisition_id": acq.id,
                "exhibit_id": acq.exhibit,
                "status": status,
                "hashes": json_column(computed.get("hashes", {})),
                "details": json_column({"problems": problems}),
                "verified_at": iso_utc(utcnow()),
                "examiner": examiner,
                "ledger_seq": entry.seq,
            }
        )
        outcomes.append(
            Outcome(
                acquisition=acq, status=status, problems=problems, computed=computed, ledger_seq=entry.seq
            )
        )
    return outcomes


def failed(outcomes: Sequence[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == "verification_failed"]
