"""The bulk path's SQL time conversion must give exactly what the typed path's Python gives."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_intake.parsers import times
from evidence_intake.parsers.sql import case_map, iso_time
from evidence_intake.parsers.unit import ShardWriter
from evidence_intake.timeutil import iso_utc

UNITS = ["s", "ms", "us", "ns"]
EPOCHS = ["unix", "mac", "webkit"]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    # the shard writer's connection has the engine's SQL functions (ei_iso for floats)
    writer = ShardWriter(tmp_path_factory.mktemp("t") / "s.sqlite", source_id=1, exhibit="E", region="TH")
    return writer.conn


def python(value: object, unit: str, epoch: str) -> str | None:
    result = times.convert(value, unit=unit, epoch=epoch)
    return None if result is None else iso_utc(result)


def sql(conn: sqlite3.Connection, value: object, unit: str, epoch: str) -> str | None:
    out: str | None = conn.execute(
        f"SELECT {iso_time('v', unit=unit, epoch=epoch)} FROM (SELECT ? AS v)", (value,)
    ).fetchone()[0]
    return out


def test_known_values() -> None:
    assert times.unix_ms(1383065788038) == datetime(2013, 10, 29, 16, 56, 28, 38000, tzinfo=UTC)
    assert times.mac_absolute(600000000) == datetime(2020, 1, 6, 10, 40, tzinfo=UTC)
    assert times.mac_ns(500000000000000000) == datetime(2016, 11, 5, 0, 53, 20, tzinfo=UTC)
    assert times.unix_ms(0) is None  # "unknown" on Android
    assert times.unix_ms(10**17) is None  # beyond year 9999
    assert times.unix_ms(-(10**14)) is None  # before 1900
    assert times.unix_ms("1383065788038") is None  # text is not converted (and gets flagged)
    assert times.unix_ms(True) is None


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("epoch", EPOCHS)
def test_edges_agree(conn: sqlite3.Connection, unit: str, epoch: str) -> None:
    lo, hi = times.bounds(unit, epoch)
    edges = [lo - 1, lo, lo + 1, -1, 1, 0, 999, 1001, hi - 1, hi, hi + 1]
    edges = [v for v in edges if -(2**63) <= v < 2**63]  # what SQLite can store
    for value in (*edges, None, "12", b"\x01", 1.5, -2.25, 1e300):
        assert sql(conn, value, unit, epoch) == python(value, unit, epoch), (value, unit, epoch)


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=True)),
    unit=st.sampled_from(UNITS),
    epoch=st.sampled_from(EPOCHS),
)
def test_any_value_agrees(conn: sqlite3.Connection, value: int | float, unit: str, epoch: str) -> None:
    assert sql(conn, value, unit, epoch) == python(value, unit, epoch)


def test_case_map(conn: sqlite3.Connection) -> None:
    expr = case_map("?", {1: "in", 2: "out", "x": "it's"}, default="unknown")
    assert [conn.execute(f"SELECT {expr}", (v,)).fetchone()[0] for v in (1, 2, "x", 9)] == [
        "in",
        "out",
        "it's",
        "unknown",
    ]
