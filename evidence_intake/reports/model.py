"""The custody report as data: what the case register and the ledger say, gathered once for every renderer.

Everything is read, nothing is written. The ledger is verified while the report is built, so that the
report states the result of that check, and each entry's signature status comes from the same check
rather than from a separate, weaker test. Photographs are re-hashed against the hash recorded when they
were added: a report never shows a picture that is not the one recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chain_of_custody import Checkpoint, Entry, KeyRecord, SignedCheckpoint, VerificationReport
from evidence_intake import SOFTWARE
from evidence_intake.case import Case, CaseSettings
from evidence_intake.custody import occurred_at
from evidence_intake.digests import sha256_file
from evidence_intake.register import Acquisition, Exhibit, Photograph, list_exhibits
from evidence_intake.timeutil import utcnow

# Entries that belong to the record of an exhibit but are written by the tool rather than by a person.
EXTRACTION_ACTIONS = ("extraction_started", "extraction_completed", "parser_error")
VERIFICATION_ACTIONS = ("verified", "verification_failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryView:
    """One ledger entry as the report shows it, with its signature status in words."""

    entry: Entry
    when: datetime  # when the ledger recorded it
    occurred: datetime | None  # when it happened, where given apart (custody log --at, seizure time)
    signature: str  # "valid" | "unsigned" | "problem"
    signer: str | None  # owner of the signing key, when signed
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoView:
    photo: Photograph
    status: str  # "verified" | "missing" | "changed"
    sha256_now: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationView:
    """A later check of an acquisition (a verified / verification_failed ledger entry)."""

    seq: int
    when: datetime
    actor: str
    status: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AcquisitionView:
    acquisition: Acquisition
    verifications: tuple[VerificationView, ...]
    ledger_hashes: dict[str, str] | None  # the hashes in the ledger's acquisition_completed entry
    ledger_seq: int | None

    @property
    def register_matches_ledger(self) -> bool:
        return self.ledger_hashes is None or self.ledger_hashes == self.acquisition.hashes


@dataclass(frozen=True, slots=True, kw_only=True)
class ParserRun:
    name: str
    version: str
    files: int | None
    records: int | None
    errors: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractionView:
    """One extraction run of an exhibit, from its ledger entries."""

    extraction_id: str
    started_seq: int | None
    completed_seq: int | None
    started: datetime | None
    completed: datetime | None
    status: str
    actor: str
    parsers: tuple[ParserRun, ...]
    records: dict[str, int]
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExhibitSection:
    exhibit: Exhibit
    photos: tuple[PhotoView, ...]
    acquisitions: tuple[AcquisitionView, ...]
    extractions: tuple[ExtractionView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustodyReport:
    settings: CaseSettings
    scope: str | None  # the exhibit reported on, None for the whole case
    generated_at: datetime
    generated_by: str
    software: str
    exhibits: tuple[ExhibitSection, ...]
    entries: tuple[EntryView, ...]
    verification: VerificationReport
    head: Checkpoint
    signed_head: SignedCheckpoint | None
    keys: dict[str, KeyRecord]
    officers: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.verification.ok

    def texts(self) -> Iterable[str]:
        """Every piece of user text in the report (for choosing fonts that can show all of it)."""
        s = self.settings
        yield from (s.case_number, s.title, s.agency or "", s.examiner, self.generated_by)
        for section in self.exhibits:
            e = section.exhibit
            yield from (
                e.description,
                e.make or "",
                e.model or "",
                e.serial_number or "",
                e.seal_number or "",
                e.seized_from or "",
                e.location or "",
                e.notes or "",
                e.registered_by,
                str(e.condition.get("notes", "")),
            )
            for photo in section.photos:
                yield photo.photo.original_name
            for acq in section.acquisitions:
                yield from (acq.acquisition.source, acq.acquisition.examiner, acq.acquisition.message or "")
                for v in acq.verifications:
                    yield from v.problems
            for ex in section.extractions:
                yield ex.actor
                yield from ex.errors
        for view in self.entries:
            en = view.entry
            yield from (en.actor, en.from_party or "", en.to_party or "", en.location or "", en.reason or "")
            yield from view.problems
        for problem in self.verification.problems:
            yield problem.reason
        yield from self.officers


def _sha256(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def _photo_views(exhibit: Exhibit) -> tuple[PhotoView, ...]:
    views = []
    for photo in exhibit.photographs:
        now = _sha256(photo.path)
        status = "missing" if now is None else ("verified" if now == photo.sha256 else "changed")
        views.append(PhotoView(photo=photo, status=status, sha256_now=now))
    return tuple(views)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _extractions(entries: list[Entry]) -> tuple[ExtractionView, ...]:
    runs: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.action not in EXTRACTION_ACTIONS:
            continue
        run_id = str(e.details.get("extraction_id") or f"entry-{e.seq}")
        run = runs.setdefault(
            run_id,
            {
                "started": None,
                "completed": None,
                "actor": e.actor,
                "parsers": {},
                "errors": [],
                "status": None,
            },
        )
        parsers = e.details.get("parsers")
        if isinstance(parsers, dict):
            for name, version in parsers.items():
                run["parsers"].setdefault(str(name), {"version": str(version)})
        if e.action == "extraction_started":
            run["started"] = e
        elif e.action == "extraction_completed":
            run["completed"] = e
            run["status"] = str(e.details.get("status") or "completed")
            counts = e.details.get("counts")
            if isinstance(counts, dict):
                for name, c in counts.items():
                    if isinstance(c, dict):
                        slot = run["parsers"].setdefault(str(name), {"version": str(c.get("version", ""))})
                        slot.update(c)
        else:  # parser_error
            parser = str(e.details.get("parser") or "?")
            errors = e.details.get("errors")
            first = errors[0] if isinstance(errors, list) and errors else e.reason or "error"
            path = e.details.get("source_path")
            run["errors"].append(f"{parser}{f' on {path}' if path else ''}: {first}")
            slot = run["parsers"].setdefault(parser, {"version": str(e.details.get("parser_version", ""))})
            slot.setdefault("ledger_errors", 0)
            slot["ledger_errors"] += 1
    views = []
    for run_id, run in runs.items():
        started: Entry | None = run["started"]
        completed: Entry | None = run["completed"]
        records = completed.details.get("records") if completed else None
        views.append(
            ExtractionView(
                extraction_id=run_id,
                started_seq=started.seq if started else None,
                completed_seq=completed.seq if completed else None,
                started=started.datetime if started else None,
                completed=completed.datetime if completed else None,
                status=run["status"] or "not finished (no extraction_completed entry)",
                actor=run["actor"],
                parsers=tuple(
                    ParserRun(
                        name=name,
                        version=str(p.get("version", "")),
                        files=_int(p.get("files")),
                        records=_int(p.get("records")),
                        errors=_int(p.get("errors")) if "errors" in p else _int(p.get("ledger_errors")),
                    )
                    for name, p in sorted(run["parsers"].items())
                ),
                records={str(k): v for k, v in records.items() if _int(v) is not None}
                if isinstance(records, dict)
                else {},
                errors=tuple(run["errors"]),
            )
        )
    return tuple(views)


def _acquisition_views(case: Case, exhibit_id: str, entries: list[Entry]) -> tuple[AcquisitionView, ...]:
    completed = {
        str(e.details.get("acquisition_id")): e for e in entries if e.action == "acquisition_completed"
    }
    views = []
    for acq in case.acquisitions(exhibit_id):
        checks = tuple(
            VerificationView(
                seq=e.seq,
                when=e.datetime,
                actor=e.actor,
                status=str(e.details.get("status") or e.action),
                problems=tuple(str(p) for p in e.details.get("problems") or ()),
            )
            for e in entries
            if e.action in VERIFICATION_ACTIONS and e.details.get("acquisition_id") == acq.id
        )
        done = completed.get(acq.id)
        hashes = done.details.get("hashes") if done else None
        views.append(
            AcquisitionView(
                acquisition=acq,
                verifications=checks,
                ledger_hashes=dict(hashes) if isinstance(hashes, dict) else None,
                ledger_seq=done.seq if done else None,
            )
        )
    return tuple(views)


def _entry_views(
    entries: list[Entry], report: VerificationReport, keys: dict[str, KeyRecord]
) -> tuple[EntryView, ...]:
    problems: dict[int, list[str]] = {}
    for p in report.problems:
        if p.seq is not None:
            problems.setdefault(p.seq, []).append(p.reason)
    views = []
    for e in entries:
        found = tuple(problems.get(e.seq, ()))
        key = keys.get(e.key_id) if e.key_id else None
        if found:
            status = "problem"
        elif e.signature is None:
            status = "unsigned"
        else:
            status = "valid"
        views.append(
            EntryView(
                entry=e,
                when=e.datetime,
                occurred=occurred_at(e),
                signature=status,
                signer=key.owner if key else None,
                problems=found,
            )
        )
    return tuple(views)


def _officers(generated_by: str, entries: Iterable[EntryView]) -> tuple[str, ...]:
    """Who signs the paper copy: the examiner producing it, every person who acted in the chain, and the
    people an exhibit was handed to or received from (not the person it was seized from)."""
    names: list[str] = [generated_by]
    for view in entries:
        e = view.entry
        if e.action == "key_registered" and e.details.get("purpose") == "workstation":
            continue  # a machine, not a person
        people = [e.actor]
        if e.action in ("transferred", "returned"):
            people.append(e.to_party or "")
        elif e.action == "received":
            people.append(e.from_party or "")
        for name in people:
            if name and name not in names:
                names.append(name)
    return tuple(names)


def build_custody_report(
    case: Case,
    *,
    exhibit: str | None,
    examiner: str,
    verification: VerificationReport,
    head: Checkpoint,
    signed_head: SignedCheckpoint | None,
) -> CustodyReport:
    """Gather the report's content: the entries up to ``head`` (the checkpoint the report states, signed
    as ``signed_head`` when the ledger verified); ``verification`` is the ledger check made just before."""
    ledger = case.ledger
    keys = ledger.public_keys()
    exhibits = [case.exhibit(exhibit)] if exhibit is not None else list_exhibits(case)
    all_entries = list(ledger.entries(end=head.tree_size))
    if exhibit is not None:
        scoped = [e for e in all_entries if e.exhibit == exhibit]
    else:
        scoped = all_entries
    sections = []
    for ex in exhibits:
        own = [e for e in all_entries if e.exhibit == ex.exhibit_id]
        sections.append(
            ExhibitSection(
                exhibit=ex,
                photos=_photo_views(ex),
                acquisitions=_acquisition_views(case, ex.exhibit_id, own),
                extractions=_extractions(own),
            )
        )
    views = _entry_views(scoped, verification, keys)
    return CustodyReport(
        settings=case.settings,
        scope=exhibit,
        generated_at=utcnow(),
        generated_by=examiner,
        software=SOFTWARE,
        exhibits=tuple(sections),
        entries=views,
        verification=verification,
        head=head,
        signed_head=signed_head,
        keys=keys,
        officers=_officers(examiner, views),
    )
