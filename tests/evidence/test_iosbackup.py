from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.iosbackup import IosBackupTree, device_path, file_id, parse_mbfile
from evidence_intake.evidence.logical import detect_logical
from evidence_intake.evidence.model import EntryType
from tests.evidence.logical_samples import snapshot

# The schema iTunes/Finder writes (iOS 10 and later).
MANIFEST_SCHEMA = """
CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
CREATE INDEX FilesDomainIdx ON Files(domain);
CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
CREATE INDEX FilesFlagsIdx ON Files(flags);
CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
"""
MTIME, BIRTH, CHANGED = 1_741_944_600, 1_700_000_000, 1_741_944_700


@dataclass(frozen=True)
class Row:
    domain: str
    relative: str
    flags: int  # 1 file, 2 directory, 4 symlink
    data: bytes = b""
    target: str = ""
    stored: bool = True


def mbfile(row: Row, inode: int) -> bytes:
    """An MBFile as the backup stores it: an NSKeyedArchiver binary property list."""
    mode = {1: 0o100644, 2: 0o040755, 4: 0o120755}[row.flags]
    root: dict[str, object] = {
        "$class": plistlib.UID(3),
        "RelativePath": plistlib.UID(2),
        "LastModified": MTIME,
        "Birth": BIRTH,
        "LastStatusChange": CHANGED,
        "Mode": mode,
        "InodeNumber": inode,
        "Size": len(row.data) if row.flags == 1 else 0,
        "UserID": 501,
        "GroupID": 501,
        "ProtectionClass": 3,
        "Flags": 0,
    }
    objects: list[object] = [
        "$null",
        root,
        row.relative,
        {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]},
    ]
    if row.target:
        root["Target"] = plistlib.UID(4)
        objects.append(row.target)
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def sms_db() -> bytes:
    with sqlite3.connect(":memory:") as db:
        db.executescript(
            """
            CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, country TEXT,
              service TEXT NOT NULL, uncanonicalized_id TEXT);
            CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL, text TEXT,
              handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, is_from_me INTEGER DEFAULT 0);
            INSERT INTO handle VALUES (1, '+66812345678', 'th', 'SMS', NULL);
            INSERT INTO message VALUES (1, 'A1', 'รหัส OTP ของคุณคือ 123456', 1, 'SMS', 763637400000000000, 0);
            """
        )
        return db.serialize()


def phone_rows() -> list[Row]:
    return [
        Row("HomeDomain", "", 2),
        Row("HomeDomain", "Library", 2),
        Row("HomeDomain", "Library/SMS", 2),
        Row("HomeDomain", "Library/SMS/sms.db", 1, sms_db()),
        Row(
            "MediaDomain",
            "Library/SMS/Attachments/ab/11/IMG_0001.HEIC",
            1,
            b"\x00\x00\x00\x18ftypheic" + bytes(500),
        ),
        Row("HomeDomain", "Library/Preferences/com.apple.mobilephone.plist", 4, target="../real.plist"),
        Row(
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "ChatStorage.sqlite",
            1,
            b"SQLite format 3\x00" + bytes(1000),
        ),
        Row(
            "AppDomain-jp.naver.line",
            "Library/Application Support/PrivateStore/P_u1/Messages/Line.sqlite",
            1,
            b"L",
        ),
        Row("HealthDomain", "Health/healthdb_secure.sqlite", 1, b"H" * 10),
        Row(
            "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles", "Library/x.plist", 1, b"P"
        ),
        Row("WirelessDomain", "Library/Databases/CellularUsage.db", 1, b"W"),
        Row("VendorFutureDomain", "notes/readme.txt", 1, b"?"),
        Row("HomeDomain", "Library/Notes/notes.sqlite", 1, b"N" * 20, stored=False),
    ]


def build_backup(folder: Path, rows: list[Row], *, encrypted: bool = False) -> Path:
    folder.mkdir(parents=True)
    when = datetime(2025, 3, 14, 2, 30)
    info = {
        "Device Name": "iPhone ของสมชาย",
        "Product Type": "iPhone14,2",
        "Product Version": "17.4.1",
        "Build Version": "21E236",
        "Serial Number": "F2LXK0A1B2C3",
        "Unique Identifier": "00008110-001A2B3C4D5E801E",
        "IMEI": "356789104567891",
        "Phone Number": "+66 81 234 5678",
        "Last Backup Date": when,
    }
    manifest: dict[str, object] = {
        "IsEncrypted": encrypted,
        "Version": "10.0",
        "WasPasscodeSet": True,
        "Date": when,
        "Lockdown": {"ProductVersion": "17.4.1", "DeviceName": info["Device Name"], "UniqueDeviceID": "x"},
    }
    if encrypted:
        manifest["BackupKeyBag"] = os.urandom(64)
        manifest["ManifestKey"] = os.urandom(44)
    status = {
        "IsFullBackup": False,
        "Version": "3.3",
        "BackupState": "new",
        "Date": when,
        "SnapshotState": "finished",
    }
    for name, content in (("Info.plist", info), ("Manifest.plist", manifest), ("Status.plist", status)):
        (folder / name).write_bytes(plistlib.dumps(content))
    if encrypted:
        (folder / "Manifest.db").write_bytes(os.urandom(8192))  # encrypted: not SQLite
        return folder
    db = sqlite3.connect(folder / "Manifest.db")
    db.executescript(MANIFEST_SCHEMA)
    for inode, row in enumerate(rows, start=1000):
        fid = file_id(row.domain, row.relative)
        db.execute(
            "INSERT INTO Files VALUES (?, ?, ?, ?, ?)",
            (fid, row.domain, row.relative, row.flags, mbfile(row, inode)),
        )
        if row.flags == 1 and row.stored:
            (folder / fid[:2]).mkdir(exist_ok=True)
            (folder / fid[:2] / fid).write_bytes(row.data)
    db.commit()
    db.close()
    return folder


def test_device_paths_follow_the_domains() -> None:
    assert device_path("HomeDomain", "Library/SMS/sms.db") == "/private/var/mobile/Library/SMS/sms.db"
    assert device_path("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.HEIC") == (
        "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC"
    )
    assert device_path("AppDomain-net.whatsapp.WhatsApp", "Documents/x") == (
        "/private/var/mobile/Containers/Data/Application/net.whatsapp.WhatsApp/Documents/x"
    )
    assert device_path("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite") == (
        "/private/var/mobile/Containers/Shared/AppGroup/group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite"
    )
    assert (
        device_path("AppDomainPlugin-com.x.share", "a")
        == "/private/var/mobile/Containers/Data/PluginKitPlugin/com.x.share/a"
    )
    assert (
        device_path("SysContainerDomain-com.apple.x", "a")
        == "/private/var/containers/Data/System/com.apple.x/a"
    )
    assert (
        device_path("HealthDomain", "Health/healthdb.sqlite")
        == "/private/var/mobile/Library/Health/healthdb.sqlite"
    )
    assert device_path("RootDomain", "Library/Caches/locationd/cache.plist") == (
        "/private/var/root/Library/Caches/locationd/cache.plist"
    )
    assert (
        device_path("KeychainDomain", "keychain-backup.plist")
        == "/private/var/Keychains/keychain-backup.plist"
    )
    assert (
        device_path("ManagedPreferencesDomain", "mobile/x.plist")
        == "/private/var/Managed Preferences/mobile/x.plist"
    )
    assert device_path("HomeDomain", "") == "/private/var/mobile"
    assert device_path("AppDomain-", "a") is None and device_path("SomethingNew", "a") is None


def test_a_backup_shows_device_paths_with_metadata_and_content(tmp_path: Path) -> None:
    rows = phone_rows()
    folder = build_backup(tmp_path / "00008110-001A2B3C4D5E801E", rows)
    before = snapshot(folder)
    manifest_hash = hashlib.sha256((folder / "Manifest.db").read_bytes()).hexdigest()
    scratch = tmp_path / "scratch"

    assert detect_logical(folder) == "ios-backup"
    with IosBackupTree(folder, scratch=scratch) as tree:
        entries = {e.path: e for e in tree.walk()}
        sms = entries["/private/var/mobile/Library/SMS/sms.db"]
        assert (sms.type, sms.size, sms.name) == (EntryType.FILE, len(rows[3].data), "sms.db")
        assert sms.mtime == datetime.fromtimestamp(MTIME, UTC)
        assert sms.crtime == datetime.fromtimestamp(BIRTH, UTC)
        assert sms.ctime == datetime.fromtimestamp(CHANGED, UTC)
        assert (sms.mode, sms.uid, sms.gid, sms.inode) == (0o644, 501, 501, 1003)
        assert sms.filesystem == "ios-backup" and sms.locator[2:] == ("HomeDomain", "Library/SMS/sms.db")
        with tree.open(sms) as stream:
            assert stream.read() == rows[3].data
        assert tree.lookup("/private/var/mobile/Library/SMS/sms.db") == sms

        link = entries["/private/var/mobile/Library/Preferences/com.apple.mobilephone.plist"]
        assert (link.type, link.link_target) == (EntryType.LINK, "../real.plist")
        assert entries["/private/var/mobile/Library/SMS"].type is EntryType.DIRECTORY
        group = "/private/var/mobile/Containers/Shared/AppGroup/group.net.whatsapp.WhatsApp.shared"
        whatsapp = f"{group}/ChatStorage.sqlite"
        with tree.open(entries[whatsapp]) as stream:
            assert stream.read() == rows[6].data
        assert "/private/var/mobile/Library/Health/healthdb_secure.sqlite" in entries
        assert "/private/var/mobile/Library/SMS/Attachments/ab/11/IMG_0001.HEIC" in entries
        assert "/private/var/wireless/Library/Databases/CellularUsage.db" in entries
        assert "/VendorFutureDomain/notes/readme.txt" in entries
        assert (
            tree.lookup("/VendorFutureDomain/notes/readme.txt")
            == entries["/VendorFutureDomain/notes/readme.txt"]
        )
        assert len(entries) == len(rows)

        problems = {(p.where, p.kind) for p in tree.problems}
        assert problems == {
            ("/VendorFutureDomain", "unsupported"),
            ("/private/var/mobile/Library/Notes/notes.sqlite", "unreadable"),
        }
        assert tree.info.device_name == "iPhone ของสมชาย" and tree.info.imei == "356789104567891"
        assert tree.info.last_backup == datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
        assert tree.info.encrypted is False and tree.info.snapshot_state == "finished"
        assert list(scratch.iterdir())  # Manifest.db was read from a copy there
    assert not list(scratch.iterdir())  # and the copy is gone
    assert snapshot(folder) == before
    assert hashlib.sha256((folder / "Manifest.db").read_bytes()).hexdigest() == manifest_hash


def test_an_encrypted_backup_needs_its_password_and_lists_nothing(tmp_path: Path) -> None:
    folder = build_backup(tmp_path / "enc", [], encrypted=True)
    assert detect_logical(folder) == "ios-backup"
    with IosBackupTree(folder) as tree:
        assert list(tree.walk()) == []
        assert tree.lookup("/private/var/mobile/Library/SMS/sms.db") is None
        (problem,) = tree.problems
        assert problem.kind == "encrypted"
        assert problem.reason.startswith("encrypted iOS backup: give its password to read it")
        assert tree.info.encrypted and tree.volumes()[0].description == "iOS backup (encrypted)"
    with IosBackupTree(folder, password="1234") as tree:  # its keybag here is random bytes
        (problem,) = tree.problems
        assert problem.kind == "corrupt" and "keybag is damaged" in problem.reason
        assert list(tree.walk()) == []


def test_backups_that_cannot_be_read_say_why(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "Manifest.mbdb").write_bytes(b"mbdb\x05\x00")
    with IosBackupTree(old) as tree:
        assert list(tree.walk()) == [] and tree.problems[0].kind == "unsupported"

    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "Manifest.db").write_bytes(os.urandom(4096))
    with IosBackupTree(garbled) as tree:
        assert list(tree.walk()) == [] and "not a SQLite database" in tree.problems[0].reason

    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect_logical(empty) == "folder"
    with pytest.raises(EvidenceError, match="not an iOS backup"):
        IosBackupTree(empty)


def test_damage_in_manifest_db_becomes_problems(tmp_path: Path) -> None:
    folder = build_backup(tmp_path / "damaged", [Row("HomeDomain", "Library/SMS/sms.db", 1, b"sms")])
    with sqlite3.connect(folder / "Manifest.db") as db:
        db.execute("INSERT INTO Files VALUES ('0000', 'HomeDomain', 'Library/x.db', 1, X'00')")
        db.execute("UPDATE Files SET file = X'62706c6973743030' WHERE relativePath = 'Library/SMS/sms.db'")
    with IosBackupTree(folder) as tree:
        entries = {e.path: e for e in tree.walk()}
        assert set(entries) == {"/private/var/mobile/Library/SMS/sms.db", "/private/var/mobile/Library/x.db"}
        assert entries["/private/var/mobile/Library/SMS/sms.db"].size == 3  # from the stored file
        reasons = sorted(p.reason for p in tree.problems)
        assert any("fileID 0000 does not match" in r for r in reasons)
        assert any("metadata blob cannot be read" in r for r in reasons)


def test_parse_mbfile_resolves_references() -> None:
    row = Row("HomeDomain", "Library/a", 4, target="/b")
    fields = parse_mbfile(mbfile(row, 7))
    assert fields["RelativePath"] == "Library/a" and fields["Target"] == "/b" and fields["InodeNumber"] == 7
    assert "$class" not in fields
