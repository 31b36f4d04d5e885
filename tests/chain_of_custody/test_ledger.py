"""The ledger's API: creating, appending, reading, keys, checkpoints and proofs from a real file."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chain_of_custody import (
    ACTIONS,
    GENESIS_HASH,
    KeyAlreadyRegisteredError,
    KeyNotRegisteredError,
    Ledger,
    LedgerError,
    LedgerExistsError,
    LedgerFullError,
    LedgerNotFoundError,
    LedgerReadOnlyError,
    Signer,
    UnknownActionError,
    compute_entry_hash,
    verify_consistency,
    verify_inclusion,
)
from chain_of_custody.canonical import canonical_json
from chain_of_custody.schema import APPLICATION_ID

from .conftest import ACTOR, SOFTWARE


def test_create_makes_an_empty_durable_ledger(ledger_path: Path) -> None:
    ledger_path.parent.mkdir()
    with Ledger.create(ledger_path, case_id="TH-2026-0042") as ledger:
        assert len(ledger) == 0
        assert ledger.last() is None
        assert ledger.case_id == "TH-2026-0042"
        assert (
            str(ledger.checkpoint()) == "0:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        assert ledger._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    header = ledger_path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert sorted(p.name for p in ledger_path.parent.iterdir()) == ["ledger.sqlite"]  # no temp files left


def test_create_refuses_an_existing_file(ledger_path: Path) -> None:
    ledger_path.parent.mkdir()
    ledger_path.write_text("an officer's notes")
    with pytest.raises(LedgerExistsError, match="already there") as caught:
        Ledger.create(ledger_path, case_id="c")
    assert isinstance(caught.value, FileExistsError)
    assert ledger_path.read_text() == "an officer's notes"


def test_create_needs_the_folder_and_a_case_id(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no such folder"):
        Ledger.create(tmp_path / "missing" / "ledger.sqlite", case_id="c")
    with pytest.raises(LedgerError, match="case id"):
        Ledger.create(tmp_path / "ledger.sqlite", case_id="  ")


def test_open_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LedgerNotFoundError, match="no such file") as caught:
        Ledger.open(tmp_path / "nope.sqlite")
    assert isinstance(caught.value, FileNotFoundError)
    assert not (tmp_path / "nope.sqlite").exists()


def test_append_returns_the_stored_entry(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(2)
    before = dt.datetime.now(dt.UTC)
    with Ledger.open(path) as ledger:
        entry = ledger.append(
            "transferred",
            actor=ACTOR,
            exhibit="EX-001",
            from_party="ร.ต.อ. สมชาย ใจดี",
            to_party="Evidence store, Bangkok",
            location="Myawaddy border checkpoint",
            reason="transport to the lab",
            details={"bag": "TH-SEAL-00001", "phones": 12, "weight_kg": 3.5, "note": "嫌疑人的手机"},
            host="intake-ws-03",
            software=SOFTWARE,
        )
        assert entry == ledger.entry(3) == ledger.last()
    assert entry.seq == 3
    assert entry.prev_hash == Ledger.open(path, readonly=True).entry(2).entry_hash
    assert entry.host == "intake-ws-03"
    assert entry.details == {"bag": "TH-SEAL-00001", "phones": 12, "weight_kg": 3.5, "note": "嫌疑人的手机"}
    assert entry.entry_hash == compute_entry_hash(entry)
    assert entry.signature is None and entry.key_id is None
    assert before <= entry.datetime <= dt.datetime.now(dt.UTC)
    assert entry.timestamp.endswith("Z") and len(entry.timestamp) == 27
    assert entry.to_dict()["details"]["note"] == "嫌疑人的手机"


def test_first_entry_links_to_zeros_and_default_host(ledger_path: Path) -> None:
    import socket

    ledger_path.parent.mkdir()
    with Ledger.create(ledger_path, case_id="c") as ledger:
        entry = ledger.append("case_created", actor=ACTOR, software=SOFTWARE)
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH == "0" * 64
    assert entry.host == socket.gethostname()


def test_unknown_action_is_refused_with_the_list(build_ledger: Callable[..., Path]) -> None:
    with Ledger.open(build_ledger(1)) as ledger:
        with pytest.raises(UnknownActionError, match="'aquired'") as caught:
            ledger.append("aquired", actor=ACTOR, software=SOFTWARE)
        assert isinstance(caught.value, ValueError)
        assert all(action in str(caught.value) for action in ACTIONS)
        with pytest.raises(LedgerError, match="register_key"):
            ledger.append("key_registered", actor=ACTOR, software=SOFTWARE)
        assert len(ledger) == 1


def test_required_actions_exist() -> None:
    required = """case_created exhibit_registered seized sealed seal_broken photographed transferred received
    stored acquisition_started acquisition_completed acquisition_failed verified verification_failed
    extraction_started extraction_completed parser_error report_generated exported returned disposed note
    key_registered""".split()
    assert set(required) <= ACTIONS


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"size": float("nan")}, "no JSON form"),
        ({"path": Path("/evidence/EX-001.E01")}, "PosixPath"),
        ({"msg_id": 2**63 - 1}, "cannot hold exactly"),
        ({"text": "broken \ud800 half"}, "surrogate"),
        (["not", "a", "mapping"], "mapping"),
    ],
)
def test_bad_details_are_refused_before_anything_is_written(
    build_ledger: Callable[..., Path], details: object, message: str
) -> None:
    with Ledger.open(build_ledger(1)) as ledger:
        with pytest.raises(LedgerError, match=message):
            ledger.append("note", actor=ACTOR, software=SOFTWARE, details=details)  # type: ignore[arg-type]
        assert len(ledger) == 1


def test_bad_text_fields_are_refused(build_ledger: Callable[..., Path]) -> None:
    with Ledger.open(build_ledger(1)) as ledger:
        with pytest.raises(LedgerError, match="actor"):
            ledger.append("note", actor="", software=SOFTWARE)
        with pytest.raises(LedgerError, match="exhibit"):
            ledger.append("note", actor=ACTOR, exhibit=7, software=SOFTWARE)  # type: ignore[arg-type]
        assert len(ledger) == 1


def test_details_are_stored_canonically(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(0)
    details = {"z": 1, "a": [1.0, 2.5, None, True], "ผู้ต้องหา": {"b": "嫌疑人"}}
    with Ledger.open(path) as ledger:
        ledger.append("note", actor=ACTOR, software=SOFTWARE, details=details)
    stored = sqlite3.connect(path).execute("SELECT details FROM entries").fetchone()[0]
    assert stored == canonical_json(details) == '{"a":[1,2.5,null,true],"z":1,"ผู้ต้องหา":{"b":"嫌疑人"}}'


def test_entries_filters_and_streams(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(30)
    with Ledger.open(path, readonly=True) as ledger:
        assert [e.seq for e in ledger.entries()] == list(range(1, 31))
        assert [e.seq for e in ledger.entries(start=5, end=8)] == [5, 6, 7, 8]
        ex2 = list(ledger.entries(exhibit="EX-002"))
        assert ex2 and all(e.exhibit == "EX-002" for e in ex2)
        assert [e.seq for e in ex2] == sorted(e.seq for e in ex2)
        sealed = list(ledger.entries(action="sealed", exhibit="EX-002"))
        assert all(e.action == "sealed" and e.exhibit == "EX-002" for e in sealed)
        assert list(ledger.entries(exhibit="EX-404")) == []
        with pytest.raises(UnknownActionError):
            list(ledger.entries(action="seizd"))
        with pytest.raises(LedgerError, match="no entry 31"):
            ledger.entry(31)


def test_readonly_ledger_refuses_writes(build_ledger: Callable[..., Path]) -> None:
    with Ledger.open(build_ledger(3), readonly=True) as ledger:
        with pytest.raises(LedgerReadOnlyError, match="read-only"):
            ledger.append("note", actor=ACTOR, software=SOFTWARE)
        with pytest.raises(LedgerReadOnlyError):
            ledger.sign_checkpoint(Signer.generate())
        assert len(ledger) == 3


def test_register_key_and_signed_entries(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(1)
    workstation, officer = Signer.generate(), Signer.generate()
    with Ledger.open(path) as ledger:
        registration = ledger.register_key(
            workstation, owner="Forensic workstation 3", purpose="workstation", actor=ACTOR, software=SOFTWARE
        )
        assert registration.action == "key_registered"
        assert registration.key_id == workstation.key_id  # proof of possession: signed by the new key
        assert registration.details == {
            "key_id": workstation.key_id,
            "public_key": workstation.public_key_hex,
            "owner": "Forensic workstation 3",
            "purpose": "workstation",
        }
        # An officer's public key registered by the workstation (the officer is not present).
        officer_entry = ledger.register_key(
            officer.public_key,
            owner="ร.ต.อ. หญิง มาลี",
            purpose="officer",
            actor=ACTOR,
            software=SOFTWARE,
            signer=workstation,
        )
        assert officer_entry.key_id == workstation.key_id
        signed = ledger.append("seized", actor="ร.ต.อ. หญิง มาลี", software=SOFTWARE, signer=officer)
        assert (
            signed.key_id == officer.key_id and signed.signature is not None and len(signed.signature) == 128
        )
        keys = ledger.public_keys()
        assert set(keys) == {workstation.key_id, officer.key_id}
        assert keys[officer.key_id].owner == "ร.ต.อ. หญิง มาลี"
        assert keys[officer.key_id].registered_seq == 3
        assert keys[workstation.key_id].public_key == workstation.public_key
        with pytest.raises(KeyAlreadyRegisteredError, match="already registered") as caught:
            ledger.register_key(officer, owner="again", purpose="officer", actor=ACTOR, software=SOFTWARE)
        assert caught.value.registered_seq == 3
        with pytest.raises(LedgerError, match="purpose"):
            ledger.register_key(
                Signer.generate(), owner="x", purpose="laptop", actor=ACTOR, software=SOFTWARE
            )
        with pytest.raises(LedgerError, match="32 raw bytes"):
            ledger.register_key(b"short", owner="x", purpose="officer", actor=ACTOR, software=SOFTWARE)
        assert len(ledger) == 4
        assert ledger.verify().signed == 3


def test_unregistered_signer_is_refused(build_ledger: Callable[..., Path]) -> None:
    with Ledger.open(build_ledger(2)) as ledger:
        stranger = Signer.generate()
        with pytest.raises(KeyNotRegisteredError, match=stranger.key_id):
            ledger.append("note", actor=ACTOR, software=SOFTWARE, signer=stranger)
        with pytest.raises(KeyNotRegisteredError):
            ledger.sign_checkpoint(stranger)
        with pytest.raises(KeyNotRegisteredError):
            new = Signer.generate()
            ledger.register_key(
                new, owner="x", purpose="officer", actor=ACTOR, software=SOFTWARE, signer=stranger
            )
        assert len(ledger) == 2


def test_signed_checkpoints_are_stored(build_ledger: Callable[..., Path]) -> None:
    from chain_of_custody import SignedCheckpoint, verify_checkpoint_signature

    workstation = Signer.generate()
    path = build_ledger(10, signer=workstation)
    with Ledger.open(path) as ledger:
        assert ledger.latest_signed_checkpoint() is None
        first = ledger.sign_checkpoint(workstation)
        ledger.append("note", actor=ACTOR, software=SOFTWARE)
        second = ledger.sign_checkpoint(workstation)
        assert ledger.latest_signed_checkpoint() == second
        assert ledger.signed_checkpoints() == [first, second]
    assert first.checkpoint.tree_size == 10 and second.checkpoint.tree_size == 11
    assert first.case_id == "TH-2026-0042" and first.key_id == workstation.key_id
    assert verify_checkpoint_signature(first, workstation.public_key_hex)
    assert not verify_checkpoint_signature(first, Signer.generate().public_key_hex)
    assert SignedCheckpoint.from_dict(json.loads(json.dumps(second.to_dict()))) == second
    report = Ledger.open(path, readonly=True).verify()
    assert report.ok and report.checkpoints_checked == 2


def test_checkpoints_and_proofs_from_the_ledger(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(37)
    with Ledger.open(path, readonly=True) as ledger:
        now = ledger.checkpoint()
        earlier = ledger.checkpoint(20)
        assert now.tree_size == 37 and earlier.tree_size == 20
        assert ledger.verify().checkpoint == now
        for seq in (1, 2, 19, 20, 37):
            proof = ledger.inclusion_proof(seq)
            assert proof.entry_hash == ledger.entry(seq).entry_hash
            assert verify_inclusion(proof, now)
            assert not verify_inclusion(proof, earlier)
        assert verify_inclusion(ledger.inclusion_proof(7, 20), earlier)
        consistency = ledger.consistency_proof(20)
        assert consistency.old_root == earlier.root_hash and consistency.new_root == now.root_hash
        assert verify_consistency(consistency, old=earlier, new=now)
        assert verify_consistency(ledger.consistency_proof(0))
        assert verify_consistency(ledger.consistency_proof(37))
        with pytest.raises(LedgerError, match="no inclusion proof"):
            ledger.inclusion_proof(38)
        with pytest.raises(LedgerError, match="no inclusion proof"):
            ledger.inclusion_proof(30, 20)
        with pytest.raises(LedgerError, match="no consistency proof"):
            ledger.consistency_proof(40)
        with pytest.raises(LedgerError, match="no checkpoint of 38"):
            ledger.checkpoint(38)


def test_full_disk_leaves_no_half_entry(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(5)
    with Ledger.open(path) as ledger:
        pages = ledger._conn.execute("PRAGMA page_count").fetchone()[0]
        ledger._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
        with pytest.raises(LedgerFullError, match="full") as caught:
            ledger.append("note", actor=ACTOR, software=SOFTWARE, details={"blob": "x" * 200_000})
        assert "intact" in (caught.value.hint or "")
        assert len(ledger) == 5
        ledger._conn.execute(f"PRAGMA max_page_count = {2**30}")  # space freed
        ledger.append("note", actor=ACTOR, software=SOFTWARE, details={"after": "the disk was full"})
    report = Ledger.open(path, readonly=True).verify()
    assert report.ok and report.entries == 6


def test_stored_tree_damage_stops_proofs(build_ledger: Callable[..., Path]) -> None:
    from ._attack import tamper

    path = build_ledger(8)
    tamper(path, "UPDATE tree_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 3")  # on entry 3's path
    with Ledger.open(path, readonly=True) as ledger:
        with pytest.raises(LedgerError, match="does not match"):
            ledger.inclusion_proof(3)
        with pytest.raises(LedgerError, match="inconsistent"):
            ledger.consistency_proof(3, 5)
        assert ledger.inclusion_proof(6).seq == 6  # proofs that do not touch the damage still work


def test_readonly_open_of_a_write_protected_file(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(4)
    os.chmod(path, 0o444)
    try:
        with Ledger.open(path, readonly=True) as ledger:
            assert ledger.verify().ok
    finally:
        os.chmod(path, 0o644)


def test_readonly_open_on_read_only_media_creates_no_files(
    build_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import chain_of_custody.ledger as ledger_module

    path = build_ledger(4)
    monkeypatch.setattr(ledger_module.os, "access", lambda *args, **kwargs: False)  # as on a DVD
    with Ledger.open(path, readonly=True) as ledger:
        assert ledger.verify().ok
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.sqlite"]


def test_progress_is_reported(build_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import chain_of_custody.rows as rows

    monkeypatch.setattr(rows, "BATCH", 7)
    calls: list[tuple[int, int]] = []
    with Ledger.open(build_ledger(20), readonly=True) as ledger:
        ledger.verify(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(7, 20), (14, 20), (20, 20)]


def test_details_holding_a_large_double_hash_the_same_when_read_back(
    build_ledger: Callable[..., Path],
) -> None:
    with Ledger.open(build_ledger(1)) as ledger:
        entry = ledger.append("note", actor=ACTOR, software=SOFTWARE, details={"bytes": 4.454858236144914e16})
        assert entry.details == {"bytes": 44548582361449140}
        assert compute_entry_hash(ledger.entry(entry.seq)) == entry.entry_hash
        assert ledger.verify().ok


def test_schema_changes_go_through_named_migrations(
    build_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlite_utils import Database

    import chain_of_custody.schema as schema

    path = build_ledger(3)
    applied = sqlite3.connect(path).execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    assert applied == [("chain_of_custody", "0001_initial")]
    conn = sqlite3.connect(path)
    assert schema.pending_migrations(conn, schema.MIGRATION_SET, schema.MIGRATIONS) == []

    def _exports(db: Database) -> None:
        db.execute("CREATE TABLE exports (id INTEGER PRIMARY KEY, path TEXT)")

    later = (*schema.MIGRATIONS, ("0002_exports", _exports))
    assert schema.pending_migrations(conn, schema.MIGRATION_SET, later) == ["0002_exports"]
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", later)
    with Ledger.open(path, readonly=True) as ledger:  # reading never migrates
        assert len(ledger) == 3
    assert "exports" not in {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    with Ledger.open(path) as ledger:
        assert ledger.verify().ok
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")] == [
        "0001_initial",
        "0002_exports",
    ]
    assert "exports" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_newer_format_is_refused(build_ledger: Callable[..., Path]) -> None:
    from ._attack import tamper

    path = build_ledger(1)
    tamper(path, "UPDATE meta SET value = '9' WHERE key = 'format_version'", keep_triggers_dropped=False)
    with pytest.raises(LedgerError, match="format 9") as caught:
        Ledger.open(path, readonly=True)
    assert "newer version" in (caught.value.hint or "")
