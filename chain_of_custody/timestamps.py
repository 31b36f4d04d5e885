"""The ledger's one timestamp format: UTC, microseconds, ``Z`` ("2026-11-28T00:48:13.123456Z").

Fixed width, so that text order is time order and every entry's time reads back exactly.
"""

from __future__ import annotations

import datetime as dt
import re

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_timestamp(moment: dt.datetime) -> str:
    """Aware datetime → ledger text. Naive datetimes are refused: their zone is unknowable."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; the ledger records UTC times only")
    return moment.astimezone(dt.UTC).strftime(_FORMAT)


def is_timestamp(text: object) -> bool:
    return isinstance(text, str) and TIMESTAMP_PATTERN.fullmatch(text) is not None


def parse_timestamp(text: str) -> dt.datetime:
    """Ledger text → aware UTC datetime; ValueError when the text is not in the ledger's format."""
    if not is_timestamp(text):
        raise ValueError(f"{text!r} is not a ledger timestamp (like 2026-11-28T00:48:13.123456Z)")
    return dt.datetime.strptime(text, _FORMAT).replace(tzinfo=dt.UTC)
