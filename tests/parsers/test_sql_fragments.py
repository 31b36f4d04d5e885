"""Helpers of parsers.sql: columns an app version may lack, and directions from the owner's flags."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence_intake.parsers.schema import SchemaInfo
from evidence_intake.parsers.source import Source, SourceFile
from evidence_intake.parsers.sql import col, from_me_direction, optional_columns, outgoing_if


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Source]:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE calls (_id INTEGER PRIMARY KEY, number TEXT, name TEXT)")
    conn.execute("INSERT INTO calls VALUES (1, '+66812345678', 'Somchai')")
    conn.commit()
    info = SchemaInfo.read(conn)
    conn.close()
    file = SourceFile(
        exhibit="EX-001",
        region="TH",
        path="/app.db",
        location="/app.db",
        volume="",
        filesystem="",
        inode=None,
        size=db.stat().st_size,
        sha256="",
        local_path=db,
        info=info,
        is_sqlite=True,
    )
    src = Source(file)
    yield src
    src.close()


def test_col_names_a_present_column_and_stands_in_for_a_missing_one(source: Source) -> None:
    assert col(source, "calls", "name") == "calls.name"
    assert col(source, "calls", "name", "c") == "c.name"
    assert col(source, "calls", "countryiso") == "NULL"
    assert col(source, "calls", "deleted", "c", default="0") == "0"
    assert col(source, "calls", "name", "c", default="0") == "c.name"
    sql = f"SELECT {col(source, 'calls', 'name', 'c')}, {col(source, 'calls', 'features', 'c', default='0')} "
    assert [tuple(r) for r in source.rows(sql + "FROM calls AS c")] == [("Somchai", 0)]


def test_optional_columns_reads_by_name_whatever_the_version(source: Source) -> None:
    columns = optional_columns(source, "calls", ("number", "countryiso", "name"))
    assert columns == "number, NULL AS countryiso, name"
    (row,) = source.rows(f"SELECT {columns} FROM calls")
    assert (row["number"], row["countryiso"], row["name"]) == ("+66812345678", None, "Somchai")


def test_directions_from_the_owners_flag(source: Source) -> None:
    def each(expr: str) -> list[str]:
        return [next(source.rows(f"SELECT {expr}", (v,)))[0] for v in (0, 1, 2, None, "1")]

    assert each(from_me_direction("?")) == ["incoming", "outgoing", "unknown", "unknown", "unknown"]
    assert each(outgoing_if("? = 1")) == ["incoming", "outgoing", "incoming", "incoming", "incoming"]
