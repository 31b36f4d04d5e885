"""The case register (case.sqlite): exhibits, photographs, acquisitions and verifications.

The ledger is the tamper-evident record of what happened; the register is the queryable state
that commands read. Every register row that records a state change is written together with its
ledger entry, and carries the SHA-256 of its canonical form so that the two can be compared.
Schema changes only through the named migrations below, in order (sqlite-utils ``Migrations``, imported
only when one is pending; the register is read and written through ``register_db``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chain_of_custody.schema import apply_migration_steps, pending_migrations, reader_uri
from evidence_intake.errors import IntakeError, NotFoundError, sqlite_error
from evidence_intake.register_db import RegisterDB
from evidence_intake.timeutil import iso_utc, parse_iso_utc

if TYPE_CHECKING:
    from sqlite_utils import Database

    from evidence_intake.case import Case

MIGRATION_SET = "evidence_intake.register"


def m001_exhibits(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE exhibits (
            exhibit_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            description TEXT NOT NULL,
            make TEXT, model TEXT, serial_number TEXT,
            imeis TEXT NOT NULL DEFAULT '[]',
            phone_number TEXT, phone_number_raw TEXT,
            seal_number TEXT,
            seized_at TEXT, seized_at_raw TEXT, seized_from TEXT,
            location TEXT, latitude REAL, longitude REAL,
            condition TEXT NOT NULL DEFAULT '{}',
            notes TEXT,
            region TEXT,
            registered_at TEXT NOT NULL,
            registered_by TEXT NOT NULL,
            ledger_seq INTEGER,
            record_sha256 TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE photographs (
            id INTEGER PRIMARY KEY,
            exhibit_id TEXT NOT NULL REFERENCES exhibits(exhibit_id),
            path TEXT NOT NULL,
            original_name TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL,
            ledger_seq INTEGER
        )
        """
    )
    db.execute("CREATE INDEX photographs_exhibit ON photographs(exhibit_id)")


def m002_acquisitions(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE acquisitions (
            id TEXT PRIMARY KEY,
            exhibit_id TEXT NOT NULL REFERENCES exhibits(exhibit_id),
            kind TEXT NOT NULL,
            format TEXT NOT NULL,
            source TEXT NOT NULL,
            source_identity TEXT NOT NULL DEFAULT '{}',
            paths TEXT NOT NULL DEFAULT '[]',
            in_place INTEGER NOT NULL DEFAULT 0,
            size INTEGER,
            bytes_done INTEGER NOT NULL DEFAULT 0,
            hashes TEXT NOT NULL DEFAULT '{}',
            segment_hashes TEXT NOT NULL DEFAULT '[]',
            error_map TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL,
            examiner TEXT NOT NULL,
            host TEXT NOT NULL,
            software TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            log_path TEXT,
            manifest_path TEXT,
            started_at TEXT NOT NULL,
            completed_at TEXT,
            message TEXT
        )
        """
    )
    db.execute("CREATE INDEX acquisitions_exhibit ON acquisitions(exhibit_id)")
    db.execute(
        """
        CREATE TABLE verifications (
            id INTEGER PRIMARY KEY,
            acquisition_id TEXT NOT NULL REFERENCES acquisitions(id),
            exhibit_id TEXT NOT NULL,
            status TEXT NOT NULL,
            hashes TEXT NOT NULL DEFAULT '{}',
            details TEXT NOT NULL DEFAULT '{}',
            verified_at TEXT NOT NULL,
            examiner TEXT NOT NULL,
            ledger_seq INTEGER
        )
        """
    )


# The register's migrations, in order. Never edit one that has shipped: add the next.
MIGRATIONS = (("m001_exhibits", m001_exhibits), ("m002_acquisitions", m002_acquisitions))


def open_database(path: Path, *, readonly: bool = False) -> RegisterDB:
    """The case register; ``readonly`` for a case that cannot be written here (read-only storage)."""
    if readonly:
        return _open_read_only(path)
    try:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = wal")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise _register_error(exc, path) from exc
    return RegisterDB(conn, path)


def _register_error(exc: sqlite3.Error, path: Path) -> IntakeError:
    return sqlite_error(
        exc,
        path,
        message=f"{path} is not a readable case register: {exc}",
        damaged_hint="restore case.sqlite from the backup of the case; the file is left as it is",
        other_hint="the file is left as it is; run `evidence-intake custody verify`, then the command again",
    )


def _open_read_only(path: Path) -> RegisterDB:
    try:
        conn = sqlite3.connect(reader_uri(path), uri=True, timeout=60, isolation_level=None)
        pending = pending_migrations(conn, MIGRATION_SET, MIGRATIONS)
    except sqlite3.DatabaseError as exc:
        raise _register_error(exc, path) from exc
    if pending:
        conn.close()
        raise IntakeError(
            f"{path} was written by an older version and needs {', '.join(pending)} before it can be read",
            path=path,
            hint="copy the case folder to writable storage and run any command there once",
        )
    return RegisterDB(conn, path)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the register's pending migrations (sqlite-utils is imported only when there are some)."""
    apply_migration_steps(conn, MIGRATION_SET, MIGRATIONS)


def _json(value: str | None, default: Any) -> Any:
    return default if not value else json.loads(value)


def _dt(value: str | None) -> datetime | None:
    return None if not value else parse_iso_utc(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Photograph:
    path: Path
    original_name: str
    size: int
    sha256: str
    added_at: datetime
    added_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "original_name": self.original_name,
            "size": self.size,
            "sha256": self.sha256,
            "added_at": iso_utc(self.added_at),
            "added_by": self.added_by,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Exhibit:
    exhibit_id: str
    kind: str
    description: str
    make: str | None = None
    model: str | None = None
    serial_number: str | None = None
    imeis: tuple[str, ...] = ()
    phone_number: str | None = None
    phone_number_raw: str | None = None
    seal_number: str | None = None
    seized_at: datetime | None = None
    seized_at_raw: str | None = None
    seized_from: str | None = None
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    condition: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    region: str | None = None
    registered_at: datetime
    registered_by: str
    ledger_seq: int | None = None
    record_sha256: str
    photographs: tuple[Photograph, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "exhibit_id": self.exhibit_id,
            "kind": self.kind,
            "description": self.description,
            "make": self.make,
            "model": self.model,
            "serial_number": self.serial_number,
            "imeis": list(self.imeis),
            "phone_number": self.phone_number,
            "phone_number_raw": self.phone_number_raw,
            "seal_number": self.seal_number,
            "seized_at": iso_utc(self.seized_at) if self.seized_at else None,
            "seized_at_raw": self.seized_at_raw,
            "seized_from": self.seized_from,
            "location": self.location,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "condition": self.condition,
            "notes": self.notes,
            "region": self.region,
            "registered_at": iso_utc(self.registered_at),
            "registered_by": self.registered_by,
            "ledger_seq": self.ledger_seq,
            "record_sha256": self.record_sha256,
            "photographs": [p.to_dict() for p in self.photographs],
        }


def _exhibit_from_row(case: Case, row: dict[str, Any]) -> Exhibit:
    photos = tuple(
        Photograph(
            path=case.root / p["path"],
            original_name=p["original_name"],
            size=p["size"],
            sha256=p["sha256"],
            added_at=parse_iso_utc(p["added_at"]),
            added_by=p["added_by"],
        )
        for p in case.db.query(
            "SELECT * FROM photographs WHERE exhibit_id = ? ORDER BY id", [row["exhibit_id"]]
        )
    )
    seized_at = _dt(row["seized_at"])
    registered_at = _dt(row["registered_at"])
    assert registered_at is not None
    return Exhibit(
        exhibit_id=row["exhibit_id"],
        kind=row["kind"],
        description=row["description"],
        make=row["make"],
        model=row["model"],
        serial_number=row["serial_number"],
        imeis=tuple(_json(row["imeis"], [])),
        phone_number=row["phone_number"],
        phone_number_raw=row["phone_number_raw"],
        seal_number=row["seal_number"],
        seized_at=seized_at,
        seized_at_raw=row["seized_at_raw"],
        seized_from=row["seized_from"],
        location=row["location"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        condition=_json(row["condition"], {}),
        notes=row["notes"],
        region=row["region"],
        registered_at=registered_at,
        registered_by=row["registered_by"],
        ledger_seq=row["ledger_seq"],
        record_sha256=row["record_sha256"],
        photographs=photos,
    )


def exhibit_ids(case: Case) -> list[str]:
    return [r["exhibit_id"] for r in case.db.query("SELECT exhibit_id FROM exhibits ORDER BY exhibit_id")]


def get_exhibit(case: Case, exhibit_id: str) -> Exhibit:
    rows = list(case.db.query("SELECT * FROM exhibits WHERE exhibit_id = ?", [exhibit_id]))
    if not rows:
        known = exhibit_ids(case)
        listing = ", ".join(known) if known else "none yet"
        raise NotFoundError(
            f"no exhibit {exhibit_id!r} in case {case.settings.case_number}; known exhibits: {listing}",
            hint="register it first with: evidence-intake exhibit add --exhibit ID --kind … --description …",
        )
    return _exhibit_from_row(case, rows[0])


def list_exhibits(case: Case) -> list[Exhibit]:
    return [_exhibit_from_row(case, r) for r in case.db.query("SELECT * FROM exhibits ORDER BY exhibit_id")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Acquisition:
    id: str
    exhibit: str
    kind: str  # physical | logical
    format: str  # raw | split-raw | e01 | folder | tar | zip | ios-backup
    source: str
    source_identity: dict[str, Any]
    paths: list[Path]
    in_place: bool
    size: int | None
    bytes_done: int
    hashes: dict[str, str]
    segment_hashes: list[dict[str, Any]]
    error_map: list[dict[str, int]]
    status: str  # running | completed | failed | incomplete
    examiner: str
    host: str
    software: str
    options: dict[str, Any]
    log_path: Path | None
    manifest_path: Path | None
    started_at: datetime
    completed_at: datetime | None
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "exhibit": self.exhibit,
            "kind": self.kind,
            "format": self.format,
            "source": self.source,
            "source_identity": self.source_identity,
            "paths": [str(p) for p in self.paths],
            "in_place": self.in_place,
            "size": self.size,
            "bytes_done": self.bytes_done,
            "hashes": self.hashes,
            "segment_hashes": self.segment_hashes,
            "error_map": self.error_map,
            "status": self.status,
            "examiner": self.examiner,
            "host": self.host,
            "software": self.software,
            "options": self.options,
            "log_path": str(self.log_path) if self.log_path else None,
            "manifest_path": str(self.manifest_path) if self.manifest_path else None,
            "started_at": iso_utc(self.started_at),
            "completed_at": iso_utc(self.completed_at) if self.completed_at else None,
            "message": self.message,
        }


def _resolve(case: Case, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else case.root / path


def relative_to_case(case: Case, path: Path) -> str:
    """Paths inside the case are stored relative to it, so that a copied case folder still works."""
    try:
        return str(path.resolve().relative_to(case.root))
    except ValueError:
        return str(path.resolve())


def acquisition_from_row(case: Case, row: dict[str, Any]) -> Acquisition:
    started = _dt(row["started_at"])
    assert started is not None
    return Acquisition(
        id=row["id"],
        exhibit=row["exhibit_id"],
        kind=row["kind"],
        format=row["format"],
        source=row["source"],
        source_identity=_json(row["source_identity"], {}),
        paths=[_resolve(case, p) for p in _json(row["paths"], [])],
        in_place=bool(row["in_place"]),
        size=row["size"],
        bytes_done=row["bytes_done"],
        hashes=_json(row["hashes"], {}),
        segment_hashes=_json(row["segment_hashes"], []),
        error_map=_json(row["error_map"], []),
        status=row["status"],
        examiner=row["examiner"],
        host=row["host"],
        software=row["software"],
        options=_json(row["options"], {}),
        log_path=_resolve(case, row["log_path"]) if row["log_path"] else None,
        manifest_path=_resolve(case, row["manifest_path"]) if row["manifest_path"] else None,
        started_at=started,
        completed_at=_dt(row["completed_at"]),
        message=row["message"],
    )


def list_acquisitions(case: Case, exhibit_id: str | None = None) -> list[Acquisition]:
    if exhibit_id is None:
        rows = case.db.query("SELECT * FROM acquisitions ORDER BY started_at, rowid")
    else:
        rows = case.db.query(
            "SELECT * FROM acquisitions WHERE exhibit_id = ? ORDER BY started_at, rowid", [exhibit_id]
        )
    return [acquisition_from_row(case, r) for r in rows]


def get_acquisition(case: Case, acquisition_id: str) -> Acquisition:
    rows = list(case.db.query("SELECT * FROM acquisitions WHERE id = ?", [acquisition_id]))
    if not rows:
        raise NotFoundError(f"no acquisition {acquisition_id!r} in this case")
    return acquisition_from_row(case, rows[0])


def latest_acquisition(case: Case, exhibit_id: str) -> Acquisition:
    get_exhibit(case, exhibit_id)  # unknown exhibit: the error that lists the known ones
    done = [a for a in list_acquisitions(case, exhibit_id) if a.status == "completed"]
    if not done:
        raise NotFoundError(
            f"exhibit {exhibit_id} has no completed acquisition",
            hint=f"acquire it first: evidence-intake acquire SOURCE --exhibit {exhibit_id}",
        )
    return done[-1]


def json_column(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def paths_column(case: Case, paths: Sequence[Path]) -> str:
    return json_column([relative_to_case(case, p) for p in paths])
