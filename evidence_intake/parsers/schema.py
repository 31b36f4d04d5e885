"""Schema fingerprints: which layout of an app's database a file has, so the right query runs.

An app changes its tables from version to version (WhatsApp's ``messages`` became ``message``).
A parser lists the layouts it knows as ``Schema`` objects, most specific first; the engine reads the
tables and columns of the file (``SchemaInfo``) and picks the first that fits. When none fits, the
file is reported as "unsupported schema" together with the tables it has, which is what a parser
author needs to add the new layout; that is different from "no files" and from "error".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Schema:
    """One known layout: the tables it must have, each with the columns it must have.

    ``Schema("modern", {"calls": {"number", "date", "type", "features"}})``. Optional columns need no
    listing: ask ``source.has_column`` in the parser.
    """

    name: str
    tables: Mapping[str, frozenset[str] | set[str] | tuple[str, ...]]
    note: str = ""

    def missing(self, info: SchemaInfo) -> list[str]:
        """What ``info`` lacks for this layout: "table" or "table.column" items, sorted."""
        out: list[str] = []
        for table, columns in sorted(self.tables.items()):
            seen = info.tables.get(table)
            if seen is None:
                out.append(table)
                continue
            out.extend(f"{table}.{c}" for c in sorted(set(columns) - set(seen)))
        return out

    def describe(self) -> str:
        parts = [f"{t}({', '.join(sorted(c))})" for t, c in sorted(self.tables.items())]
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """Tables (and views) of a database with their columns, as read from the file."""

    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    user_version: int = 0

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> SchemaInfo:
        tables: dict[str, tuple[str, ...]] = {}
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        for name in names:
            try:
                cols = tuple(r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (name,)))
            except sqlite3.DatabaseError:
                cols = ()  # a virtual table whose module is not loaded (FTS3 of an old app, say)
            tables[name] = cols
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return cls(tables=tables, user_version=user_version)

    def has(self, table: str, column: str | None = None) -> bool:
        cols = self.tables.get(table)
        if cols is None:
            return False
        return column is None or column in cols

    def summary(self, limit: int = 40) -> str:
        names = sorted(self.tables)
        text = ", ".join(names[:limit])
        return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


def match(schemas: tuple[Schema, ...], info: SchemaInfo) -> Schema | None:
    for schema in schemas:
        if not schema.missing(info):
            return schema
    return None


def closest(schemas: tuple[Schema, ...], info: SchemaInfo) -> tuple[Schema, list[str]] | None:
    """The known layout that lacks the least, with what it lacks (for the error message).

    A missing table weighs as much as all its columns plus one, so a layout whose tables are all
    there but a column is missing is closer than one whose main table is absent.
    """
    best: tuple[Schema, list[str], int] | None = None
    for schema in schemas:
        missing = schema.missing(info)
        cost = sum(1 + len(schema.tables[item]) if "." not in item else 1 for item in missing)
        if best is None or cost < best[2]:
            best = (schema, missing, cost)
    return None if best is None else (best[0], best[1])
