"""`evidence-intake exhibit …`: register seized items, list them, show one, add photographs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_intake import console
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, ExhibitOpt, JsonOpt
from evidence_intake.exhibits import (
    KINDS,
    ExhibitInput,
    add_photographs,
    custody_state,
    imei_list,
    register_exhibit,
)
from evidence_intake.register import Exhibit, list_acquisitions, list_exhibits
from evidence_intake.timeutil import format_local, iso_utc

app = typer.Typer(
    help=(
        "Register and inspect exhibits (seized items).\n\n"
        "Example: evidence-intake exhibit list --case ./CASE-001"
    ),
    no_args_is_help=True,
)

Tri = Annotated[str | None, typer.Option(help="yes, no or unknown.", show_default=False)]


@app.command("add")
def add(
    exhibit: ExhibitOpt,
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(KINDS)}.")],
    description: Annotated[str, typer.Option("--description", help="What it is: colour, case, marks.")],
    make: Annotated[str | None, typer.Option("--make")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Serial number.")] = None,
    imei: Annotated[
        list[str] | None,
        typer.Option("--imei", help="IMEI, checked with its Luhn digit; repeat for dual SIM."),
    ] = None,
    phone_number: Annotated[
        str | None, typer.Option("--phone-number", help="Number of the SIM inside.")
    ] = None,
    seal: Annotated[str | None, typer.Option("--seal", help="Seal or evidence bag number.")] = None,
    seized_at: Annotated[
        str | None,
        typer.Option("--seized-at", help="When seized: 2025-03-14T09:30+07:00, or local/BE forms."),
    ] = None,
    seized_from: Annotated[
        str | None, typer.Option("--seized-from", help="Person it was seized from.")
    ] = None,
    location: Annotated[str | None, typer.Option("--location", help="Where it was seized.")] = None,
    latitude: Annotated[float | None, typer.Option("--latitude")] = None,
    longitude: Annotated[float | None, typer.Option("--longitude")] = None,
    powered_on: Annotated[str | None, typer.Option("--powered-on", help="yes, no or unknown.")] = None,
    screen_locked: Annotated[str | None, typer.Option("--screen-locked", help="yes, no or unknown.")] = None,
    airplane_mode: Annotated[str | None, typer.Option("--airplane-mode", help="yes, no or unknown.")] = None,
    faraday_bag: Annotated[str | None, typer.Option("--faraday-bag", help="yes, no or unknown.")] = None,
    condition: Annotated[
        str | None, typer.Option("--condition", help="Condition notes (damage, battery…).")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="Phone region of this exhibit: ISO 3166-1 code, e.g. MM (default: the case's)."
        ),
    ] = None,
    photo: Annotated[
        list[Path] | None, typer.Option("--photo", help="Photograph to copy into the case; repeatable.")
    ] = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register a seized item as an exhibit of the case (writes exhibit_registered, seized, sealed).

    Example: evidence-intake exhibit add --exhibit EX-001 --kind phone --description "Black iPhone 12"
    --imei 356938035643809 --seal A-0042 --seized-at "2568-03-14 09:30" --seized-from "Suspect 1"
    """
    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        record = register_exhibit(
            case,
            ExhibitInput(
                exhibit_id=exhibit,
                kind=kind,
                description=description,
                make=make,
                model=model,
                serial_number=serial,
                imeis=imei_list(imei or []),
                phone_number=phone_number,
                seal_number=seal,
                seized_at=seized_at,
                seized_from=seized_from,
                location=location,
                latitude=latitude,
                longitude=longitude,
                powered_on=powered_on,
                screen_locked=screen_locked,
                airplane_mode=airplane_mode,
                faraday_bag=faraday_bag,
                condition=condition,
                notes=notes,
                region=region,
                photos=photo or [],
            ),
            examiner=actor,
        )
        if json_out:
            console.print_json(record.to_dict())
        else:
            console.info(f"exhibit {record.exhibit_id} registered (ledger entry {record.ledger_seq})")


@app.command("list")
def list_(case_dir: CaseOpt = None, json_out: JsonOpt = False) -> None:
    """List the exhibits of the case.

    Example: evidence-intake exhibit list --case ./CASE-001 --json
    """
    with Case.locate(case_dir, reading=True) as case:
        exhibits = list_exhibits(case)
        acquired = {a.exhibit for a in list_acquisitions(case) if a.status == "completed"}
        if json_out:
            console.print_json([e.to_dict() | {"acquired": e.exhibit_id in acquired} for e in exhibits])
            return
        tz = case.settings.timezone
        console.table(
            f"Exhibits of case {case.settings.case_number}",
            ["exhibit", "kind", "description", "make/model", "seal", "seized at", "acquired"],
            [
                (
                    e.exhibit_id,
                    e.kind,
                    e.description,
                    " ".join(x for x in (e.make, e.model) if x),
                    e.seal_number,
                    format_local(e.seized_at, tz) if e.seized_at else "",
                    "yes" if e.exhibit_id in acquired else "no",
                )
                for e in exhibits
            ],
        )


def _rows(case: Case, e: Exhibit) -> list[tuple[str, object]]:
    tz = case.settings.timezone
    cond = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in e.condition.items())
    return [
        ("kind", e.kind),
        ("description", e.description),
        ("make / model", " ".join(x for x in (e.make, e.model) if x)),
        ("serial number", e.serial_number),
        ("IMEI", ", ".join(e.imeis)),
        ("phone number", e.phone_number),
        ("seal / bag", e.seal_number),
        (
            "seized at",
            f"{iso_utc(e.seized_at)} = {format_local(e.seized_at, tz)}" if e.seized_at else None,
        ),
        ("seized from", e.seized_from),
        ("location", e.location),
        ("coordinates", f"{e.latitude}, {e.longitude}" if e.latitude is not None else None),
        ("condition", cond),
        ("notes", e.notes),
        ("registered", f"{iso_utc(e.registered_at)} by {e.registered_by} (ledger entry {e.ledger_seq})"),
        ("record SHA-256", e.record_sha256),
    ]


@app.command("show")
def show(
    exhibit: Annotated[str, typer.Argument(help="Exhibit id.", show_default=False)],
    case_dir: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one exhibit: its record, photographs, custody state and acquisitions.

    Example: evidence-intake exhibit show EX-001 --case ./CASE-001
    """
    with Case.locate(case_dir, reading=True) as case:
        e = case.exhibit(exhibit)
        state = custody_state(case, e.exhibit_id)
        acquisitions = list_acquisitions(case, e.exhibit_id)
        if json_out:
            console.print_json(
                e.to_dict() | {"custody": state, "acquisitions": [a.to_dict() for a in acquisitions]}
            )
            return
        console.key_values(f"Exhibit {e.exhibit_id}", _rows(case, e))
        if e.photographs:
            console.table(
                "Photographs",
                ["file", "original", "bytes", "SHA-256"],
                [(p.path.name, p.original_name, p.size, p.sha256) for p in e.photographs],
            )
        last = state["last_entry"]
        console.key_values(
            "Custody",
            [
                ("held by", state["holder"]),
                ("location", state["location"]),
                ("seal", state["seal"]),
                (
                    "last entry",
                    f"{last['seq']} {last['action']} by {last['actor']} at {last['timestamp']}"
                    if last
                    else None,
                ),
            ],
        )
        if acquisitions:
            console.table(
                "Acquisitions",
                ["id", "format", "status", "bytes", "SHA-256", "completed"],
                [
                    (
                        a.id[:8],
                        a.format,
                        a.status,
                        a.size,
                        a.hashes.get("sha256", ""),
                        iso_utc(a.completed_at) if a.completed_at else "",
                    )
                    for a in acquisitions
                ],
            )


@app.command("photo")
def photo(
    exhibit: ExhibitOpt,
    files: Annotated[list[Path], typer.Argument(help="Photographs to copy into the case.")],
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add photographs of an exhibit: copied into the case, hashed, recorded as `photographed`.

    Example: evidence-intake exhibit photo --exhibit EX-001 front.jpg back.jpg
    """
    with Case.locate(case_dir) as case:
        added = add_photographs(case, exhibit, files, examiner=case.examiner(examiner))
        if json_out:
            console.print_json(added)
        else:
            console.table(
                f"Photographs added to {exhibit}",
                ["file", "bytes", "SHA-256"],
                [(p["path"], p["size"], p["sha256"]) for p in added],
            )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="exhibit")
