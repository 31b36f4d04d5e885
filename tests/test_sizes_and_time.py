from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evidence_intake.errors import UsageError
from evidence_intake.sizes import human, parse_size
from evidence_intake.timeutil import (
    MAC_ABSOLUTE_EPOCH,
    format_local,
    from_epoch,
    iso_utc,
    parse_datetime,
    parse_iso_utc,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4000000000", 4_000_000_000),
        ("2GiB", 2 * 1024**3),
        ("650MB", 650_000_000),
        ("650 mb", 650_000_000),
        ("1.5GB", 1_500_000_000),
        ("512", 512),
        ("64KiB", 65536),
        ("4,000,000,000", 4_000_000_000),
    ],
)
def test_sizes_as_people_write_them(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "two gigs", "5XB", "1.5", "-3MB"])
def test_unreadable_sizes_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_size(text)
    assert info.value.hint and "2GiB" in info.value.hint


def test_human_sizes() -> None:
    assert human(512) == "512 B"
    assert human(2 * 1024**3) == "2.0 GiB"
    assert human(None) == "unknown"


def test_iso_utc_keeps_microseconds_and_zone() -> None:
    value = datetime(2025, 3, 14, 2, 30, 0, 123456, tzinfo=UTC)
    assert iso_utc(value) == "2025-03-14T02:30:00.123456Z"
    with pytest.raises(ValueError):
        iso_utc(datetime(2025, 3, 14))


@pytest.mark.parametrize("year", [1, 99, 999, 1000, 1969, 2568, 9999])
def test_iso_utc_has_four_digit_years_so_that_times_sort_as_text(year: int) -> None:
    """The store compares times as text (--since/--until): a year before 1000 must not read as '999-'."""
    value = datetime(year, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    text = iso_utc(value)
    assert text == f"{year:04d}-01-02T03:04:05.000006Z"
    assert (text < iso_utc(datetime(2024, 1, 1, tzinfo=UTC))) == (year < 2024)
    assert parse_iso_utc(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-14T09:30:00+07:00",
        "2025-03-14T02:30:00Z",
        "2025-03-14 09:30",
        "2568-03-14 09:30",
        "14/03/2568 09:30",
        "14/03/2025 09:30",
    ],
)
def test_dates_in_every_accepted_form_mean_the_same_instant(text: str) -> None:
    assert parse_datetime(text, default_zone="Asia/Bangkok") == datetime(2025, 3, 14, 2, 30, tzinfo=UTC)


def test_unparseable_dates_list_the_accepted_forms() -> None:
    with pytest.raises(UsageError) as info:
        parse_datetime("yesterday at noon")
    assert info.value.hint and "ISO 8601" in info.value.hint and "Buddhist Era" in info.value.hint


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(UsageError):
        parse_datetime("2025-03-14 09:30", default_zone="Mars/Olympus")


def test_rendering_in_local_time_and_buddhist_era() -> None:
    value = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
    assert format_local(value, "Asia/Bangkok") == "2025-03-14 09:30:00 (UTC+07:00, Asia/Bangkok)"
    assert format_local(value, "Asia/Bangkok", buddhist_era=True).startswith("2568-03-14 09:30:00 BE")
    assert format_local(value, "Asia/Yangon").startswith("2025-03-14 09:00:00 (UTC+06:30")


def test_epoch_conversion_and_out_of_range() -> None:
    assert from_epoch(600000000, epoch=MAC_ABSOLUTE_EPOCH) == datetime(2020, 1, 6, 10, 40, tzinfo=UTC)
    assert from_epoch(1e300) is None


@pytest.mark.parametrize("text", ["0001-01-01 00:00", "01/01/0001"])
def test_a_date_pushed_out_of_range_by_the_time_zone_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="out of the range"):
        parse_datetime(text, default_zone="Asia/Bangkok")
