"""The case register's connection: rows as dictionaries, and inserts and updates by column name.

This is the part of sqlite-utils' ``Database`` that commands use on the register, over a plain
``sqlite3`` connection, so that a command that only reads or appends a row does not import
sqlite-utils (about 0.1 s at every start, paid by every command an officer types). Values are stored
as sqlite-utils stores them: dicts, lists and tuples as JSON text, dates and times in ISO 8601, UUIDs
and durations as text. The schema itself still changes only through sqlite-utils migrations
(``register.migrate``), which import it when one is pending.

Statements run in the connection's own mode (autocommit, ``isolation_level=None``): a statement
outside ``BEGIN … COMMIT`` is its own transaction, one inside joins the caller's.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from evidence_intake.errors import IntakeError, sqlite_error


def adapt(value: object) -> object:
    """A Python value as the register stores it (the conversions of sqlite-utils' inserts)."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=repr, ensure_ascii=False)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (datetime.timedelta, uuid.UUID)):
        return str(value)
    decimal = sys.modules.get("decimal")  # a Decimal exists only once decimal is imported: no import here
    if decimal is not None and isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def register_error(path: object, exc: sqlite3.Error) -> IntakeError:
    """What to tell the user when SQLite refuses the case register (see errors.sqlite_error)."""
    return sqlite_error(
        exc,
        str(path),
        message=f"the case register {path} could not be used: {exc}",
        damaged_hint="case.sqlite is damaged: the ledger is the record of what happened (run "
        "`evidence-intake custody verify`); restore case.sqlite from the case's backup, leaving the "
        "damaged file as it is",
        other_hint="run `evidence-intake custody verify`",
    )


class RegisterDB:
    """A register connection: ``query``, ``execute``, ``table(name).insert/insert_all/update``.

    SQLite errors leave it as IntakeErrors naming case.sqlite (register_error), never as tracebacks.
    """

    def __init__(self, conn: sqlite3.Connection, path: object = "case.sqlite") -> None:
        self.conn = conn
        self.path = path

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, parameters)
        except sqlite3.Error as exc:
            raise register_error(self.path, exc) from exc

    def executescript(self, script: str) -> sqlite3.Cursor:
        try:
            return self.conn.executescript(script)
        except sqlite3.Error as exc:
            raise register_error(self.path, exc) from exc

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> Iterator[dict[str, Any]]:
        try:
            cursor = self.conn.execute(sql, parameters)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise register_error(self.path, exc) from exc
        for row in rows:
            yield dict(zip(columns, row, strict=True))

    def table(self, name: str) -> RegisterTable:
        return RegisterTable(self, name)

    def close(self) -> None:
        self.conn.close()


class RegisterTable:
    def __init__(self, db: RegisterDB, name: str) -> None:
        self.db = db
        self.name = name

    def insert(self, row: Mapping[str, Any]) -> None:
        self.insert_all([row])

    def insert_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            columns = list(row)
            self.db.execute(
                f"INSERT INTO {_name(self.name)} ({', '.join(map(_name, columns))}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [adapt(row[c]) for c in columns],
            )

    def update(self, key: object, values: Mapping[str, Any]) -> None:
        """Set ``values`` on the row whose primary key is ``key``; an error if there is no such row."""
        if not values:
            return
        primary = self._primary_key()
        columns = list(values)
        cursor = self.db.execute(
            f"UPDATE {_name(self.name)} SET {', '.join(f'{_name(c)} = ?' for c in columns)} "
            f"WHERE {_name(primary)} = ?",
            [*(adapt(values[c]) for c in columns), key],
        )
        if cursor.rowcount == 0:
            raise IntakeError(
                f"the case register has no row {key!r} in {self.name}",
                hint="the register and the ledger disagree: run `evidence-intake custody verify`",
            )

    def _primary_key(self) -> str:
        keys = [
            (row[5], row[1])
            for row in self.db.conn.execute(f"PRAGMA table_info({_name(self.name)})")
            if row[5]
        ]
        if len(keys) != 1:
            return "rowid"
        return str(keys[0][1])
