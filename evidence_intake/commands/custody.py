"""`evidence-intake custody …`: log hand-overs, show the chain, verify it, print and prove checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

import typer

from chain_of_custody import Entry, LedgerError, Problem, verify_inclusion
from evidence_intake import console
from evidence_intake.case import Case
from evidence_intake.commands._options import CaseOpt, ExaminerOpt, JsonOpt, OptionalExhibitOpt
from evidence_intake.custody import (
    MANUAL_ACTIONS,
    describe,
    log_event,
    occurred_at,
    require_intact,
    verified_head,
    verify_ledger,
)
from evidence_intake.errors import NotFoundError
from evidence_intake.timeutil import format_local, parse_iso_utc

app = typer.Typer(
    help=(
        "Chain of custody: log, show, verify, checkpoints and proofs.\n\n"
        "Example: evidence-intake custody verify --case ./CASE-001"
    ),
    no_args_is_help=True,
)


def _entry_row(e: Entry, tz: str) -> tuple[object, ...]:
    when = parse_iso_utc(e.timestamp)
    parties = (
        " → ".join(p for p in (e.from_party or "", e.to_party or "") if p)
        if (e.from_party or e.to_party)
        else ""
    )
    occurred = occurred_at(e)
    happened = f"\nhappened {format_local(occurred, tz)}" if occurred is not None else ""
    return (
        e.seq,
        f"{e.timestamp}\n{format_local(when, tz)}{happened}",
        e.exhibit or "",
        e.action,
        e.actor,
        parties,
        e.location or "",
        e.reason or "",
        f"yes ({e.key_id})" if e.signature else "no",
    )


def _entries_or_none(case: Case) -> int | None:
    """The ledger's size for a progress bar; None when the file is damaged (the check says how)."""
    try:
        return len(case.ledger)
    except LedgerError:
        return None


def _show_problems(found: Iterable[Problem], say: Callable[[str], None]) -> None:
    for problem in found:
        say(describe(problem))


@app.command("log")
def log(
    action: Annotated[str, typer.Option("--action", help=f"One of: {', '.join(MANUAL_ACTIONS)}.")],
    exhibit: OptionalExhibitOpt = None,
    to_party: Annotated[str | None, typer.Option("--to", help="Who receives it.")] = None,
    from_party: Annotated[str | None, typer.Option("--from", help="Who hands it over.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Where it happens.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    seal: Annotated[str | None, typer.Option("--seal", help="Seal or bag number concerned.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When it happened, if not now (same forms as --seized-at).")
    ] = None,
    case_dir: CaseOpt = None,
    examiner: ExaminerOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a custody event for an exhibit: a hand-over, storage, seal, return, disposal or note.

    Example: evidence-intake custody log --exhibit EX-001 --action transferred
    --to "Sgt. Malee (evidence room)" --reason "storage pending analysis" --location "TCSD HQ"
    """
    with Case.locate(case_dir) as case:
        actor = case.examiner(examiner)
        entry = log_event(
            case,
            exhibit=exhibit,
            action=action,
            examiner=actor,
            to_party=to_party,
            from_party=from_party,
            location=location,
            reason=reason,
            seal=seal,
            occurred_at=at,
        )
        if json_out:
            console.print_json(entry.to_dict())
        else:
            console.info(
                f"entry {entry.seq}: {entry.action} {entry.exhibit or ''} recorded ({entry.entry_hash[:16]}…)"
            )


@app.command("show")
def show(exhibit: OptionalExhibitOpt = None, case_dir: CaseOpt = None, json_out: JsonOpt = False) -> None:
    """Show the chain of custody, oldest first (newest last).

    Example: evidence-intake custody show --exhibit EX-001
    """
    with Case.locate(case_dir, reading=True) as case:
        if exhibit is not None:
            case.exhibit(exhibit)
        entries = case.ledger.entries(exhibit=exhibit)
        if json_out:
            console.print_json([e.to_dict() for e in entries])
            return
        tz = case.settings.timezone
        console.table(
            f"Chain of custody, case {case.settings.case_number}"
            + (f", exhibit {exhibit}" if exhibit else ""),
            [
                "#",
                "recorded (UTC / local)",
                "exhibit",
                "action",
                "by",
                "from → to",
                "location",
                "reason",
                "signed",
            ],
            (_entry_row(e, tz) for e in entries),
        )


@app.command("verify")
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head", help="A checkpoint SIZE:ROOT written down earlier; must still be extended."
        ),
    ] = None,
    case_dir: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recompute the whole chain and every signature; exit status 0 only when it is intact.

    Example: evidence-intake custody verify --expect-head 42:5b1f…
    """
    with Case.locate(case_dir, reading=True) as case:
        with console.progress() as bar:
            task = bar.add_task("verifying ledger", total=_entries_or_none(case))
            report = verify_ledger(
                case, expect=expect_head, progress=lambda done, _t: bar.update(task, completed=done)
            )
        if json_out:
            console.print_json(report.to_dict())
        else:
            _show_problems(report.problems, console.problem)
            _show_problems(report.warnings, console.warn)
            if report.ok:
                extra = f"; extends checkpoint {report.expected}" if report.expected else ""
                console.passed(
                    f"chain intact: {report.entries} entries, {report.signed} signed, "
                    f"head {report.checkpoint.short()}{extra}"
                )
        require_intact(report)


@app.command("head")
def head(
    qr: Annotated[bool, typer.Option("--qr", help="Also print the checkpoint as a QR code.")] = False,
    case_dir: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Verify the ledger, then print its checkpoint (size and Merkle root) signed by this workstation.

    Write the short form on the paper custody form or bag label; later, `custody verify
    --expect-head` proves the ledger still extends it. A ledger that fails verification gets no
    signed checkpoint (exit status 5).

    Example: evidence-intake custody head --qr
    """
    with Case.locate(case_dir) as case:
        with console.progress() as bar:
            task = bar.add_task("verifying ledger before signing its head", total=_entries_or_none(case))
            verification, _, signed = verified_head(
                case, progress=lambda done, _t: bar.update(task, completed=done)
            )
        if signed is None:
            _show_problems(verification.problems, console.problem)
            require_intact(verification)
            raise AssertionError("a ledger that fails verification has no signed head")  # pragma: no cover
        checkpoint = signed.checkpoint
        if json_out:
            console.print_json(signed.to_dict() | {"short": checkpoint.short(), "head": str(checkpoint)})
            return
        console.out().print(checkpoint.short(), highlight=False)
        console.key_values(
            None,
            [
                ("entries", checkpoint.tree_size),
                ("root", checkpoint.root_hash),
                ("signed by", f"workstation key {signed.key_id}"),
                ("at", signed.timestamp),
            ],
        )
        if qr:
            import segno  # the QR code is drawn only by `custody head --qr` (segno's writers load urllib)

            segno.make(str(checkpoint), error="m").terminal(compact=True)


@app.command("prove")
def prove(
    entry: Annotated[int, typer.Option("--entry", help="Sequence number of the entry.")],
    case_dir: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Print an entry with its inclusion proof against the current checkpoint.

    Example: evidence-intake custody prove --entry 17 --json > entry-17-proof.json
    """
    with Case.locate(case_dir, reading=True) as case:
        size = case.ledger.checkpoint().tree_size
        if not 1 <= entry <= size:
            raise NotFoundError(
                f"there is no entry {entry}: the ledger of this case has entries 1 to {size}",
                hint="see the entries with `evidence-intake custody show`",
            )
        e = case.ledger.entry(entry)
        proof = case.ledger.inclusion_proof(entry)
        checkpoint = case.ledger.checkpoint()
        ok = verify_inclusion(proof, checkpoint)
        if json_out:
            console.print_json(
                {
                    "entry": e.to_dict(),
                    "proof": proof.to_dict(),
                    "checkpoint": str(checkpoint),
                    "verifies": ok,
                }
            )
            return
        console.key_values(
            f"Entry {e.seq}",
            [
                ("action", e.action),
                ("exhibit", e.exhibit),
                ("by", e.actor),
                ("time", e.timestamp),
                ("entry hash", e.entry_hash),
                ("checkpoint", str(checkpoint)),
                ("proof length", f"{len(proof.path)} hashes"),
                ("verifies", "yes" if ok else "NO"),
            ],
        )
        for i, h in enumerate(proof.path):
            console.out().print(f"  {i:2d} {h}", highlight=False)


@app.command("keygen")
def keygen(
    examiner: Annotated[str, typer.Option("--examiner", help="Officer whose key this is.")],
    case_dir: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make an Ed25519 signing key for an officer; their later entries are signed with it.

    The private key stays in the key store outside the case (readable only by its owner); the
    public key is registered in the ledger by a key_registered entry.

    Example: evidence-intake custody keygen --examiner "Pol.Lt. Somchai"
    """
    with Case.locate(case_dir) as case:
        signer = case.create_officer_key(examiner)
        if json_out:
            console.print_json(
                {"examiner": examiner, "key_id": signer.key_id, "public_key": signer.public_key_hex}
            )
        else:
            console.info(f"key {signer.key_id} made for {examiner} and registered in the ledger")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="custody")
