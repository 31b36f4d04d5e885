"""Encrypted iPhone backups are opened with their password, and read exactly as the plain backup.

The encrypted backups are made by tests.evidence.ios_encrypted from the plain backups of
test_iosbackup, and read both by the tool and by iphone_backup_decrypt, an independent decryptor.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from evidence_intake.evidence.iosbackup import IosBackupTree
from evidence_intake.evidence.model import EntryType
from tests.evidence.ios_encrypted import encrypt_backup
from tests.evidence.test_iosbackup import Row, build_backup, phone_rows
from tests.helpers import add_exhibit, cli, cli_json, make_case

PASSWORD = "รหัส 2568-Backup"
SMS = "/private/var/mobile/Library/SMS/sms.db"


def _listing(tree: IosBackupTree) -> list[tuple[str, EntryType, int, object, object]]:
    return [(e.path, e.type, e.size, e.mtime, e.link_target) for e in tree.walk()]


def _contents(tree: IosBackupTree) -> dict[str, bytes]:
    out = {}
    for entry in tree.walk():
        if entry.type is EntryType.FILE:
            try:
                with tree.open(entry) as stream:
                    out[entry.path] = stream.read()
            except Exception as exc:  # the missing stored file must fail the same way in both
                out[entry.path] = type(exc).__name__.encode()
    return out


@pytest.fixture
def backups(tmp_path: Path) -> tuple[Path, Path]:
    plain = build_backup(tmp_path / "plain", phone_rows())
    encrypted = tmp_path / "encrypted"
    shutil.copytree(plain, encrypted)
    encrypt_backup(encrypted, PASSWORD)
    return plain, encrypted


def test_the_password_opens_it_and_every_file_reads_as_in_the_plain_backup(
    backups: tuple[Path, Path],
) -> None:
    plain, encrypted = backups
    assert (encrypted / "Manifest.db").read_bytes()[:16] != b"SQLite format 3\x00"
    with IosBackupTree(plain) as clear, IosBackupTree(encrypted, password=PASSWORD) as opened:
        assert _listing(opened) == _listing(clear)
        assert _contents(opened) == _contents(clear)
        assert [p.reason for p in opened.problems] == [p.reason for p in clear.problems]  # no size complaints
        assert opened.volumes()[0].description == "iOS backup (encrypted, opened with the password given)"
        sms = opened.lookup(SMS)
        assert sms is not None
        with opened.open(sms) as stream, IosBackupTree(plain) as again:
            original = again.lookup(SMS)
            assert original is not None
            with again.open(original) as reference:
                expected = reference.read()
            for offset, size in ((0, 16), (15, 2), (17, 33), (4095, 4098), (len(expected) - 5, 100)):
                stream.seek(offset)
                assert stream.read(size) == expected[offset : offset + size], (offset, size)


def test_an_independent_decryptor_reads_the_same_backup_the_same_way(backups: tuple[Path, Path]) -> None:
    """The writer of these test backups follows the format: iphone_backup_decrypt reads them too."""
    from iphone_backup_decrypt import EncryptedBackup

    plain, encrypted = backups
    reference = EncryptedBackup(backup_directory=str(encrypted), passphrase=PASSWORD)
    with IosBackupTree(plain) as clear:
        expected = clear.lookup(SMS)
        assert expected is not None
        with clear.open(expected) as stream:
            content = stream.read()
    assert reference.extract_file_as_bytes("Library/SMS/sms.db", domain_like="HomeDomain") == content


def test_a_wrong_password_or_none_lists_nothing_and_says_why(backups: tuple[Path, Path]) -> None:
    _, encrypted = backups
    with IosBackupTree(encrypted, password="not it") as tree:
        assert list(tree.walk()) == [] and tree.lookup(SMS) is None
        (problem,) = tree.problems
        assert (problem.kind, problem.reason) == (
            "encrypted",
            "encrypted iOS backup: the password given does not open it; nothing is listed",
        )
        assert "not it" not in repr(tree.problems)
    with IosBackupTree(encrypted) as tree:
        assert list(tree.walk()) == []
        assert "give its password" in tree.problems[0].reason


def test_a_stored_file_cut_short_is_reported_and_reads_short(tmp_path: Path) -> None:
    rows = [Row("HomeDomain", "Library/SMS", 2), Row("HomeDomain", "Library/SMS/sms.db", 1, b"x" * 1000)]
    folder = build_backup(tmp_path / "b", rows)
    encrypt_backup(folder, PASSWORD)
    stored = next(p for p in folder.glob("??/*") if p.is_file())
    stored.write_bytes(stored.read_bytes()[:512])
    with IosBackupTree(folder, password=PASSWORD) as tree:
        (entry,) = [e for e in tree.walk() if e.type is EntryType.FILE]
        assert entry.size == 1000
        (problem,) = tree.problems
        assert problem.reason.endswith("has 512 bytes but Manifest.db says 1008 (1000 encrypted)")
        with tree.open(entry) as stream:
            assert stream.read() == b"x" * 512


def test_files_and_extract_read_an_encrypted_backup_with_key_and_record_no_password(tmp_path: Path) -> None:
    from tests.parsers.ios.test_sms import sms_db

    evidence = sms_db(tmp_path / "sms")  # Messages' real schema, ten messages
    rows = [
        Row("HomeDomain", "Library", 2),
        Row("HomeDomain", "Library/SMS", 2),
        Row(
            "HomeDomain",
            "Library/SMS/sms.db",
            1,
            (evidence / "private/var/mobile/Library/SMS/sms.db").read_bytes(),
        ),
    ]
    backup = build_backup(tmp_path / "00008110-001A2B3C4D5E801E", rows)
    encrypt_backup(backup, PASSWORD)
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-002")
    cli("acquire", backup, "--exhibit", "EX-002", "--case", root)
    listed = cli_json("files", "--exhibit", "EX-002", "--case", root, "--key", f"*={PASSWORD}")
    assert SMS in {e["path"] for e in listed["entries"]}
    locked = cli_json("files", "--exhibit", "EX-002", "--case", root)
    assert locked["entries"] == [] and "give its password" in locked["problems"][0]["reason"]
    cli("extract", "--exhibit", "EX-002", "--case", root, "--key", f"*={PASSWORD}", "--jobs", "0")
    with sqlite3.connect(root / "artefacts.sqlite") as store:
        bodies = {r[0] for r in store.execute("SELECT body FROM messages WHERE exhibit = 'EX-002'")}
    assert "สวัสดีค่ะ" in bodies and "收到" in bodies
    ledger = (root / "ledger.sqlite").read_bytes()
    assert PASSWORD.encode() not in ledger and PASSWORD.encode("utf-16-le") not in ledger
    started = [e for e in cli_json("custody", "show", "--case", root) if e["action"] == "extraction_started"]
    assert json.dumps(started[-1]["details"]["keys_given_for"]) == '["*"]'


def test_a_password_given_as_the_volume_name_never_reaches_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--key SECRET` (without '*=') takes SECRET for a volume name and asks for the key: the name is
    not recorded unless the exhibit has such a volume."""
    import typer

    rows = [Row("HomeDomain", "Library", 2), Row("HomeDomain", "Library/a.txt", 1, b"a")]
    backup = build_backup(tmp_path / "00008110-001A2B3C4D5E801E", rows)
    encrypt_backup(backup, PASSWORD)
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-002")
    cli("acquire", backup, "--exhibit", "EX-002", "--case", root)
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "not a key")
    cli("extract", "--exhibit", "EX-002", "--case", root, "--key", "Hunter2-Backup-Pass", "--jobs", "0")
    assert b"Hunter2-Backup-Pass" not in (root / "ledger.sqlite").read_bytes()
