"""SQL fragments for parsers' queries (``BulkQuery.sql``, and ``source.rows`` on the typed path).

Write ``iso_time("sms.date", unit="ms")`` where a typed parser would call ``times.unix_ms(row["date"])``:
integer timestamps are converted by SQLite itself (``date()`` and integer arithmetic, same range
rules as ``parsers.times``); floats are handed to the registered function ``ei_iso`` so that both
paths round alike. ``case_map`` turns an app's codes into words. ``tests/parsers/test_times_sql.py``
checks the fragments against ``parsers.times`` on edge values.

Apps add columns from version to version; a query names a column only when the file has it
(``col`` in an expression, ``optional_columns`` in a select list), so one query serves several app
versions without a layout per column. The other fragments build values the way the typed path does:
attachments are the JSON objects ``Attachment.to_dict`` gives, digit strings become integers only
where an app stores times as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from evidence_intake.parsers.times import EPOCH_OFFSETS, UNITS, bounds

if TYPE_CHECKING:
    from evidence_intake.parsers.source import Source


def iso_time(expr: str, *, unit: str = "ms", epoch: str = "unix") -> str:
    """SQL giving ``expr`` (a stored time) as ISO-8601 UTC text with microseconds, or NULL."""
    per = UNITS[unit]
    off = EPOCH_OFFSETS[epoch]
    lo, hi = bounds(unit, epoch)
    x = f"({expr})"
    if off % 86_400:
        raise ValueError(f"epoch {epoch!r} does not start at midnight UTC; iso_time splits days")
    # The day from SQLite's date() (cheap), the time of day from integer arithmetic on the stored
    # value: about a third faster than strftime() with a format, which matters on a million rows.
    day = 86_400 * per
    tod = f"((({x} % {day}) + {day}) % {day})"  # ticks since midnight, also before 1970
    midnight = f"(({x} - {tod}) / {per} + {off})"  # seconds since 1970 at that midnight
    text = (
        f"date({midnight}, 'unixepoch') || printf('T%02d:%02d:%02d.%06dZ', {tod} / {3600 * per}, "
        f"{tod} / {60 * per} % 60, {tod} / {per} % 60, {tod} % {per} * 1000000 / {per})"
    )
    return (
        f"(CASE WHEN typeof({x}) = 'integer' THEN "
        f"CASE WHEN {x} = 0 OR {x} < {lo} OR {x} > {hi} THEN NULL ELSE {text} END "
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


def from_me_direction(flag: str) -> str:
    """The direction from an app's "sent by the owner" code: 1 outgoing, 0 incoming, else unknown."""
    return case_map(flag, {0: "incoming", 1: "outgoing"}, default="unknown")


def outgoing_if(condition: str) -> str:
    """'outgoing' where ``condition`` (the owner sent it) holds, else 'incoming'.

    For apps whose record has no third state: a row the condition does not hold for (false or NULL)
    is the other party's. Where a code can be neither, use ``from_me_direction`` or ``case_map``.
    """
    return f"CASE WHEN {condition} THEN 'outgoing' ELSE 'incoming' END"


def col(source: Source, table: str, column: str, alias: str | None = None, *, default: str = "NULL") -> str:
    """``alias.column`` (``table.column`` without an alias) when the file's ``table`` has the column,
    else ``default`` (an SQL expression: NULL unless the query needs a neutral value such as 0)."""
    return f"{alias or table}.{column}" if source.has_column(table, column) else default


def optional_columns(source: Source, table: str, names: Iterable[str]) -> str:
    """A select list of ``names`` from ``table``: each column the file has, ``NULL AS name`` for the
    others, so that rows can be read by name whatever the app version."""
    return ", ".join(n if source.has_column(table, n) else f"NULL AS {n}" for n in names)


def digits_as_int(expr: str) -> str:
    """``expr`` as an integer when it is text made of digits only (LINE stores times as text).

    Anything else (an integer, other text, a blob) is passed through unchanged, so that a value that
    is not a time stays unconverted and the engine flags it with its raw value kept.
    """
    x = f"({expr})"
    return (
        f"(CASE WHEN typeof({x}) = 'text' AND {x} != '' AND {x} NOT GLOB '*[^0-9]*' "
        f"THEN CAST({x} AS INTEGER) ELSE {x} END)"
    )


def attachment(name: str, mime_type: str, path: str, size: str) -> str:
    """A one-element JSON array with the keys and order of ``Attachment.to_dict``."""
    return (
        f"json_array(json_object('name', {name}, 'mime_type', {mime_type}, 'path', {path}, 'size', {size}))"
    )


def location(latitude: str, longitude: str, place: str = "NULL") -> str:
    """'Location: lat, lon (place)' with six decimals (about 0.1 m), or NULL without coordinates."""
    return (
        f"(CASE WHEN {latitude} IS NOT NULL AND {longitude} IS NOT NULL THEN "
        f"printf('Location: %.6f, %.6f', {latitude}, {longitude}) "
        f"|| coalesce(' (' || nullif({place}, '') || ')', '') "
        "END)"
    )


def prefixed(prefix: str, body: str) -> str:
    """``prefix`` and ``body`` on two lines when both are there, else whichever is."""
    return (
        f"(CASE WHEN {prefix} IS NULL THEN {body} "
        f"ELSE {prefix} || coalesce(char(10) || nullif({body}, ''), '') END)"
    )
