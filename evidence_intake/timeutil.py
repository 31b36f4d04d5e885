"""Time, the forensic way: timezone-aware UTC inside, the raw value kept, local time only when rendering.

Thai forms write years in the Buddhist Era (BE = CE + 543). A year of 2400 or more given on the
command line is read as BE, because no seizure happens in CE 2400; rendering in BE is a choice of
the report, never of storage.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from evidence_intake.errors import UsageError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

BE_OFFSET = 543
_BE_THRESHOLD = 2400

ACCEPTED_FORMS = (
    "2025-03-14T09:30:00+07:00 (ISO 8601 with offset)",
    "2025-03-14T02:30:00Z (UTC)",
    "2025-03-14 09:30 (read in the case time zone)",
    "2568-03-14 09:30 (Buddhist Era year, read in the case time zone)",
    "14/03/2568 09:30 (day/month/year as on Thai forms)",
)

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a Z, the one form stored everywhere."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: every time inside the tool carries its zone")
    # Built by hand: strftime's %Y does not pad years before 1000 ("999-01-01"), which would sort
    # after "2024-..." where the store compares times as text.
    v = value.astimezone(UTC)
    return f"{v.year:04d}-" + v.strftime("%m-%dT%H:%M:%S.%fZ")


def parse_iso_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only commands that render local times pay for it

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {name!r}",
            hint="use an IANA name such as Asia/Bangkok, Asia/Yangon, Asia/Shanghai or UTC",
        ) from exc


def parse_datetime(text: str, *, default_zone: str = "UTC") -> datetime:
    """Read a date and time as an officer writes it; naive values are in ``default_zone``."""
    raw = text.strip()
    parsed: datetime | None = None
    m = _DMY.match(raw)
    if m:
        day, month, year, hh, mm, ss = m.groups()
        try:
            parsed = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            parsed = None
    else:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise UsageError(
            f"cannot read the date and time {text!r}",
            hint="accepted forms: " + "; ".join(ACCEPTED_FORMS),
        )
    if parsed.year >= _BE_THRESHOLD:
        try:
            parsed = parsed.replace(year=parsed.year - BE_OFFSET)
        except ValueError as exc:  # 29 February of a BE year whose CE year is not leap
            raise UsageError(f"{text!r} is not a valid Buddhist Era date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(default_zone))
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 pushed out of range by the time zone
        raise UsageError(f"{text!r} is out of the range of dates that can be recorded") from exc


def to_zone(value: datetime, zone_name: str) -> datetime:
    return value.astimezone(zone(zone_name))


def format_local(value: datetime, zone_name: str, *, buddhist_era: bool = False) -> str:
    """Render for people: local wall time with its offset and zone, optionally with a BE year."""
    local = to_zone(value, zone_name)
    year = local.year + BE_OFFSET if buddhist_era else local.year
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    era = " BE" if buddhist_era else ""
    return f"{year:04d}-{local:%m-%d %H:%M:%S}{era} (UTC{offset}, {zone_name})"


# Epochs of the stores found on phones; parsers convert with these and keep the raw value.
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAC_ABSOLUTE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def from_epoch(value: float, *, epoch: datetime = UNIX_EPOCH, unit: float = 1.0) -> datetime | None:
    """``value`` counted in ``unit`` seconds since ``epoch``; None when out of the representable range."""
    try:
        return epoch + timedelta(seconds=value * unit)
    except (OverflowError, ValueError):
        return None
