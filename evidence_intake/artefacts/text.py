"""Text from evidence that is not valid UTF-8: decoded with U+FFFD, flagged, raw bytes kept.

Apps sometimes store broken text (a truncated multi-byte character, another encoding, a corrupt
page). Dropping such a row would lose evidence and storing the broken bytes as TEXT would break every
reader of the store, so the decision is: decode with ``errors="replace"`` (the text stays searchable),
mark the row (``has_undecodable_text = 1``) and keep the exact bytes in the ``undecodable_text`` table,
so an examiner can look at them with another decoder.

``LossyText`` is a ``str`` that remembers its raw bytes; the engine's SQLite connections give it for
every text value that is not valid UTF-8, so parsers need do nothing to take part.
"""

from __future__ import annotations


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
