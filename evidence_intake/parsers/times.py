"""Stored timestamps to aware UTC datetimes, with one rule set shared by typed and bulk parsers.

Rules (the SQL in ``parsers.sql.iso_time`` follows them exactly; a test checks both agree):

* ``None`` and ``0`` mean "unknown" (Android writes 0 into ``date_sent`` when it does not know):
  the result is None and nothing is flagged.
* Integers are converted with integer arithmetic (no float rounding): sub-second digits below the
  unit are floored (nanoseconds to microseconds).
* A value that falls outside 1900-01-01 .. 9999-12-31 is "out of range": the result is None, the raw
  value is kept, and the engine counts it as a warning for the source file. Text and blobs are not
  converted (also None, also flagged).
* Floats go through ``timedelta`` (microsecond rounding), in both paths.

Epochs: Unix (1970), Mac absolute / Cocoa (2001, iOS), WebKit / Chrome (1601).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

UNITS: dict[str, int] = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
EPOCH_OFFSETS: dict[str, int] = {"unix": 0, "mac": 978_307_200, "webkit": -11_644_473_600}

MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_UNIX_S = -2_208_988_800  # 1900-01-01T00:00:00Z
_MAX_UNIX_S = 253_402_300_799  # 9999-12-31T23:59:59Z


def bounds(unit: str, epoch: str) -> tuple[int, int]:
    """Smallest and largest stored integer that converts, for this unit and epoch."""
    per = UNITS[unit]
    off = EPOCH_OFFSETS[epoch]
    return (_MIN_UNIX_S - off) * per, (_MAX_UNIX_S - off) * per + (per - 1)


def convert(value: object, *, unit: str = "ms", epoch: str = "unix") -> datetime | None:
    """``value`` counted in ``unit`` since ``epoch``; None when unknown, not a number or out of range."""
    if value is None or isinstance(value, bool):
        return None
    per = UNITS[unit]
    off = EPOCH_OFFSETS[epoch]
    if isinstance(value, int):
        lo, hi = bounds(unit, epoch)
        if value == 0 or not lo <= value <= hi:
            return None
        rest = value % per
        seconds = (value - rest) // per + off
        micros = rest * 1_000_000 // per
        return _UNIX + timedelta(seconds=seconds, microseconds=micros)
    if isinstance(value, float):
        return float_time(value, per, off)
    return None


def float_time(value: float, per: int, off: int) -> datetime | None:
    if value == 0 or not math.isfinite(value):
        return None
    try:
        result = _UNIX + timedelta(seconds=off) + timedelta(seconds=value / per)
    except OverflowError:
        return None
    if not MIN_TIME <= result <= MAX_TIME:
        return None
    return result


def unix_ms(value: object) -> datetime | None:
    return convert(value, unit="ms", epoch="unix")


def unix_s(value: object) -> datetime | None:
    return convert(value, unit="s", epoch="unix")


def mac_absolute(value: object) -> datetime | None:
    """iOS/Cocoa time: seconds since 2001-01-01 (nanoseconds from iOS 11 in sms.db: use ``mac_ns``)."""
    return convert(value, unit="s", epoch="mac")


def mac_ns(value: object) -> datetime | None:
    return convert(value, unit="ns", epoch="mac")


def webkit_us(value: object) -> datetime | None:
    return convert(value, unit="us", epoch="webkit")
