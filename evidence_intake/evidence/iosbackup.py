"""An iTunes/Finder backup of an iPhone as an evidence tree that shows DEVICE paths.

A backup folder stores each file under a hashed name, ``<fileID[:2]>/<fileID>`` with
fileID = SHA-1 of "<domain>-<relativePath>"; ``Manifest.db`` (table ``Files``) maps each fileID back
to its domain and path inside that domain, and carries the file's metadata as an NSKeyedArchiver
``MBFile`` property list (size, times, mode, inode, link target). This tree turns domain + path
into the path a file-system extraction of the phone would show, so the same parsers find
``/private/var/mobile/Library/SMS/sms.db`` whether the phone was imaged or backed up.

The domain → folder table follows what the public forensic tools use (iLEAPP's ``domains`` table,
and the relative paths seen in backups, e.g. HealthDomain's "Health/healthdb.sqlite" lives in
/private/var/mobile/Library/Health); docs/logical-sources.md lists it. App containers are shown
under their bundle or group id: a backup does not record the container UUID the phone uses.

Encrypted backups (Manifest.plist ``IsEncrypted``) are opened with their password
(iosbackup_crypto.py): Manifest.db is decrypted into scratch space and each file as it is read.
Without the password, or with a wrong one, such a tree lists nothing rather than garbage, and says why.
Backups from iOS 9 and older (Manifest.mbdb) are recognised and reported as not readable yet.

Manifest.db is evidence: it is copied to a scratch folder (hash of the copy checked against the
original) and only the copy is opened by SQLite.
"""

from __future__ import annotations

import hashlib
import io
import plistlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from evidence_intake.errors import EvidenceError, IntegrityError, NotFoundError
from evidence_intake.evidence.iosbackup_crypto import (
    BLOCK,
    BackupKeys,
    CbcStream,
    WrongPassword,
    decrypt_file,
)
from evidence_intake.evidence.logical_common import (
    CHUNK,
    ProblemLog,
    display_path,
    entry_name,
    open_no_atime,
    printable,
    utc_from_unix,
)
from evidence_intake.evidence.logical_detect import is_ios_backup
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume

# Domains whose files live under one fixed folder of the device.
DOMAIN_ROOTS: dict[str, str] = {
    "HomeDomain": "/private/var/mobile",
    "MediaDomain": "/private/var/mobile",
    "CameraRollDomain": "/private/var/mobile",
    "KeyboardDomain": "/private/var/mobile",
    "TonesDomain": "/private/var/mobile",
    "HomeKitDomain": "/private/var/mobile",
    "HealthDomain": "/private/var/mobile/Library",
    "BooksDomain": "/private/var/mobile/Media/Books",
    "RootDomain": "/private/var/root",
    "WirelessDomain": "/private/var/wireless",
    "SystemPreferencesDomain": "/private/var/preferences",
    "KeychainDomain": "/private/var/Keychains",
    "DatabaseDomain": "/private/var/db",
    "ManagedPreferencesDomain": "/private/var/Managed Preferences",
    "MobileDeviceDomain": "/private/var/MobileDevice",
    "InstallDomain": "/private/var/installd",
    "NetworkDomain": "/private/var/networkd",
    "ProtectedDomain": "/private/var/protected",
}
# Domains named "<prefix><identifier>": the identifier becomes a folder under the root.
# Longer prefixes first ("AppDomainGroup-" before "AppDomain-").
DOMAIN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("AppDomainGroup-", "/private/var/mobile/Containers/Shared/AppGroup"),
    ("AppDomainPlugin-", "/private/var/mobile/Containers/Data/PluginKitPlugin"),
    ("AppDomain-", "/private/var/mobile/Containers/Data/Application"),
    ("SysSharedContainerDomain-", "/private/var/containers/Shared/SystemGroup"),
    ("SysContainerDomain-", "/private/var/containers/Data/System"),
)
_FLAG_TYPES = {1: EntryType.FILE, 2: EntryType.DIRECTORY, 4: EntryType.LINK}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def file_id(domain: str, relative_path: str) -> str:
    """The name a backup stores a file under: SHA-1 of "<domain>-<relativePath>"."""
    return hashlib.sha1(f"{domain}-{relative_path}".encode(), usedforsecurity=False).hexdigest()


def domain_root(domain: str) -> str | None:
    """The device folder a domain's relative paths start from; None for a domain not known here."""
    if domain in DOMAIN_ROOTS:
        return DOMAIN_ROOTS[domain]
    for prefix, root in DOMAIN_PREFIXES:
        if domain.startswith(prefix) and len(domain) > len(prefix):
            return f"{root}/{domain[len(prefix) :]}"
    return None


def device_path(domain: str, relative_path: str) -> str | None:
    """Where a file of the backup lives on the phone; None for an unknown domain."""
    root = domain_root(domain)
    if root is None:
        return None
    return display_path(f"{root}/{relative_path}")


def parse_mbfile(blob: bytes) -> dict[str, Any]:
    """The fields of an NSKeyedArchiver ``MBFile`` blob, references resolved ("$null" → None)."""
    archive = plistlib.loads(blob)
    if not isinstance(archive, dict):
        raise ValueError("not a dictionary")
    if "$objects" not in archive:
        return archive  # a plain dictionary: take it as it is
    objects = archive["$objects"]
    root_ref = archive.get("$top", {}).get("root")
    if not isinstance(root_ref, plistlib.UID) or root_ref.data >= len(objects):
        raise ValueError("no root object")

    def resolve(value: Any) -> Any:
        if isinstance(value, plistlib.UID):
            value = objects[value.data] if value.data < len(objects) else None
            if value == "$null":
                return None
            if isinstance(value, dict) and "NS.data" in value:
                return value["NS.data"]
        return value

    root = objects[root_ref.data]
    if not isinstance(root, dict):
        raise ValueError("the root object is not a dictionary")
    return {key: resolve(value) for key, value in root.items() if key != "$class"}


def _aware(value: Any) -> datetime | None:
    """plistlib gives naive datetimes that are UTC by the format's definition."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupInfo:
    """What Info.plist, Manifest.plist and Status.plist say about the phone and the backup."""

    device_name: str | None = None
    product_type: str | None = None  # "iPhone14,2"
    product_version: str | None = None  # iOS version
    build_version: str | None = None
    serial_number: str | None = None
    udid: str | None = None
    imei: str | None = None
    phone_number: str | None = None
    last_backup: datetime | None = None
    encrypted: bool = False
    passcode_set: bool | None = None
    full_backup: bool | None = None
    snapshot_state: str | None = None  # "finished" when the backup completed

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return None


class IosBackupTree(EvidenceTree):
    """An iOS backup folder as a read-only tree of device paths.

    ``password`` opens an encrypted backup (it is kept only in memory, as the keys it unlocks);
    without it, or when it is wrong, the backup lists nothing and carries a Problem of kind
    "encrypted" that says so.
    ``scratch`` is where the copy of Manifest.db goes (the case scratch folder; the system's
    temporary folder when not given); the copy is deleted on ``close``.
    """

    def __init__(self, folder: Path, *, password: str | None = None, scratch: Path | None = None) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise NotFoundError(
                f"{self.folder} does not exist or is not a folder",
                path=self.folder,
                hint="give the backup folder (named after the phone's UDID), which holds Manifest.db",
            )
        if not is_ios_backup(self.folder):
            raise EvidenceError(
                f"{self.folder} holds no Manifest.db or Manifest.plist: it is not an iOS backup folder",
                path=self.folder,
                hint="give the folder named after the phone's UDID, inside MobileSync/Backup",
            )
        self.problems: list[Problem] = []
        self._log = ProblemLog(self.problems, str(self.folder))
        self._scratch = scratch
        self._copy_dir: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._unknown_domains: set[str] = set()
        self._keys: BackupKeys | None = None
        self._manifest_key: bytes | None = None
        self._manifest: dict[str, Any] = {}
        self.info = self._read_info()
        self.readable = self._check_manifest(password)

    # -- metadata -------------------------------------------------------------------------------

    def _plist(self, name: str) -> dict[str, Any]:
        path = self.folder / name
        if not path.is_file():
            return {}
        try:
            with path.open("rb") as source:
                data = plistlib.load(source)
        except (plistlib.InvalidFileException, ValueError, OSError) as exc:
            self._log.add(Problem(where=str(path), reason=f"{name} cannot be read: {exc}", kind="corrupt"))
            return {}
        return data if isinstance(data, dict) else {}

    def _read_info(self) -> BackupInfo:
        info, manifest, status = (
            self._plist("Info.plist"),
            self._plist("Manifest.plist"),
            self._plist("Status.plist"),
        )
        self._manifest = manifest
        lockdown = manifest.get("Lockdown") if isinstance(manifest.get("Lockdown"), dict) else {}
        assert isinstance(lockdown, dict)
        passcode = manifest.get("WasPasscodeSet")
        full = status.get("IsFullBackup")
        return BackupInfo(
            device_name=_text(info.get("Device Name"), lockdown.get("DeviceName")),
            product_type=_text(info.get("Product Type"), lockdown.get("ProductType")),
            product_version=_text(info.get("Product Version"), lockdown.get("ProductVersion")),
            build_version=_text(info.get("Build Version"), lockdown.get("BuildVersion")),
            serial_number=_text(info.get("Serial Number"), lockdown.get("SerialNumber")),
            udid=_text(
                info.get("Unique Identifier"), info.get("Target Identifier"), lockdown.get("UniqueDeviceID")
            ),
            imei=_text(info.get("IMEI")),
            phone_number=_text(info.get("Phone Number")),
            last_backup=_aware(info.get("Last Backup Date")) or _aware(status.get("Date")),
            encrypted=manifest.get("IsEncrypted") is True,
            passcode_set=passcode if isinstance(passcode, bool) else None,
            full_backup=full if isinstance(full, bool) else None,
            snapshot_state=_text(status.get("SnapshotState")),
        )

    def _check_manifest(self, password: str | None) -> bool:
        where = str(self.folder)
        manifest_db = self.folder / "Manifest.db"
        if self.info.encrypted and not self._unlock(password):
            return False
        if not manifest_db.is_file():
            if (self.folder / "Manifest.mbdb").is_file():
                reason = (
                    "a Manifest.mbdb backup (iOS 9 and older), which cannot be read yet: nothing is listed"
                )
                self._log.add(Problem(where=where, reason=reason, kind="unsupported"))
            else:
                self._log.add(
                    Problem(where=where, reason="Manifest.db is missing: nothing is listed", kind="corrupt")
                )
            return False
        with manifest_db.open("rb") as source:
            head = source.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC and not self.info.encrypted:
            self._log.add(
                Problem(
                    where=str(manifest_db),
                    reason="Manifest.db is not a SQLite database: the backup is probably encrypted and its "
                    "Manifest.plist missing or damaged; nothing is listed",
                    kind="corrupt",
                )
            )
            return False
        return True

    def _unlock(self, password: str | None) -> bool:
        """Unlock an encrypted backup's keys with ``password``; a Problem saying why when it cannot be."""
        where = str(self.folder)
        if password is None:
            reason = (
                "encrypted iOS backup: give its password to read it (files or extract with --key '*', "
                "asked for without echo); nothing is listed"
            )
            self._log.add(Problem(where=where, reason=reason, kind="encrypted"))
            return False
        keybag, manifest_key = self._manifest.get("BackupKeyBag"), self._manifest.get("ManifestKey")
        if not isinstance(keybag, bytes) or not isinstance(manifest_key, bytes):
            reason = (
                "encrypted iOS backup whose Manifest.plist lacks its keybag or ManifestKey: nothing is listed"
            )
            self._log.add(Problem(where=where, reason=reason, kind="corrupt"))
            return False
        try:
            keys = BackupKeys(keybag, password)
            self._manifest_key = keys.unwrap(manifest_key, "Manifest.db")
        except WrongPassword:
            reason = "encrypted iOS backup: the password given does not open it; nothing is listed"
            self._log.add(Problem(where=where, reason=reason, kind="encrypted"))
            return False
        except (ValueError, EvidenceError) as exc:
            reason = f"encrypted iOS backup whose keybag is damaged ({exc}): nothing is listed"
            self._log.add(Problem(where=where, reason=reason, kind="corrupt"))
            return False
        self._keys = keys
        return True

    # -- Manifest.db, read from a checked copy ------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            if self._scratch is not None:
                self._scratch.mkdir(parents=True, exist_ok=True)
            self._copy_dir = Path(tempfile.mkdtemp(prefix="ios-manifest-", dir=self._scratch))
            if self._manifest_key is not None:  # encrypted: the scratch copy is the decrypted database
                decrypt_file(self.folder / "Manifest.db", self._copy_dir / "Manifest.db", self._manifest_key)
            else:
                for suffix in ("", "-wal", "-journal"):
                    original = self.folder / f"Manifest.db{suffix}"
                    if original.is_file():
                        _checked_copy(original, self._copy_dir / original.name)
        except OSError as exc:
            raise EvidenceError(
                f"Manifest.db of {self.folder} cannot be copied to the scratch folder: {exc}",
                path=self.folder / "Manifest.db",
                hint="check that the scratch folder exists, is writable and has room",
            ) from exc
        self._db = sqlite3.connect(self._copy_dir / "Manifest.db")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._copy_dir is not None:
            shutil.rmtree(self._copy_dir, ignore_errors=True)
            self._copy_dir = None

    # -- the tree ----------------------------------------------------------------------------

    def volumes(self) -> list[Volume]:
        description = "iOS backup" + (
            (" (encrypted, opened with the password given)" if self._keys else " (encrypted)")
            if self.info.encrypted
            else ""
        )
        return [Volume(name="", offset=0, size=0, description=description, filesystem="ios-backup")]

    def walk(self) -> Iterator[Entry]:
        if not self.readable:
            return
        query = "SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY domain, relativePath"
        yield from self._rows(query, ())

    def _rows(self, query: str, parameters: tuple[str, ...]) -> Iterator[Entry]:
        try:
            cursor = self._connection().execute(query, parameters)
            for row in cursor:
                yield self._entry(*row)
        except sqlite3.DatabaseError as exc:
            self._log.add(
                Problem(
                    where=str(self.folder / "Manifest.db"),
                    reason=f"Manifest.db cannot be read ({exc}): the listing stops here",
                    kind="corrupt",
                )
            )

    def lookup(self, location: str) -> Entry | None:
        """Straight to the row: the device path is turned back into (domain, relativePath) candidates."""
        if not self.readable:
            return None
        path = display_path(location)
        for domain, relative in self._candidates(path):
            query = (
                "SELECT fileID, domain, relativePath, flags, file FROM Files "
                "WHERE domain = ? AND relativePath = ?"
            )
            for entry in self._rows(query, (domain, relative)):
                if entry.path == path:
                    return entry
        return None

    def _candidates(self, path: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for domain, root in DOMAIN_ROOTS.items():
            if path == root:
                found.append((domain, ""))
            elif path.startswith(root + "/"):
                found.append((domain, path[len(root) + 1 :]))
        for prefix, root in DOMAIN_PREFIXES:
            if path.startswith(root + "/"):
                identifier, _, rest = path[len(root) + 1 :].partition("/")
                found.append((prefix + identifier, rest))
        identifier, _, rest = path[1:].partition("/")
        found.append((identifier, rest))  # a domain not known here is shown as /<domain>/...
        return sorted(set(found))

    def _entry(self, fid: Any, domain: Any, relative: Any, flags: Any, blob: Any) -> Entry:
        fid, domain, relative = str(fid or ""), str(domain or ""), str(relative or "")
        path = device_path(domain, relative)
        if path is None:
            path = display_path(f"{domain}/{relative}")
            if domain not in self._unknown_domains:
                self._unknown_domains.add(domain)
                self._log.add(
                    Problem(
                        where=display_path(domain),
                        reason=f"domain {printable(domain)!r} has no known place on the device: "
                        f"its files are shown under /{printable(domain)}/",
                        kind="unsupported",
                    )
                )
        if fid != file_id(domain, relative):
            self._log.add(
                Problem(
                    where=path,
                    reason=f"fileID {fid} does not match its domain and path: "
                    "Manifest.db was altered or damaged",
                    kind="corrupt",
                )
            )
        meta: dict[str, Any] = {}
        if isinstance(blob, bytes) and blob:
            try:
                meta = parse_mbfile(blob)
            except (plistlib.InvalidFileException, ValueError, TypeError, KeyError, IndexError) as exc:
                self._log.add(
                    Problem(
                        where=path, reason=f"the file's metadata blob cannot be read ({exc})", kind="corrupt"
                    )
                )
        kind = _FLAG_TYPES.get(flags if isinstance(flags, int) else -1, EntryType.OTHER)
        declared = meta.get("Size") if isinstance(meta.get("Size"), int) else None
        size = 0
        link_target: str | None = None
        if kind is EntryType.FILE:
            size = self._check_stored(fid, path, declared, encrypted=self._keys is not None)
        elif kind is EntryType.LINK:
            target = meta.get("Target")
            link_target = printable(target) if isinstance(target, str) else None
            size = len(target.encode("utf-8", "surrogateescape")) if isinstance(target, str) else 0
        mode = meta.get("Mode")
        return Entry(
            path=path,
            name=entry_name(path),
            type=kind,
            size=size,
            filesystem="ios-backup",
            inode=meta.get("InodeNumber") if isinstance(meta.get("InodeNumber"), int) else None,
            mtime=utc_from_unix(_number(meta.get("LastModified"))),
            ctime=utc_from_unix(_number(meta.get("LastStatusChange"))),
            crtime=utc_from_unix(_number(meta.get("Birth"))),
            link_target=link_target,
            mode=mode & 0o7777 if isinstance(mode, int) else None,
            uid=meta.get("UserID") if isinstance(meta.get("UserID"), int) else None,
            gid=meta.get("GroupID") if isinstance(meta.get("GroupID"), int) else None,
            locator=("ios-backup", fid, domain, relative),
        )

    def stored_path(self, fid: str) -> Path:
        """Where the backup keeps a file's content (iOS 10 and later shard by the first two hex digits)."""
        sharded = self.folder / fid[:2] / fid
        return sharded if sharded.exists() or not (self.folder / fid).exists() else self.folder / fid

    def _check_stored(self, fid: str, path: str, declared: int | None, *, encrypted: bool = False) -> int:
        """The file's size; a Problem when its stored copy is missing or of another size.

        An encrypted file is stored padded to whole AES blocks (PKCS#7: 1 to 16 bytes more).
        """
        stored = self.stored_path(fid)
        try:
            actual = stored.lstat().st_size
        except OSError:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"the stored file {fid[:2]}/{fid} is missing from the backup folder",
                    kind="unreadable",
                )
            )
            return declared or 0
        expected = declared + BLOCK - declared % BLOCK if encrypted and declared is not None else declared
        if expected is not None and expected != actual:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"the stored file {fid[:2]}/{fid} has {actual} bytes "
                    f"but Manifest.db says {expected}" + (f" ({declared} encrypted)" if encrypted else ""),
                    kind="corrupt",
                )
            )
        return declared if declared is not None else actual

    def open(self, entry: Entry) -> BinaryIO:
        if len(entry.locator) != 4 or entry.locator[0] != "ios-backup":
            raise EvidenceError(
                f"{entry.path} was not listed from the iOS backup {self.folder}", path=self.folder
            )
        fid = entry.locator[1]
        assert isinstance(fid, str)
        if entry.type is not EntryType.FILE:
            what = "a link (open its target instead)" if entry.type is EntryType.LINK else f"a {entry.type}"
            raise EvidenceError(f"{entry.path} in {self.folder} is {what}, not a file", path=self.folder)
        stored = self.stored_path(fid)
        try:
            if self._keys is not None:
                return self._decrypted(stored, fid, entry)
            return open_no_atime(stored)
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"{entry.path}: its stored file {stored} is missing from the backup",
                path=stored,
                hint="the backup is incomplete; Problems of the tree list every missing file",
            ) from exc
        except OSError as exc:
            raise EvidenceError(
                f"cannot read {stored} ({entry.path}): {exc.strerror or exc}", path=stored
            ) from exc

    def _decrypted(self, stored: Path, fid: str, entry: Entry) -> BinaryIO:
        """A stored file of an encrypted backup, decrypted as it is read, with the key its record holds."""
        assert self._keys is not None
        row = self._connection().execute("SELECT file FROM Files WHERE fileID = ?", (fid,)).fetchone()
        meta = parse_mbfile(row[0]) if row and isinstance(row[0], bytes) else {}
        wrapped = meta.get("EncryptionKey")
        if not isinstance(wrapped, bytes):
            raise EvidenceError(
                f"{entry.path}: Manifest.db holds no key for this file of an encrypted backup",
                path=self.folder / "Manifest.db",
                hint="the backup is damaged or was altered; the other files are readable",
            )
        key = self._keys.unwrap(wrapped, entry.path)
        return io.BufferedReader(CbcStream(open_no_atime(stored), key, entry.size, entry.path))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _checked_copy(original: Path, copy: Path) -> str:
    """Copy ``original`` and prove the copy holds the same bytes (SHA-256 of both)."""
    digest = hashlib.sha256()
    with original.open("rb") as source, copy.open("wb") as target:
        while block := source.read(CHUNK):
            digest.update(block)
            target.write(block)
    check = hashlib.sha256()
    with copy.open("rb") as written:
        while block := written.read(CHUNK):
            check.update(block)
    if check.hexdigest() != digest.hexdigest():
        raise IntegrityError(
            f"the scratch copy of {original} differs from the original",
            path=copy,
            hint="check the scratch disk; the original was not touched",
        )
    return digest.hexdigest()
