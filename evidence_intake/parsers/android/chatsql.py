"""SQL fragments shared by the chat-app parsers' bulk queries (WhatsApp, LINE, Viber).

Apps add columns from version to version; a bulk query names a column only when the file has it
(``col``), so one query serves several app versions without a layout per column. Values built here
follow the typed path exactly: attachments are the JSON objects ``Attachment.to_dict`` gives,
digit strings become integers only where the app stores times as text.
"""

from __future__ import annotations

from evidence_intake.parsers.source import Source


def col(source: Source, table: str, column: str, alias: str | None = None) -> str:
    """``alias.column`` when the file's ``table`` has the column, else ``NULL``."""
    return f"{alias or table}.{column}" if source.has_column(table, column) else "NULL"


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
