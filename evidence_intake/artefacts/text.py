"""Text from evidence that is not valid UTF-8: decoded with U+FFFD, flagged, raw bytes kept.

Apps sometimes store broken text (a truncated multi-byte character, another encoding, a corrupt
page). Dropping such a row would lose evidence and storing the broken bytes as TEXT would break every
reader of the store, so the decision is: decode with ``errors="replace"`` (the text stays searchable),
mark the row (``has_undecodable_text = 1``) and keep the exact bytes in the ``undecodable_text`` table,
so an examiner can look at them with another decoder.

``LossyText`` is a ``str`` that remembers its raw bytes; the engine's SQLite connections give it for
every text value that is not valid UTF-8, so parsers that store values as read need do nothing to
take part. Building text from such values is another matter: an f-string, ``str.join``, ``str()``,
``strip`` or slicing gives a plain ``str``, and the flag and the raw bytes are lost. A parser that
composes text from values it read uses the helpers below (``concat``, ``join_text``, ``strip_text``,
``partition_text``, ``as_text``), which give a ``LossyText`` whenever a part is one.

The raw bytes of a composed value are the composition of its parts' bytes: each ``LossyText`` part
gives the bytes it was decoded from, every other part (the parser's own words and separators, text
that was valid) its UTF-8. They are what SQLite gives for the same composition done with ``||`` in a
bulk query, so a value has the same raw bytes whichever path built it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any


class LossyText(str):
    """A ``str`` decoded with replacement characters, carrying the bytes it was decoded from."""

    __slots__ = ("raw",)
    raw: bytes

    def __new__(cls, text: str, raw: bytes) -> LossyText:
        obj = super().__new__(cls, text)
        obj.raw = raw
        return obj

    @classmethod
    def decode(cls, data: bytes) -> str:
        """``data`` as text: a plain ``str`` when it is valid UTF-8, else a ``LossyText``."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return cls(data.decode("utf-8", errors="replace"), bytes(data))


def text_factory(data: bytes) -> str:
    """``sqlite3.Connection.text_factory`` that never raises on invalid UTF-8."""
    return LossyText.decode(data)


def raw_bytes(text: str) -> bytes:
    """The bytes ``text`` stands for: a ``LossyText``'s raw bytes, else its UTF-8."""
    if isinstance(text, LossyText):
        return text.raw
    return text.encode("utf-8", "surrogatepass")


def concat(*parts: object) -> str:
    """The parts written one after the other (an f-string that keeps ``LossyText``).

    Parts that are not text (numbers) are written with ``str``.
    """
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    return _compose("", texts)


def join_text(sep: str, parts: Iterable[str]) -> str:
    """``sep.join(parts)`` that stays a ``LossyText`` (with the composed raw bytes) when a part is one."""
    return _compose(sep, list(parts))


def _compose(sep: str, parts: list[str]) -> str:
    text = sep.join(parts)
    if not any(isinstance(p, LossyText) for p in parts):
        return text
    return LossyText(text, raw_bytes(sep).join(raw_bytes(p) for p in parts))


def strip_text(text: str) -> str:
    """``text.strip()`` that keeps a ``LossyText`` and the bytes between the stripped white space.

    White space is never a replacement character, so what is stripped was valid UTF-8 at the ends
    of the raw bytes, and the same characters are cut from them.
    """
    stripped = text.strip()
    if not isinstance(text, LossyText) or not stripped:
        return stripped
    if len(stripped) == len(text):
        return text
    head = len(text) - len(text.lstrip())
    tail = len(text) - head - len(stripped)
    start = len(text[:head].encode("utf-8", "surrogatepass"))
    end = len(text.raw) - len(text[len(text) - tail :].encode("utf-8", "surrogatepass"))
    return LossyText(stripped, text.raw[start:end])


def partition_text(text: str, sep: str) -> tuple[str, str, str]:
    """``text.partition(sep)`` for an ASCII ``sep``, each side a ``LossyText`` when it is not valid UTF-8.

    An ASCII byte is never part of an invalid sequence, so cutting the raw bytes at ``sep`` cuts the
    decoded text at the same place.
    """
    if not isinstance(text, LossyText):
        return text.partition(sep)
    head, found, tail = text.raw.partition(sep.encode("ascii"))
    return LossyText.decode(head), found.decode("ascii"), LossyText.decode(tail)


def as_text(value: object) -> str:
    """``str(value)``, except that text (a ``LossyText`` too) is given as it is: ``str()`` would make a
    ``LossyText`` a plain ``str`` and lose its raw bytes."""
    return value if isinstance(value, str) else str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the bytes 0x80..0xFF a surrogateescape decoder could not read
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def storable(text: str) -> str:
    """``text`` made encodable as UTF-8, for the store and the ledger.

    Messages of exceptions raised on bad evidence may carry lone surrogates (a decoder's
    ``surrogateescape`` of bytes that are not UTF-8, a file name from a foreign file system); SQLite and
    the ledger's canonical JSON refuse them. They are written as backslash escapes: ``\\xdf`` for an
    escaped byte, ``\\udxxx`` for any other lone surrogate, so nothing is lost and nothing is guessed.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(_escape_surrogate, text)
    return text


def storable_value(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, tuples, strings, numbers) with every string ``storable``."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_value(k): storable_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable_value(v) for v in value]
    return value


def json_loads(text: str) -> Any:
    """``json.loads`` that keeps undecodable text: when ``text`` is a ``LossyText``, every string in
    the result that holds some of its bad bytes is a ``LossyText`` of exactly its own bytes, so a
    name read out of a JSON column keeps its flag and raw bytes like any other column's text.

    Raises ValueError as ``json.loads`` does.
    """
    if not isinstance(text, LossyText):
        return json.loads(text)
    return _lossy_strings(json.loads(text.raw.decode("utf-8", "surrogateescape")))


def _lossy_strings(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8, held as surrogate escapes
            try:
                return LossyText.decode(value.encode("utf-8", "surrogateescape"))
            except UnicodeEncodeError:  # a lone surrogate written as a \\u escape in the JSON itself
                return LossyText.decode(value.encode("utf-8", "surrogatepass"))
        return value
    if isinstance(value, list):
        return [_lossy_strings(v) for v in value]
    if isinstance(value, dict):
        return {_lossy_strings(k): _lossy_strings(v) for k, v in value.items()}
    return value
