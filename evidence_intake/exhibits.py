"""Registering seized items as exhibits, and photographing them.

Validation happens before anything is written: an IMEI that fails its Luhn check digit, a phone
number that cannot be a number, a date that cannot be read, or a duplicate id is refused with a
message saying what was wrong. A registration writes the register row and its ledger entry in one
step (the register transaction is committed only once the ledger entry exists).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_of_custody import canonical_json
from evidence_intake.case import CASE_FILE, REGION_EXAMPLES, Case, check_region, safe_name
from evidence_intake.digests import sha256_file
from evidence_intake.errors import ConflictError, NotFoundError, UsageError
from evidence_intake.register import Exhibit, get_exhibit, json_column, relative_to_case
from evidence_intake.timeutil import iso_utc, parse_datetime, utcnow

KINDS = ("phone", "computer", "storage", "sim", "other")
TRISTATE = ("yes", "no", "unknown")
_EXHIBIT_ID = re.compile(r"^[^\s/\\][^/\\]{0,63}$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def check_imei(raw: str) -> str:
    """A 15-digit IMEI with a valid Luhn check digit (spaces, dashes and slashes are allowed in input)."""
    digits = re.sub(r"[\s\-/.]", "", raw)
    if not digits.isdigit() or len(digits) != 15:
        raise UsageError(
            f"IMEI {raw!r} is not 15 digits",
            hint="copy the IMEI from the label or *#06#; a 16-digit IMEISV is not an IMEI",
        )
    if not luhn_valid(digits):
        raise UsageError(
            f"IMEI {raw!r} fails its check digit (Luhn): a digit is probably mistyped",
            hint="read the IMEI again from the device label or the SIM tray",
        )
    return digits


def normalise_phone(raw: str, region: str) -> str:
    """E.164 form of a phone number, read with the case's region when it has no country code."""
    import phonenumbers  # its metadata takes 30 ms to load: only commands that read numbers pay it

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise UsageError(
            f"phone number {raw!r} cannot be read: {exc}",
            hint="write it as on the SIM card, e.g. 081 234 5678 or +66 81 234 5678",
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise UsageError(
            f"phone number {raw!r} is not a possible number for region {region}",
            hint="add the country code, e.g. +95 for Myanmar, +86 for China, +855 for Cambodia",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _tristate(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    aliases = {"on": "yes", "off": "no", "true": "yes", "false": "no", "y": "yes", "n": "no", "?": "unknown"}
    v = aliases.get(v, v)
    if v not in TRISTATE:
        raise UsageError(f"{name} must be one of yes, no, unknown (got {value!r})")
    return v


@dataclass(frozen=True, slots=True, kw_only=True)
class ExhibitInput:
    """What an officer writes on the seizure form, before validation."""

    exhibit_id: str
    kind: str
    description: str
    make: str | None = None
    model: str | None = None
    serial_number: str | None = None
    imeis: Sequence[str] = ()
    phone_number: str | None = None
    seal_number: str | None = None
    seized_at: str | None = None
    seized_from: str | None = None
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    powered_on: str | None = None
    screen_locked: str | None = None
    airplane_mode: str | None = None
    faraday_bag: str | None = None
    condition: str | None = None
    notes: str | None = None
    region: str | None = None
    photos: Sequence[Path] = ()


def _validated_record(case: Case, data: ExhibitInput, examiner: str) -> dict[str, Any]:
    exhibit_id = data.exhibit_id.strip()
    if not _EXHIBIT_ID.match(exhibit_id):
        raise UsageError(
            f"exhibit id {data.exhibit_id!r} is not usable",
            hint="use 1 to 64 characters without slashes, e.g. EX-001 or 2568-0042-P1",
        )
    kind = data.kind.strip().lower()
    if kind not in KINDS:
        raise UsageError(f"exhibit kind {data.kind!r} is not one of {', '.join(KINDS)}")
    if not data.description.strip():
        raise UsageError("an exhibit needs a description (what it is, colour, case, marks)")
    if data.region is not None:
        region = check_region(data.region)
    else:
        region = check_region(
            case.settings.region,
            given_as=f"the case's region (in {CASE_FILE})",
            hint=f"give this exhibit's region with --region: {REGION_EXAMPLES}",
        )
    imeis = [check_imei(i) for i in data.imeis]
    if len(set(imeis)) != len(imeis):
        raise UsageError("the same IMEI is given twice")
    phone = normalise_phone(data.phone_number, region) if data.phone_number else None
    seized_at = (
        parse_datetime(data.seized_at, default_zone=case.settings.timezone) if data.seized_at else None
    )
    for name, value, limit in (("latitude", data.latitude, 90), ("longitude", data.longitude, 180)):
        if value is not None and not -limit <= value <= limit:
            raise UsageError(f"{name} {value} is out of range (±{limit})")
    if (data.latitude is None) != (data.longitude is None):
        raise UsageError("give both --latitude and --longitude, or neither")
    condition = {
        k: v
        for k, v in {
            "powered_on": _tristate("--powered-on", data.powered_on),
            "screen_locked": _tristate("--screen-locked", data.screen_locked),
            "airplane_mode": _tristate("--airplane-mode", data.airplane_mode),
            "faraday_bag": _tristate("--faraday-bag", data.faraday_bag),
            "notes": data.condition.strip() if data.condition else None,
        }.items()
        if v is not None
    }
    for photo in data.photos:
        _check_photo(photo)

    def clean(value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    return {
        "exhibit_id": exhibit_id,
        "kind": kind,
        "description": data.description.strip(),
        "make": clean(data.make),
        "model": clean(data.model),
        "serial_number": clean(data.serial_number),
        "imeis": imeis,
        "phone_number": phone,
        "phone_number_raw": clean(data.phone_number),
        "seal_number": clean(data.seal_number),
        "seized_at": iso_utc(seized_at) if seized_at else None,
        "seized_at_raw": clean(data.seized_at),
        "seized_from": clean(data.seized_from),
        "location": clean(data.location),
        "latitude": data.latitude,
        "longitude": data.longitude,
        "condition": condition,
        "notes": clean(data.notes),
        "region": region,
        "registered_at": iso_utc(utcnow()),
        "registered_by": examiner,
    }


def register_exhibit(case: Case, data: ExhibitInput, *, examiner: str) -> Exhibit:
    """Validate, write the register row and the ledger entries (registered, seized, sealed), copy photos."""
    record = _validated_record(case, data, examiner)
    record_sha256 = hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()
    db = case.db
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if list(db.query("SELECT 1 FROM exhibits WHERE exhibit_id = ?", [record["exhibit_id"]])):
            raise ConflictError(
                f"exhibit {record['exhibit_id']} is already registered in case {case.settings.case_number}",
                hint="exhibit ids are unique in a case; use `exhibit show` to see the existing one",
            )
        row = {**record, "imeis": json_column(record["imeis"]), "condition": json_column(record["condition"])}
        row["record_sha256"] = record_sha256
        db.table("exhibits").insert(row)
        entry = case.record(
            "exhibit_registered",
            examiner=examiner,
            exhibit=record["exhibit_id"],
            location=record["location"],
            details={"record": record, "record_sha256": record_sha256},
        )
        conn.execute(
            "UPDATE exhibits SET ledger_seq = ? WHERE exhibit_id = ?", [entry.seq, record["exhibit_id"]]
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if record["seized_at"] or record["seized_from"]:
        case.record(
            "seized",
            examiner=examiner,
            exhibit=record["exhibit_id"],
            from_party=record["seized_from"],
            to_party=examiner,
            location=record["location"],
            details={"occurred_at": record["seized_at"], "occurred_at_raw": record["seized_at_raw"]},
        )
    if record["seal_number"]:
        case.record(
            "sealed",
            examiner=examiner,
            exhibit=record["exhibit_id"],
            location=record["location"],
            details={"seal_number": record["seal_number"]},
        )
    if data.photos:
        add_photographs(case, record["exhibit_id"], data.photos, examiner=examiner)
    return get_exhibit(case, record["exhibit_id"])


def _copy_hashed(source: Path, target: Path) -> tuple[int, str]:
    """Copy to a new ``target``; a copy cut off (a full disk) is removed, never left half-written."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(target, "xb") as dst:
        try:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
        except BaseException:
            target.unlink(missing_ok=True)  # ours: it was created by the exclusive open above
            raise
    return size, digest.hexdigest()


def _check_photo(photo: Path) -> None:
    if photo.is_dir():
        raise UsageError(
            f"{photo} is a folder", hint=f"give the photographs themselves, for example {photo}/*.jpg"
        )
    if not photo.is_file():
        raise NotFoundError(
            f"photograph {photo} not found",
            path=photo,
            hint="check the file name and the folder it is in; nothing was copied or recorded",
        )


def add_photographs(
    case: Case, exhibit_id: str, photos: Sequence[Path], *, examiner: str
) -> list[dict[str, Any]]:
    """Copy photographs into the case, hash them (the copy is re-hashed), one `photographed` entry."""
    get_exhibit(case, exhibit_id)
    for photo in photos:  # all of them, before anything is copied
        _check_photo(photo)
    folder = case.photos_dir(exhibit_id)
    existing = sum(1 for _ in folder.iterdir())
    added: list[dict[str, Any]] = []
    copied: list[Path] = []
    try:
        for n, photo in enumerate(photos, start=existing + 1):
            target = folder / f"{n:03d}-{safe_name(photo.name)}"
            size, sha256 = _copy_hashed(photo, target)
            copied.append(target)
            if sha256_file(target) != sha256:
                raise ConflictError(
                    f"the copy of {photo} in the case does not match the original", path=target
                )
            added.append(
                {
                    "path": relative_to_case(case, target),
                    "original_name": photo.name,
                    "size": size,
                    "sha256": sha256,
                    "added_at": iso_utc(utcnow()),
                    "added_by": examiner,
                }
            )
        entry = case.record(
            "photographed",
            examiner=examiner,
            exhibit=exhibit_id,
            details={
                "photographs": [{k: p[k] for k in ("path", "original_name", "size", "sha256")} for p in added]
            },
        )
    except BaseException:  # copies the ledger does not record are not kept
        for target in copied:
            target.unlink(missing_ok=True)
        raise
    case.db.table("photographs").insert_all(
        [{**p, "exhibit_id": exhibit_id, "ledger_seq": entry.seq} for p in added]
    )
    return added


def custody_state(case: Case, exhibit_id: str) -> dict[str, Any]:
    """Who holds the exhibit and where, as the ledger says (the last hand-over, storage or return)."""
    holder: str | None = None
    location: str | None = None
    last: dict[str, Any] | None = None
    sealed: str | None = None
    for entry in case.ledger.entries(exhibit=exhibit_id):
        action = entry.action
        if action in ("seized", "transferred", "returned", "disposed"):
            holder = entry.to_party or holder
            location = entry.location or location
        elif action == "received":
            holder = entry.actor
            location = entry.location or location
        elif action == "stored":
            location = entry.location or location
            holder = entry.to_party or holder
        elif action == "sealed":
            sealed = str(entry.details.get("seal_number") or "") or sealed
        elif action == "seal_broken":
            sealed = None
        last = {"seq": entry.seq, "action": action, "timestamp": entry.timestamp, "actor": entry.actor}
    return {"holder": holder, "location": location, "seal": sealed, "last_entry": last}


def parse_float(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise UsageError(f"{name} {value!r} is not a number") from exc


def imei_list(values: Sequence[str]) -> list[str]:
    """Several IMEIs may be given in one option separated by commas (dual-SIM phones)."""
    out: list[str] = []
    for value in values:
        out.extend(v for v in (p.strip() for p in value.split(",")) if v)
    return out
