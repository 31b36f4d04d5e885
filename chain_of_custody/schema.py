"""The ledger file: SQLite layout, migrations, and the checks made before SQLite may touch a file.

A ledger is an SQLite 3 database whose header carries :data:`APPLICATION_ID` and whose ``meta`` table says
``format = chain_of_custody ledger``. :func:`probe` checks those (and that the file is not shorter than its
header says) by reading bytes and through a read-only connection, so a file that is not a ledger is never
written to: not by a ``journal_mode`` pragma, not by a migration, not by a "repair".

Schema changes go through named migrations (sqlite-utils ``Migrations``), applied under the write lock.
sqlite-utils is imported only when a migration is pending: whether one is, is a single query, and most
commands open a ledger that is up to date (importing sqlite-utils costs about 0.1 s at every start).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LedgerError, LedgerNotFoundError, NotALedgerError

APPLICATION_ID = 0x43434C47  # "CCLG" in the SQLite header at offset 68
FORMAT_NAME = "chain_of_custody ledger"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"

APPEND_ONLY_TABLES = ("meta", "entries", "tree_nodes", "checkpoints")
TRIGGER_NAMES = (
    *(f"{table}_no_{verb}" for table in APPEND_ONLY_TABLES for verb in ("update", "delete")),
    "entries_seq_contiguous",
)

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "chain_of_custody"
MIGRATIONS_TABLE = "_sqlite_migrations"  # where sqlite-utils records the migrations applied


def _initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE entries (
            seq INTEGER PRIMARY KEY,
            v INTEGER NOT NULL,
            uuid TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            case_id TEXT NOT NULL,
            exhibit TEXT,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            from_party TEXT,
            to_party TEXT,
            location TEXT,
            reason TEXT,
            details TEXT NOT NULL,
            host TEXT NOT NULL,
            software TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            key_id TEXT,
            entry_hash TEXT NOT NULL,
            signature TEXT
        );
        CREATE INDEX entries_by_exhibit ON entries (exhibit, seq);
        CREATE INDEX entries_key_registrations ON entries (seq) WHERE action = 'key_registered';

        CREATE TABLE tree_nodes (
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        ) WITHOUT ROWID;

        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            tree_size INTEGER NOT NULL,
            root_hash TEXT NOT NULL,
            case_id TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );

        CREATE TRIGGER entries_seq_contiguous BEFORE INSERT ON entries
        WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM entries)
        BEGIN
            SELECT RAISE(ABORT, 'chain_of_custody: entries must be numbered 1, 2, 3... without gaps');
        END;
        """
    )
    for table in APPEND_ONLY_TABLES:
        for verb in ("update", "delete"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'chain_of_custody: the {table} table is append-only'); END"
            )


@dataclass(frozen=True)
class LedgerInfo:
    case_id: str
    format_version: int
    created_at: str


def uri_for(path: Path, *, readonly: bool, immutable: bool = False) -> str:
    """``immutable`` tells SQLite the file cannot change, so it takes no locks and creates no -shm/-wal
    files: right only when no -wal file exists (nothing is pending) and nobody writes meanwhile."""
    if immutable:
        return path.absolute().as_uri() + "?mode=ro&immutable=1"
    return path.absolute().as_uri() + ("?mode=ro" if readonly else "?mode=rw")


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def reader_uri(path: Path) -> str:
    """The URI that opens ``path`` for reading, also where nothing can be written (a disc for the court).

    On read-only storage SQLite could not create the -shm file it locks a database with, so there the
    file is opened as immutable; only when its -wal file is absent or empty, since an immutable database
    does not read its write-ahead log (entries in it would silently be missed).
    """
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return uri_for(path, readonly=True, immutable=not writable and not wal_has_frames(path))


def wal_has_frames(path: Path) -> bool:
    """Whether ``path`` has a write-ahead log with anything in it (an empty -wal holds nothing pending)."""
    try:
        return wal_path(path).stat().st_size > 0
    except FileNotFoundError:
        return False


def _read_meta(path: Path, *, immutable: bool) -> tuple[dict[str, str], set[str]]:
    conn = sqlite3.connect(uri_for(path, readonly=True, immutable=immutable), uri=True, isolation_level=None)
    try:
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    return rows, tables


def probe(path: Path) -> LedgerInfo:
    """Decide whether ``path`` is a ledger without writing to it; NotALedgerError (or not found) if not."""
    if not path.exists():
        raise LedgerNotFoundError(
            f"{path}: no such file", path=path, hint="check the path; a case's ledger is its ledger.sqlite"
        )
    if not path.is_file():
        raise NotALedgerError(f"{path}: this is not a file (a folder?), so not a ledger", path=path)
    with open(path, "rb") as handle:
        header = handle.read(100)
        size = os.fstat(handle.fileno()).st_size
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise NotALedgerError(
            f"{path}: not a ledger: it is not an SQLite database at all"
            + (" (it is empty)" if size == 0 else ""),
            path=path,
            hint="give the path of a case's ledger.sqlite; the file was left untouched",
        )
    application_id = int.from_bytes(header[68:72], "big")
    if application_id != APPLICATION_ID:
        raise NotALedgerError(
            f"{path}: not a ledger: it is an SQLite database of another kind "
            f"(application id {application_id:#010x}, a ledger has {APPLICATION_ID:#010x})",
            path=path,
            hint="give the path of a case's ledger.sqlite; the file was left untouched",
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    header_size_valid = header[24:28] == header[92:96]
    wal_has_data = wal_has_frames(path)
    if header_size_valid and not wal_has_data and page_count * page_size > size:
        raise NotALedgerError(
            f"{path}: the ledger is truncated: its header says {page_count} pages of {page_size} bytes "
            f"({page_count * page_size} bytes) but the file has {size}",
            path=path,
            hint="restore the ledger from a copy (backup, evidence disc); the file was left untouched",
        )
    # Read the meta table without leaving -shm/-wal files beside a file that may not be a ledger: with an
    # empty or no -wal nothing is pending, so the file can be read as immutable. Should a writer have
    # appeared meanwhile (the -wal now holds frames), read again through SQLite's locks.
    immutable = not wal_has_data
    try:
        try:
            rows, tables = _read_meta(path, immutable=immutable)
        except sqlite3.Error:
            if not immutable or not wal_has_frames(path):
                raise
            rows, tables = _read_meta(path, immutable=False)
    except sqlite3.Error as exc:
        if wal_has_frames(path) and not os.access(path.parent, os.W_OK):
            raise LedgerError(
                f"{path}: its write-ahead log {wal_path(path).name} holds entries, which SQLite reads only "
                "where it can write its index file beside the ledger, and this folder cannot be written",
                path=path,
                hint="copy the case folder (with the -wal file) to writable storage and read the copy; "
                "nothing is damaged",
            ) from exc
        raise NotALedgerError(
            f"{path}: the ledger is damaged: SQLite cannot read it ({exc})",
            path=path,
            hint="restore the ledger from a copy (backup, evidence disc); the file was left untouched",
        ) from exc
    if rows.get("format") != FORMAT_NAME or not {"entries", "tree_nodes", "checkpoints"} <= tables:
        raise NotALedgerError(
            f"{path}: not a ledger: it carries the ledger's application id but not its tables",
            path=path,
            hint="the file was left untouched",
        )
    try:
        version = int(rows.get("format_version", ""))
    except ValueError as exc:
        raise NotALedgerError(f"{path}: the ledger's format version is unreadable", path=path) from exc
    if version > FORMAT_VERSION:
        raise LedgerError(
            f"{path}: this ledger was written in format {version}; "
            f"this software reads up to {FORMAT_VERSION}",
            path=path,
            hint="verify it with a newer version of the software",
        )
    case_id = rows.get("case_id")
    if not case_id:
        raise NotALedgerError(f"{path}: the ledger names no case", path=path)
    return LedgerInfo(case_id=case_id, format_version=version, created_at=rows.get("created_at", ""))


# The ledger's migrations, in order. Never edit one that has shipped: add the next.
MIGRATIONS: tuple[tuple[str, Callable[[Any], None]], ...] = (("0001_initial", _initial),)


def migration_set(name: str, steps: Sequence[tuple[str, Callable[[Any], None]]]) -> Migrations:
    """The sqlite-utils migration set of ``steps`` (imports sqlite-utils: call it only when needed)."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(name)
    for step_name, step in steps:
        migrations(name=step_name)(step)
    return migrations


def pending_migrations(conn: sqlite3.Connection, name: str, steps: Sequence[tuple[str, Any]]) -> list[str]:
    """Names of ``steps`` not yet recorded as applied for the set ``name`` (read-only, no sqlite-utils)."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    applied: set[str] = set()
    if has_table:
        applied = {
            row[0]
            for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", (name,))
        }
    return [step_name for step_name, _ in steps if step_name not in applied]


def migration_db(conn: sqlite3.Connection) -> Database:
    """A sqlite-utils view of an open connection, for the migrations only (no plugins, no pragmas)."""
    from sqlite_utils import Database

    return Database(conn, recursive_triggers=False, execute_plugins=False)


def apply_migration_steps(conn: sqlite3.Connection, name: str, steps: Sequence[tuple[str, Any]]) -> None:
    """Apply the pending ``steps`` of the set ``name`` under the write lock.

    Pending steps are looked for with sqlite3 first (sqlite-utils is imported only when there are
    some), then again after BEGIN IMMEDIATE: when two processes open an old database at once, the
    second waits for the first and then finds nothing left to do, instead of running the steps a
    second time. Each step runs in a savepoint with its record; a failure rolls everything back.
    """
    if not pending_migrations(conn, name, steps):
        return
    db = migration_db(conn)
    migrations = migration_set(name, steps)
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)  # lists what is pending again, now under the lock
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def apply_migrations(conn: sqlite3.Connection) -> None:
    """Apply the ledger's pending migrations (two processes opening at once apply them once)."""
    apply_migration_steps(conn, MIGRATION_SET, MIGRATIONS)


def missing_triggers(conn: sqlite3.Connection) -> list[str]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return [name for name in TRIGGER_NAMES if name not in present]
