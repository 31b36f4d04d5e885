"""SQL fragments for bulk queries (``BulkQuery.sql``), matching the typed path exactly.

Write ``iso_time("sms.date", unit="ms")`` where a typed parser would call ``times.unix_ms(row["date"])``:
integer timestamps are converted by SQLite itself (``strftime``, integer arithmetic, same range
rules as ``parsers.times``); floats are handed to the registered function ``ei_iso`` so that both
paths round alike. ``case_map`` turns an app's codes into words. ``tests/parsers/test_sql.py`` checks
the fragments against ``parsers.times`` on edge values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidence_intake.parsers.times import EPOCH_OFFSETS, UNITS, bounds


def iso_time(expr: str, *, unit: str = "ms", epoch: str = "unix") -> str:
    """SQL giving ``expr`` (a stored time) as ISO-8601 UTC text with microseconds, or NULL."""
    per = UNITS[unit]
    off = EPOCH_OFFSETS[epoch]
    lo, hi = bounds(unit, epoch)
    x = f"({expr})"
    rest = f"((({x} % {per}) + {per}) % {per})"
    seconds = f"(({x} - {rest}) / {per} + {off})"
    micros = f"({rest} * 1000000 / {per})"
    return (
        f"(CASE WHEN typeof({x}) = 'integer' THEN "
        f"CASE WHEN {x} = 0 OR {x} < {lo} OR {x} > {hi} THEN NULL ELSE "
        f"strftime('%Y-%m-%dT%H:%M:%S', {seconds}, 'unixepoch') || printf('.%06dZ', {micros}) END "
        f"WHEN typeof({x}) = 'real' THEN ei_iso({x}, {per}, {off}) ELSE NULL END)"
    )


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def case_map(expr: str, mapping: Mapping[Any, str | None], *, default: str | None = None) -> str:
    """``CASE expr WHEN k THEN 'v' … ELSE default END`` for code-to-word tables."""
    parts = []
    for key, value in mapping.items():
        k = str(key) if isinstance(key, int) else quote(key)
        v = "NULL" if value is None else quote(value)
        parts.append(f"WHEN {k} THEN {v}")
    otherwise = "NULL" if default is None else quote(default)
    return f"(CASE {expr} {' '.join(parts)} ELSE {otherwise} END)"
