"""What verify says, in words meant for a prosecutor or a judge, not for a programmer.

Each message names the entry (or checkpoint), says what is wrong, and after the dash what it means.
Kept in one place so that docs/ledger.md can list them and translations can follow.
"""

from __future__ import annotations


def missing_entries(first: int, after: int) -> str:
    if after == first + 1:
        return (
            f"entry {first} is missing: the ledger jumps from entry {first - 1} to entry {after} — "
            "an entry was removed"
        )
    return (
        f"entries {first}–{after - 1} are missing: the ledger jumps from entry {first - 1} to entry "
        f"{after} — "
        "entries were removed"
    )


def bad_number(seq: int) -> str:
    return f"an entry numbered {seq} is present, but entries are numbered from 1 — it was inserted by hand"


def content_changed(seq: int) -> str:
    return (
        f"entry {seq}: its content does not match its recorded hash — "
        "a field was changed after it was written"
    )


def unknown_version(seq: int, version: object) -> str:
    return (
        f"entry {seq}: it uses hash format version {version!r:.20}, which this software does not know — "
        "it was not written by this software, or a newer version is needed to check it"
    )


def other_case(seq: int, entry_case: object, case_id: str) -> str:
    return (
        f"entry {seq}: it belongs to case {entry_case!r:.60}, not to this ledger's case {case_id!r} — "
        "it was copied in from another ledger"
    )


def broken_link(seq: int) -> str:
    if seq == 1:
        return (
            "entry 1: its previous-entry link is not the all-zero start value — "
            "entries were removed from the beginning, or it was inserted"
        )
    return (
        f"entry {seq}: the previous-entry link does not match entry {seq - 1} — "
        "an entry was removed, inserted or reordered before it"
    )


def bad_time(seq: int, timestamp: object) -> str:
    return (
        f"entry {seq}: its time {timestamp!r:.40} is not a UTC time in the ledger's format — "
        "it was not written by this software"
    )


def clock_backwards(seq: int, timestamp: str, previous: str) -> str:
    return (
        f"entry {seq}: its time {timestamp} is earlier than that of the entry before it ({previous}) — "
        "the computer's clock was changed or is wrong"
    )


def unknown_action(seq: int, action: object) -> str:
    return f"entry {seq}: its action {action!r:.40} is not one this software writes"


def signature_removed(seq: int, key_id: object) -> str:
    return f"entry {seq}: it names signing key {key_id} but carries no signature — the signature was removed"


def key_reference_removed(seq: int) -> str:
    return f"entry {seq}: it carries a signature but names no signing key — the key reference was removed"


def key_unknown(seq: int, key_id: object) -> str:
    return (
        f"entry {seq}: it is signed with key {key_id}, which is not registered anywhere in this ledger — "
        "nobody can check that signature"
    )


def key_registered_later(seq: int, key_id: object, registered: int) -> str:
    return (
        f"entry {seq}: it is signed with key {key_id}, which was only registered later, at entry "
        f"{registered} — "
        "the entry cannot have been signed when it claims"
    )


def signature_malformed(seq: int) -> str:
    return f"entry {seq}: its signature is malformed (not 128 hex digits) — it was altered"


def signed_by_other_key(seq: int, other: str, other_owner: str, claimed: str, claimed_owner: str) -> str:
    return (
        f"entry {seq}: its signature was made with key {other} ({other_owner}), not with key {claimed} "
        f"({claimed_owner}) that the entry names — it was re-signed, or its key reference was changed"
    )


def signature_mismatch(seq: int, key_id: str, owner: str) -> str:
    return (
        f"entry {seq}: its signature does not match key {key_id} ({owner}) — the entry or its recorded hash "
        "was altered after it was signed, or the signature was forged"
    )


def bad_registration(seq: int, what: object) -> str:
    return (
        f"entry {seq}: it registers a signing key, but {what} — the registration was altered "
        "or was not written by this software"
    )


def registered_again(seq: int, key_id: str, first: int) -> str:
    return (
        f"entry {seq}: key {key_id} was registered again (first at entry {first}); "
        "the first registration counts"
    )


def odd_purpose(seq: int, key_id: str, purpose: str) -> str:
    return f"entry {seq}: it registers key {key_id} for an unknown purpose {purpose!r:.40}"


def details_relaid(seq: int) -> str:
    return (
        f"entry {seq}: its details are stored in a different but equivalent JSON layout from the one "
        "that was "
        "hashed — the file was rewritten by another tool (the content is unchanged)"
    )


def tree_mismatch(entry: int, bad: int, stored: int) -> str:
    nodes = "tree node differs or is missing" if bad == 1 else "tree nodes differ or are missing"
    return (
        f"the Merkle tree stored with the ledger does not match the entries from entry {entry} on "
        f"({bad} {nodes}, of {stored} stored) — the tree table or the entries were edited"
    )


def checkpoint_malformed(row_id: object) -> str:
    return f"stored checkpoint #{row_id} is malformed — the checkpoints table was edited"


def checkpoint_key_unknown(label: str, key_id: object) -> str:
    return (
        f"{label}: it is signed with key {key_id}, which is not registered in this ledger — "
        "it cannot be checked"
    )


def checkpoint_signature_mismatch(label: str, key_id: object, owner: str) -> str:
    return (
        f"{label}: its signature does not match key {key_id} ({owner}) — the checkpoint was altered or forged"
    )


def checkpoint_other_case(label: str, case_id: object, own: str) -> str:
    return f"{label}: it is for case {case_id!r:.60}, not this ledger's case {own!r}"


def truncated(ends_at: int, label: str, size: int) -> str:
    missing = f"entry {ends_at + 1} was" if size == ends_at + 1 else f"entries {ends_at + 1}–{size} were"
    return (
        f"the ledger ends at entry {ends_at} but {label} covers {size} entries: "
        f"{missing} removed from the end"
    )


def rewritten(size: int, label: str) -> str:
    return (
        f"the first {size} entries no longer hash to the root of {label} — one or more of entries 1–{size} "
        "were rewritten (and their hashes recomputed) after that checkpoint was issued"
    )


def triggers_missing(names: list[str]) -> str:
    return (
        f"the ledger's append-only protections (database triggers {', '.join(names)}) are missing — the file "
        "was edited with a database tool; the checks above show whether any entry was changed"
    )


def damaged(error: object) -> str:
    return f"the ledger file is damaged: SQLite reports “{error}” — only part of it could be checked"
