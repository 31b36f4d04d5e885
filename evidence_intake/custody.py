"""Hand-overs and other custody events logged by people, and checks of the ledger.

Events that the tool itself causes (acquisitions, extractions, verifications, reports) are
recorded by the code that does them and cannot be logged by hand; everything that happens to the
physical item (seal broken, handed over, stored, returned) is logged here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chain_of_custody import (
    Checkpoint,
    Entry,
    KeyFileError,
    LedgerError,
    Problem,
    SignedCheckpoint,
    VerificationReport,
)
from evidence_intake.case import Case
from evidence_intake.errors import IntegrityError, UsageError, from_ledger_error
from evidence_intake.timeutil import iso_utc, parse_datetime, parse_iso_utc

# Actions that a person logs; the rest are written by the tool as it works.
MANUAL_ACTIONS: dict[str, str] = {
    "seized": "taken from a person or place",
    "sealed": "put in a sealed bag (give --seal)",
    "seal_broken": "seal opened (give --seal and --reason)",
    "photographed": "photographed (use `exhibit photo` to add the files)",
    "transferred": "handed over to someone (give --to)",
    "received": "taken over from someone (give --from)",
    "stored": "put in storage (give --location)",
    "returned": "returned to its owner (give --to)",
    "disposed": "destroyed or disposed of (give --reason)",
    "note": "a remark for the record",
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "transferred": ("to_party",),
    "returned": ("to_party",),
    "received": ("from_party",),
    "stored": ("location",),
    "sealed": ("seal",),
    "seal_broken": ("seal", "reason"),
    "disposed": ("reason",),
    "note": ("reason",),
}
_OPTION = {
    "to_party": "--to",
    "from_party": "--from",
    "location": "--location",
    "seal": "--seal",
    "reason": "--reason",
}


def log_event(
    case: Case,
    *,
    exhibit: str | None,
    action: str,
    examiner: str,
    to_party: str | None = None,
    from_party: str | None = None,
    location: str | None = None,
    reason: str | None = None,
    seal: str | None = None,
    occurred_at: str | None = None,
) -> Entry:
    if action not in MANUAL_ACTIONS:
        listing = ", ".join(MANUAL_ACTIONS)
        raise UsageError(
            f"{action!r} cannot be logged by hand",
            hint=f"actions that are logged by hand: {listing}; the tool records the others itself",
        )
    given = {
        "to_party": to_party,
        "from_party": from_party,
        "location": location,
        "seal": seal,
        "reason": reason,
    }
    missing = [_OPTION[k] for k in _REQUIRED.get(action, ()) if not (given[k] or "").strip()]
    if missing:
        raise UsageError(f"{action} needs {' and '.join(missing)}")
    if exhibit is None and action != "note":
        raise UsageError(f"{action} concerns an exhibit: give --exhibit")
    if exhibit is not None:
        case.exhibit(exhibit)  # unknown exhibit: error listing the known ones
    details: dict[str, Any] = {}
    if seal:
        details["seal_number"] = seal.strip()
    if occurred_at:
        when = parse_datetime(occurred_at, default_zone=case.settings.timezone)
        details["occurred_at"] = iso_utc(when)
        details["occurred_at_raw"] = occurred_at
    return case.record(
        action,
        examiner=examiner,
        exhibit=exhibit,
        from_party=from_party,
        to_party=to_party,
        location=location,
        reason=reason,
        details=details,
    )


def occurred_at(entry: Entry) -> datetime | None:
    """When the event of an entry happened, where it was given apart from when it was recorded
    (``custody log --at``, the seizure time of ``exhibit add``); None otherwise."""
    value = entry.details.get("occurred_at")
    if not isinstance(value, str):
        return None
    try:
        return parse_iso_utc(value)
    except ValueError:
        return None


def verify_ledger(
    case: Case, *, expect: str | None = None, progress: Callable[[int, int], None] | None = None
) -> VerificationReport:
    expected = None
    if expect:
        try:
            expected = Checkpoint.parse(expect)
        except ValueError as exc:
            raise UsageError(
                f"--expect-head {expect!r} is not a checkpoint",
                hint="write it as SIZE:ROOT, as printed by `custody head`",
            ) from exc
    return case.ledger.verify(expect=expected, progress=progress)


def describe(problem: Problem) -> str:
    """A finding of a ledger check in words, naming its entry once (most reasons already begin with
    "entry N:" or "entries N–M")."""
    if problem.seq is None or problem.reason.startswith(("entry ", "entries ")):
        return problem.reason
    return f"entry {problem.seq}: {problem.reason}"


def require_intact(report: VerificationReport) -> None:
    if not report.ok:
        first = report.problems[0] if report.problems else None
        raise IntegrityError(
            f"the chain of custody is broken: {describe(first) if first else 'see the problems above'}",
            hint="do not add to this ledger; keep a copy as it is and compare it with its backups",
        )


def verified_head(
    case: Case, *, progress: Callable[[int, int], None] | None = None
) -> tuple[VerificationReport, Checkpoint, SignedCheckpoint | None]:
    """Verify the whole ledger; only when it is intact, sign its head with this workstation's key.

    A signed head is written on custody forms and reports as proof of the ledger: it is never given
    for a ledger that fails verification (the signature is then None). When someone appended
    between the check and the signature, the ledger is checked again up to the signed head.
    """
    try:
        verification = case.ledger.verify(progress=progress)
        if not verification.ok:
            return verification, verification.checkpoint, None
        signed = case.sign_checkpoint()
        if signed.checkpoint != verification.checkpoint:  # someone appended in between: check again
            verification = case.ledger.verify(expect=signed.checkpoint)
    except KeyFileError as exc:  # the workstation key that signs the head, not the ledger
        raise from_ledger_error(exc) from exc
    except LedgerError as exc:
        raise IntegrityError(
            f"the ledger {case.ledger_path} cannot be read to the end: {exc}",
            path=case.ledger_path,
            hint="run `evidence-intake custody verify` to see what is damaged; restore it from a backup",
        ) from exc
    return verification, signed.checkpoint, signed
