from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers import add_exhibit, cli, cli_json, make_case


def test_handover_logged_shown_and_verified(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    entry = cli_json(
        "custody",
        "log",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--action",
        "transferred",
        "--to",
        "Sgt. Malee (evidence room)",
        "--reason",
        "storage pending analysis",
        "--location",
        "TCSD HQ, Bangkok",
    )
    assert entry["action"] == "transferred" and entry["to_party"] == "Sgt. Malee (evidence room)"
    cli(
        "custody",
        "log",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--action",
        "received",
        "--from",
        "Pol.Lt. Somchai Jaidee",
        "--examiner",
        "Sgt. Malee",
    )
    shown = cli_json("custody", "show", "--case", root, "--exhibit", "EX-001")
    assert [e["action"] for e in shown] == ["exhibit_registered", "transferred", "received"]
    assert cli_json("exhibit", "show", "EX-001", "--case", root)["custody"]["holder"] == "Sgt. Malee"
    report = cli_json("custody", "verify", "--case", root)
    assert report["ok"] is True and report["entries"] == 5
    table = cli("custody", "show", "--case", root).stdout
    assert "transferred" in table and "Sgt. Malee" in table


def test_manual_log_checks_its_fields(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    assert (
        "needs --to"
        in cli(
            "custody", "log", "--case", root, "--exhibit", "EX-001", "--action", "transferred", expect=2
        ).stderr
    )
    assert (
        "cannot be logged by hand"
        in cli(
            "custody",
            "log",
            "--case",
            root,
            "--exhibit",
            "EX-001",
            "--action",
            "acquisition_completed",
            expect=2,
        ).stderr
    )
    assert (
        "EX-001"
        in cli(
            "custody",
            "log",
            "--case",
            root,
            "--exhibit",
            "EX-9",
            "--action",
            "stored",
            "--location",
            "room 4",
            expect=3,
        ).stderr
    )
    noted = cli_json(
        "custody",
        "log",
        "--case",
        root,
        "--action",
        "note",
        "--reason",
        "ข้อสังเกต: ซองปิดผนึกสมบูรณ์",
        "--at",
        "2568-03-15 08:00",
    )
    assert noted["details"]["occurred_at"].startswith("2025-03-15T01:00:00")


def test_verify_names_a_changed_entry_and_fails(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    cli("custody", "log", "--case", root, "--exhibit", "EX-001", "--action", "stored", "--location", "Room 4")
    conn = sqlite3.connect(root / "ledger.sqlite")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE entries SET location = 'Room 9' WHERE action = 'stored'")
    conn.commit()
    conn.close()
    result = cli("custody", "verify", "--case", root, expect=5)
    assert "entry 4" in result.stderr and "entry 4: entry 4" not in result.stderr  # named once
    # No signed checkpoint vouches for a ledger that fails verification: none is stored, none printed.
    conn = sqlite3.connect(root / "ledger.sqlite")
    signed_before = conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
    head = cli("custody", "head", "--case", root, "--json", expect=5)
    assert head.stdout == "" and "entry 4" in head.stderr and "chain of custody is broken" in head.stderr
    assert "entry 4: entry 4" not in head.stderr
    assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == signed_before
    conn.close()


def test_head_checkpoint_detects_truncation(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    head = cli_json("custody", "head", "--case", root)
    assert head["head"].startswith("3:")
    short = cli("custody", "head", "--case", root).stdout.splitlines()[0]
    assert short.startswith("3:") and len(short) < 40
    said = cli("custody", "verify", "--case", root, "--expect-head", head["head"]).stderr
    assert (
        said.startswith("✓ chain intact: 3 entries")
        and "[green]" not in said
        and "extends checkpoint" in said
    )
    cli("custody", "verify", "--case", root, "--expect-head", short)
    qr = cli("custody", "head", "--case", root, "--qr").stdout
    assert "█" in qr or "▀" in qr
    bogus = head["head"].split(":")[0] + ":" + "0" * 64
    assert cli("custody", "verify", "--case", root, "--expect-head", bogus, expect=5).exit_code == 5
    assert cli("custody", "verify", "--case", root, "--expect-head", "nonsense", expect=2).exit_code == 2


def test_prove_and_keygen(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    proof = cli_json("custody", "prove", "--case", root, "--entry", "2")
    assert proof["verifies"] is True and proof["entry"]["seq"] == 2
    key = cli_json("custody", "keygen", "--case", root, "--examiner", "ร.ต.อ. สมชาย")
    assert len(key["key_id"]) == 16
    signed = cli_json(
        "custody",
        "log",
        "--case",
        root,
        "--exhibit",
        "EX-001",
        "--action",
        "stored",
        "--location",
        "Room 4",
        "--examiner",
        "ร.ต.อ. สมชาย",
    )
    assert signed["key_id"] == key["key_id"] and signed["signature"]
    assert cli_json("custody", "verify", "--case", root)["signed"] >= 2
    assert (
        "already has a key"
        in cli("custody", "keygen", "--case", root, "--examiner", "ร.ต.อ. สมชาย", expect=6).stderr
    )


@pytest.mark.parametrize("name", ["", "   ", "Sgt.\x1b[2J Malee"])
def test_keygen_for_an_empty_or_unprintable_name_is_a_usage_error(tmp_path: Path, name: str) -> None:
    root = make_case(tmp_path / "case")
    result = cli("custody", "keygen", "--case", root, "--examiner", name, expect=2)
    assert f"error: officer name {name!r} is empty or holds control characters" in result.stderr
    assert "what to do: give the officer's name as printed on the ID" in result.stderr
    assert [e["action"] for e in cli_json("custody", "show", "--case", root)] == [
        "case_created",
        "key_registered",
    ]


def test_a_key_file_others_can_read_is_refused_with_how_to_fix_it(tmp_path: Path) -> None:
    """A key store restored with mode 644: the tool does not sign with it, and says how to fix it."""
    import os

    root = make_case(tmp_path / "case")
    key = Path(os.environ["EVIDENCE_INTAKE_KEYS"]) / "workstation.key"
    key.chmod(0o644)
    for command in (["custody", "head"], ["report", "custody", "--format", "html"]):
        result = cli(*command, "--case", root, expect=1)
        assert "workstation.key" in result.stderr and "chmod 600" in result.stderr
        assert "Traceback" not in result.stderr and "restore it from a backup" not in result.stderr


def test_a_damaged_ledger_page_is_reported_by_verify_and_show_never_as_a_traceback(tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from evidence_intake.cli import app

    origin = make_case(tmp_path / "origin")
    for n in range(1, 40):
        add_exhibit(origin, f"EX-{n:03d}")
    seen = set()
    for page in range(2, 20):
        root = tmp_path / f"case-{page}"
        shutil.copytree(origin, root)
        with open(root / "ledger.sqlite", "r+b") as fh:
            if fh.seek(0, 2) < 4096 * (page + 1):
                continue
            fh.seek(4096 * page + 8)
            fh.write(b"\xa5" * 2000)
        commands = (
            ["custody", "verify"],
            ["custody", "show"],
            ["custody", "show", "--json"],
            ["custody", "head"],
        )
        for command in commands:
            result = CliRunner().invoke(app, [*command, "--case", str(root)])
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"page {page}, {command}: {result.exception!r}"
            )
            if result.exit_code != 0:
                seen.add(command[1])
                assert "ledger" in result.stderr, (page, command, result.stderr)
    assert {"verify", "head"} <= seen  # found by the command meant to find it, and before any signature
