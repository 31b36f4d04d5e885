"""Every kind of tampering is caught by verify, which names the right entry in plain words."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chain_of_custody import Ledger, Signer, VerificationReport

from ._attack import read_rows, rewrite_history, tamper
from .conftest import ACTOR, SOFTWARE


def verify(path: Path, **kwargs: Any) -> VerificationReport:
    with Ledger.open(path, readonly=True) as ledger:
        return ledger.verify(**kwargs)


def reasons(report: VerificationReport) -> str:
    return "\n".join(p.reason for p in report.problems)


def test_untouched_ledger_verifies(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(40, signer=Signer.generate(), sign_every=2)
    report = verify(path)
    assert report.ok, reasons(report)
    assert report.entries == 40
    assert report.signed == 1 + 20  # the self-signed registration and every other entry
    assert report.first_bad_seq is None
    assert report.warnings == []


def test_triggers_refuse_update_and_delete(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(5)
    conn = sqlite3.connect(path)
    for statement in (
        "UPDATE entries SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM entries WHERE seq = 5",
        "UPDATE tree_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0",
        "DELETE FROM tree_nodes",
        "UPDATE meta SET value = 'other-case' WHERE key = 'case_id'",
        "DELETE FROM meta",
        "INSERT INTO entries (seq, v, uuid, timestamp, case_id, action, actor, details, host, software, "
        "prev_hash, entry_hash) VALUES (9, 1, 'u', 't', 'c', 'note', 'a', '{}', 'h', 's', 'p', 'e')",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="chain_of_custody"):
            conn.execute(statement)
    conn.close()
    assert verify(path).ok


def test_triggers_refuse_changes_to_checkpoints(build_ledger: Callable[..., Path]) -> None:
    signer = Signer.generate()
    path = build_ledger(3, signer=signer)
    with Ledger.open(path) as ledger:
        ledger.sign_checkpoint(signer)
    conn = sqlite3.connect(path)
    for statement in ("UPDATE checkpoints SET tree_size = 1", "DELETE FROM checkpoints"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
    conn.close()


def test_field_changed_in_place(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    tamper(path, "UPDATE entries SET actor = 'Pol.Sgt. Someone Else' WHERE seq = 17")
    report = verify(path)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert report.problems[0].seq == 17
    assert "entry 17: its content does not match its recorded hash" in report.problems[0].reason
    assert "a field was changed after it was written" in report.problems[0].reason
    assert any("append-only protections" in w.reason for w in report.warnings)


def test_details_changed_in_place(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    tamper(
        path,
        """UPDATE entries SET details = replace(details, '"seal":"TH', '"seal":"XX') WHERE seq = 9""",
    )
    report = verify(path)
    assert report.first_bad_seq == 9
    assert "entry 9: its content does not match" in report.problems[0].reason


def test_entry_deleted_from_the_middle(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    tamper(path, "DELETE FROM entries WHERE seq = 17")
    report = verify(path)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert report.problems[0].reason.startswith(
        "entry 17 is missing: the ledger jumps from entry 16 to entry 18"
    )
    assert "removed" in report.problems[0].reason


def test_several_entries_deleted_from_the_middle(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    tamper(path, "DELETE FROM entries WHERE seq BETWEEN 12 AND 14")
    report = verify(path)
    assert report.first_bad_seq == 12
    assert report.problems[0].reason.startswith("entries 12–14 are missing")


def _truncate_cleanly(path: Path, keep: int) -> None:
    """Remove every entry after ``keep`` and the tree nodes covering them: the file stays self-consistent."""
    tamper(
        path,
        ("DELETE FROM entries WHERE seq > ?", (keep,)),
        ("DELETE FROM tree_nodes WHERE ((idx + 1) << level) > ?", (keep,)),
        "DELETE FROM checkpoints",
        keep_triggers_dropped=False,
    )


def test_last_entries_removed_caught_with_expected_checkpoint(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(52)
    with Ledger.open(path) as ledger:
        label = ledger.checkpoint()
    assert label.tree_size == 52
    _truncate_cleanly(path, 40)
    # Cleanly cut, the ledger is self-consistent: only a checkpoint issued earlier reveals the cut.
    assert verify(path).ok
    report = verify(path, expect=label)
    assert not report.ok
    assert report.extends_expected is False
    assert report.first_bad_seq == 41
    assert "the ledger ends at entry 40 but the expected checkpoint 52:" in report.problems[0].reason
    assert "entries 41–52 were removed from the end" in report.problems[0].reason


def test_last_entries_removed_caught_by_stored_signed_checkpoint(build_ledger: Callable[..., Path]) -> None:
    signer = Signer.generate()
    path = build_ledger(20, signer=signer)
    with Ledger.open(path) as ledger:
        ledger.sign_checkpoint(signer)
    tamper(
        path,
        "DELETE FROM entries WHERE seq > 18",
        "DELETE FROM tree_nodes WHERE ((idx + 1) << level) > 18",
    )
    report = verify(path)
    assert report.first_bad_seq == 19
    assert "the ledger ends at entry 18 but checkpoint 20:" in report.problems[0].reason
    assert "entries 19–20 were removed from the end" in report.problems[0].reason


def test_two_entries_swapped(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20)
    rows = {row["seq"]: row for row in read_rows(path)}
    columns = [c for c in rows[10] if c != "seq"]
    assignments = ", ".join(f"{c} = ?" for c in columns)
    tamper(
        path,
        ("UPDATE entries SET uuid = 'moving', entry_hash = 'moving' WHERE seq = 11", ()),
        (f"UPDATE entries SET {assignments} WHERE seq = 10", tuple(rows[11][c] for c in columns)),
        (f"UPDATE entries SET {assignments} WHERE seq = 11", tuple(rows[10][c] for c in columns)),
    )
    report = verify(path)
    assert report.first_bad_seq == 10
    text = reasons(report)
    assert "entry 10: its content does not match its recorded hash" in text
    assert "entry 10: the previous-entry link does not match entry 9" in text
    assert "entry 11: its content does not match" in text


def test_two_entries_swapped_and_renumbered(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20)
    tamper(path, "UPDATE entries SET seq = -1 WHERE seq = 10", "UPDATE entries SET seq = 10 WHERE seq = 11",
           "UPDATE entries SET seq = 11 WHERE seq = -1")  # fmt: skip
    report = verify(path)
    assert report.first_bad_seq == 10
    assert "entry 10: its content does not match its recorded hash" in report.problems[0].reason


def test_forged_signature(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20, signer=Signer.generate())
    forged = hashlib.sha512(b"not a signature").hexdigest()
    tamper(path, ("UPDATE entries SET signature = ? WHERE seq = 12", (forged,)))
    report = verify(path)
    assert report.first_bad_seq == 12
    assert len(report.problems) == 1
    assert "entry 12: its signature does not match key" in report.problems[0].reason
    assert "Forensic workstation 3" in report.problems[0].reason
    assert report.signed == 19


def test_malformed_signature(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(10, signer=Signer.generate())
    tamper(path, "UPDATE entries SET signature = 'abc' WHERE seq = 4")
    report = verify(path)
    assert report.first_bad_seq == 4
    assert "entry 4: its signature is malformed" in report.problems[0].reason


def test_signature_made_with_another_key(build_ledger: Callable[..., Path], ledger_path: Path) -> None:
    workstation, officer = Signer.generate(), Signer.generate()
    path = build_ledger(6, signer=workstation)
    with Ledger.open(path) as ledger:
        ledger.register_key(
            officer, owner="Pol.Capt. Malee", purpose="officer", actor=ACTOR, software=SOFTWARE
        )
        signed = ledger.append("seized", actor=ACTOR, exhibit="EX-009", software=SOFTWARE, signer=workstation)
    other = officer.sign(bytes.fromhex(signed.entry_hash)).hex()
    tamper(path, ("UPDATE entries SET signature = ? WHERE seq = ?", (other, signed.seq)))
    report = verify(path)
    assert report.first_bad_seq == signed.seq == 8
    reason = report.problems[0].reason
    assert f"entry 8: its signature was made with key {officer.key_id} (Pol.Capt. Malee)" in reason
    assert f"not with key {workstation.key_id} (Forensic workstation 3) that the entry names" in reason


def test_stripped_signature(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(15, signer=Signer.generate())
    tamper(path, "UPDATE entries SET signature = NULL WHERE seq = 7")
    report = verify(path)
    assert report.first_bad_seq == 7
    assert "entry 7: it names signing key" in report.problems[0].reason
    assert "carries no signature — the signature was removed" in report.problems[0].reason


def test_stripped_signature_and_key_reference(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(15, signer=Signer.generate())
    tamper(path, "UPDATE entries SET signature = NULL, key_id = NULL WHERE seq = 7")
    report = verify(path)
    assert report.first_bad_seq == 7
    assert "entry 7: its content does not match its recorded hash" in report.problems[0].reason


def test_content_changed_with_hash_recomputed_breaks_signature_and_chain(
    build_ledger: Callable[..., Path],
) -> None:
    from chain_of_custody import compute_entry_hash
    from chain_of_custody.entry import Entry

    path = build_ledger(12, signer=Signer.generate())
    row = read_rows(path)[5]
    row["actor"] = "Someone Else"
    entry = Entry.from_row(tuple(row.values()))
    tamper(
        path,
        (
            "UPDATE entries SET actor = ?, entry_hash = ? WHERE seq = 6",
            (row["actor"], compute_entry_hash(entry)),
        ),
    )
    report = verify(path)
    assert report.first_bad_seq == 6
    text = reasons(report)
    assert "entry 6: its signature does not match key" in text
    assert "entry 7: the previous-entry link does not match entry 6" in text


def test_rewritten_history_caught_against_earlier_checkpoint(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    with Ledger.open(path) as ledger:
        earlier = ledger.checkpoint()
        short = Ledger.open(path, readonly=True).checkpoint(20)

    def change_entry_10(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[9]["actor"] = "Someone Else"
        return rows

    rewrite_history(path, change_entry_10)
    assert verify(path).ok  # consistent in itself: only an earlier checkpoint shows the rewrite
    report = verify(path, expect=earlier)
    assert not report.ok
    assert report.extends_expected is False
    assert (
        "the first 30 entries no longer hash to the root of the expected checkpoint 30:"
        in report.problems[0].reason
    )
    assert "were rewritten" in report.problems[0].reason
    # A checkpoint from before the rewritten entry is still extended; from after it, not.
    assert verify(path, expect=Ledger.open(path, readonly=True).checkpoint(9)).ok
    assert not verify(path, expect=short).ok


def test_rewritten_history_with_prefix_checkpoint_from_a_label(build_ledger: Callable[..., Path]) -> None:
    from chain_of_custody import Checkpoint

    path = build_ledger(25)
    with Ledger.open(path, readonly=True) as ledger:
        label = Checkpoint.parse(ledger.checkpoint().short())
    assert label.is_prefix
    assert verify(path, expect=label).extends_expected is True
    rewrite_history(path, lambda rows: rows[:12] + rows[13:])  # entry 13 removed, the rest renumbered
    report = verify(path, expect=label)
    assert report.extends_expected is False
    assert "the ledger ends at entry 24 but the expected checkpoint 25:" in report.problems[0].reason


def test_signed_rewrite_by_attacker_without_the_key(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(10, signer=Signer.generate())

    def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[4]["location"] = "somewhere else"
        return rows

    rewrite_history(path, change)
    report = verify(path)
    assert report.first_bad_seq == 5
    assert "entry 5: its signature does not match key" in report.problems[0].reason


def test_entry_signed_with_key_registered_later(build_ledger: Callable[..., Path]) -> None:
    workstation, officer = Signer.generate(), Signer.generate()
    path = build_ledger(3, signer=workstation)
    with Ledger.open(path) as ledger:
        ledger.register_key(
            officer, owner="Pol.Capt. Malee", purpose="officer", actor=ACTOR, software=SOFTWARE
        )
        ledger.append("seized", actor=ACTOR, software=SOFTWARE, signer=officer)

    def move_registration_to_the_end(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows[:3] + rows[4:] + [rows[3]]

    rewrite_history(
        path, move_registration_to_the_end, {workstation.key_id: workstation, officer.key_id: officer}
    )
    report = verify(path)
    assert report.first_bad_seq == 4
    assert (
        f"entry 4: it is signed with key {officer.key_id}, which was only registered later, at entry 5"
        in (report.problems[0].reason)
    )


def test_entry_signed_with_unregistered_key(build_ledger: Callable[..., Path]) -> None:
    workstation, officer = Signer.generate(), Signer.generate()
    path = build_ledger(3, signer=workstation)
    with Ledger.open(path) as ledger:
        ledger.register_key(
            officer, owner="Pol.Capt. Malee", purpose="officer", actor=ACTOR, software=SOFTWARE
        )
        ledger.append("seized", actor=ACTOR, software=SOFTWARE, signer=officer)
    rewrite_history(
        path, lambda rows: rows[:3] + rows[4:], {workstation.key_id: workstation, officer.key_id: officer}
    )
    report = verify(path)
    assert report.first_bad_seq == 4
    assert (
        f"entry 4: it is signed with key {officer.key_id}, which is not registered anywhere"
        in report.problems[0].reason
    )


def test_entry_copied_from_another_case(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(8)

    def other_case(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[5]["case_id"] = "TH-2026-0999"
        return rows

    rewrite_history(path, other_case)
    report = verify(path)
    assert report.first_bad_seq == 6
    assert "entry 6: it belongs to case 'TH-2026-0999', not to this ledger's case 'TH-2026-0042'" in reasons(
        report
    )


def test_clock_going_backwards_is_a_warning(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(8)

    def earlier(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[4]["timestamp"] = "2001-01-01T00:00:00.000000Z"
        return rows

    rewrite_history(path, earlier)
    report = verify(path)
    assert report.ok
    assert [w.seq for w in report.warnings] == [5]
    assert "earlier than that of the entry before it" in report.warnings[0].reason


def test_malformed_timestamp(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(8)

    def local_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[2]["timestamp"] = "28/11/2569 07:48"
        return rows

    rewrite_history(path, local_time)
    report = verify(path)
    assert report.first_bad_seq == 3
    assert "entry 3: its time '28/11/2569 07:48' is not a UTC time" in report.problems[0].reason


def test_merkle_tree_node_edited(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20)
    tamper(path, "UPDATE tree_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 2")
    report = verify(path)
    assert report.first_bad_seq == 9  # level 2, index 2 covers entries 9–12
    assert "the Merkle tree stored with the ledger does not match the entries from entry 9 on" in reasons(
        report
    )
    assert "1 tree node differs" in reasons(report)


def test_merkle_tree_nodes_missing(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20)
    tamper(path, "DELETE FROM tree_nodes WHERE level = 0 AND idx >= 16")
    report = verify(path)
    assert report.first_bad_seq == 17
    assert "4 tree nodes differ or are missing" in reasons(report)


def test_text_that_is_not_utf8(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(10)
    tamper(path, "UPDATE entries SET actor = CAST(X'536F6D6368C3' AS TEXT) WHERE seq = 6")
    report = verify(path)
    assert report.first_bad_seq == 6
    assert "entry 6: its content does not match its recorded hash" in report.problems[0].reason


def test_equivalent_details_layout_is_a_warning_not_a_problem(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(5)
    tamper(path, """UPDATE entries SET details = replace(details, '{"i":', '{ "i" : ') WHERE seq = 3""")
    report = verify(path)
    assert report.ok, reasons(report)
    assert any(w.seq == 3 and "equivalent JSON layout" in w.reason for w in report.warnings)


def test_registration_with_altered_public_key(build_ledger: Callable[..., Path]) -> None:
    signer = Signer.generate()
    path = build_ledger(6, signer=signer)
    intruder = Signer.generate()

    def swap_key(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[0]["details"] = rows[0]["details"].replace(signer.public_key_hex, intruder.public_key_hex)
        return rows

    rewrite_history(path, swap_key)
    report = verify(path)
    assert report.first_bad_seq == 1
    assert (
        f"entry 1: it registers a signing key, but it names key {signer.key_id} but that public key"
        in reasons(report)
    )


def test_forged_stored_checkpoint(build_ledger: Callable[..., Path]) -> None:
    signer = Signer.generate()
    path = build_ledger(6, signer=signer)
    with Ledger.open(path) as ledger:
        ledger.sign_checkpoint(signer)
    tamper(path, "UPDATE checkpoints SET timestamp = '2026-01-01T00:00:00.000000Z'")
    report = verify(path)
    assert not report.ok
    assert report.checkpoints_checked == 1
    assert "its signature does not match key" in report.problems[0].reason
    assert "the checkpoint was altered or forged" in report.problems[0].reason


@pytest.mark.parametrize(
    "statements",
    [
        [],
        ["UPDATE entries SET actor = 'x' WHERE seq = 13"],
        ["DELETE FROM entries WHERE seq = 15"],  # the first entry of a range
        ["DELETE FROM entries WHERE seq BETWEEN 14 AND 16"],  # across a range boundary
        ["UPDATE entries SET signature = NULL WHERE seq = 29"],
        ["UPDATE entries SET signature = '" + hashlib.sha512(b"x").hexdigest() + "' WHERE seq IN (8, 31)"],
        ["UPDATE entries SET timestamp = '2001-01-01T00:00:00.000000Z' WHERE seq = 22"],
        ["DELETE FROM entries WHERE seq = 1"],
        ["DELETE FROM entries WHERE seq > 36", "DELETE FROM tree_nodes WHERE ((idx + 1) << level) > 36"],
    ],
)
def test_parallel_ranges_find_exactly_what_one_process_finds(
    build_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, statements: list[str]
) -> None:
    import chain_of_custody.verify as verify_module

    path = build_ledger(40, signer=Signer.generate())
    if statements:
        tamper(path, *statements)
    alone = verify(path, workers=1)
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 10)
    monkeypatch.setattr(verify_module, "RANGE_SIZE", 7)  # ranges end at 7, 14, 21, 28, 34, 40
    used: list[int] = []
    original = verify_module._Verifier._scan_in_workers

    def spy(self: verify_module._Verifier, top: int, total: int, workers: int, progress: Any) -> Any:
        result = original(self, top, total, workers, progress)
        used.append(len(result or []))
        return result

    monkeypatch.setattr(verify_module._Verifier, "_scan_in_workers", spy)
    together = verify(path, workers=2)
    assert used and used[0] >= 5
    assert together.to_dict() == alone.to_dict()
    clean_cut = bool(statements) and statements[0].startswith("DELETE FROM entries WHERE seq > 36")
    assert together.ok == (not statements or clean_cut)  # a clean cut needs a checkpoint to be seen


def test_verify_never_writes(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(12, signer=Signer.generate())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with Ledger.open(path, readonly=True) as ledger:
        assert ledger.verify().ok
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_entries_cut_off_but_their_tree_nodes_left(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(20)
    tamper(path, "DELETE FROM entries WHERE seq > 12")
    report = verify(path)
    assert report.first_bad_seq == 13
    assert "does not match the entries from entry 13 on" in reasons(report)


def test_parallel_verify_beside_a_running_thread_uses_spawn(
    build_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import chain_of_custody.verify as verify_module

    path = build_ledger(30, signer=Signer.generate())
    tamper(path, "UPDATE entries SET actor = 'x' WHERE seq = 20")
    monkeypatch.setattr(verify_module, "PARALLEL_FROM", 10)
    monkeypatch.setattr(verify_module, "RANGE_SIZE", 10)
    methods: list[str] = []
    original = verify_module._pool_context

    def spy() -> Any:
        context = original()
        methods.append(context.get_start_method())
        return context

    monkeypatch.setattr(verify_module, "_pool_context", spy)
    stop = threading.Event()
    progress_bar = threading.Thread(target=stop.wait)  # as a progress bar's refresh thread would be
    progress_bar.start()
    try:
        report = verify(path, workers=2)
    finally:
        stop.set()
        progress_bar.join()
    assert methods == ["spawn"]
    assert report.first_bad_seq == 20 and report.signed == 30 and report.entries == 30
