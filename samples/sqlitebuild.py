"""Build SQLite databases from the schema files, byte for byte the same on every run.

SQLite lays out pages deterministically for the same statements in the same order. Two header fields
depend on the library that wrote the file (offsets 92 and 96: "version-valid-for" and
SQLITE_VERSION_NUMBER); they are set to fixed values so that the samples do not change with the
builder's SQLite. Journal mode is the rollback journal, so no -wal file is left beside a database.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent / "schemas"
HEADER_VERSION = 3040001  # recorded as the writing library's version in every sample database


def schema(name: str) -> str:
    """The SQL text of ``samples/schemas/<name>.sql``."""
    return (SCHEMAS / f"{name}.sql").read_text(encoding="utf-8")


def insert(conn: sqlite3.Connection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))


def build(path: Path, schema_name: str, fill: Callable[[sqlite3.Connection], None]) -> bytes:
    """Create the database at ``path`` (replacing it), fill it, close it, and return its bytes."""
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA secure_delete = OFF")  # deleted rows stay in free space, as on a phone
        conn.executescript("BEGIN;\n" + schema(schema_name) + "\nCOMMIT;")
        conn.execute("BEGIN")
        fill(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    change_counter = data[24:28]
    data[92:96] = change_counter
    data[96:100] = struct.pack(">I", HEADER_VERSION)
    path.write_bytes(bytes(data))
    return bytes(data)


def delete_rows(conn: sqlite3.Connection, table: str, where: str, *args: Any) -> None:
    """Delete rows the way the app would; with secure_delete off their bytes stay in the page's free space."""
    conn.execute(f'DELETE FROM "{table}" WHERE {where}', args)


def core_data_meta(conn: sqlite3.Connection, entities: list[tuple[str, int]], uuid: str) -> None:
    """Core Data's own tables: Z_PRIMARYKEY (entity names and max primary key) and Z_METADATA."""
    import plistlib

    for number, (name, max_pk) in enumerate(entities, start=1):
        insert(conn, "Z_PRIMARYKEY", [{"Z_ENT": number, "Z_NAME": name, "Z_SUPER": 0, "Z_MAX": max_pk}])
    plist = plistlib.dumps(
        {"NSPersistenceFrameworkVersion": 1344, "NSStoreType": "SQLite", "NSStoreUUID": uuid},
        fmt=plistlib.FMT_BINARY,
        sort_keys=True,
    )
    insert(conn, "Z_METADATA", [{"Z_VERSION": 1, "Z_UUID": uuid, "Z_PLIST": plist}])
