"""Business-hours waits, by hand, through the SQL that conversation_facts runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from powerpulse_pipeline.business_hours import BusinessHours, ScheduleError

from .sql_flow import seconds_between

BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def test_a_wait_over_the_weekend_counts_only_open_hours() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-17:00", BERLIN)
    # Friday 2024-05-03 16:30 -> Monday 2024-05-06 09:15 Berlin: 30 min + 15 min
    friday, monday = at(BERLIN, 2024, 5, 3, 16, 30), at(BERLIN, 2024, 5, 6, 9, 15)
    assert seconds_between(hours, friday, monday) == 45 * 60
    # Saturday to Sunday: nothing open
    assert seconds_between(hours, at(BERLIN, 2024, 5, 4, 10), at(BERLIN, 2024, 5, 5, 18)) == 0


def test_a_sunday_to_friday_week_with_a_short_friday() -> None:
    tel_aviv = ZoneInfo("Asia/Jerusalem")
    hours = BusinessHours.parse("sun-thu 09:00-17:00; fri 09:00-13:00", tel_aviv)
    # Friday 12:00 -> Sunday 10:00: 1 h on Friday, Saturday closed, 1 h on Sunday
    start, end = at(tel_aviv, 2024, 5, 3, 12), at(tel_aviv, 2024, 5, 5, 10)
    assert seconds_between(hours, start, end) == 2 * 3600


def test_split_shifts_and_a_reply_after_closing() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-12:00,13:00-17:00", BERLIN)
    # 11:30 -> 13:30 the same day: 30 min before lunch, 30 after
    assert (
        seconds_between(hours, at(BERLIN, 2024, 5, 6, 11, 30), at(BERLIN, 2024, 5, 6, 13, 30))
        == 3600
    )
    # asked at 18:00, answered 19:00: no business time elapsed
    assert seconds_between(hours, at(BERLIN, 2024, 5, 6, 18), at(BERLIN, 2024, 5, 6, 19)) == 0


def test_round_the_clock_on_a_dst_day_is_real_elapsed_time() -> None:
    hours = BusinessHours.parse("mon-sun 00:00-24:00", BERLIN)
    # 2024-03-31: clocks jump 02:00 -> 03:00; the local day lasts 23 hours
    start, end = at(BERLIN, 2024, 3, 31, 0, 0), at(BERLIN, 2024, 4, 1, 0, 0)
    assert seconds_between(hours, start, end) == 23 * 3600


def test_kathmandu_offset() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    hours = BusinessHours.parse("mon-fri 10:00-18:00", kathmandu)
    # 04:00 UTC is 09:45 local; 05:00 UTC is 10:45 local: 45 business minutes
    start = datetime(2024, 5, 6, 4, 0, tzinfo=UTC)
    assert seconds_between(hours, start, datetime(2024, 5, 6, 5, 0, tzinfo=UTC)) == 45 * 60


@pytest.mark.parametrize(
    "text",
    ["weekdays 9-5", "mon-fri 17:00-09:00", "mon 09:00-12:00,11:00-13:00", "", "xyz 09:00-17:00"],
)
def test_bad_schedules_are_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(ScheduleError, match="POWERPULSE_BUSINESS_HOURS"):
        BusinessHours.parse(text, BERLIN)
