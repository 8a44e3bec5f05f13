"""Date words resolved by hand (DESIGN.md section 9), and the period each is compared with."""

from __future__ import annotations

from datetime import date

import pytest

from powerpulse_pipeline.ask.dates import DateError, find_range

WEDNESDAY = date(2025, 3, 12)


@pytest.mark.parametrize(
    ("words", "as_of", "start", "end", "previous"),
    [
        ("last 7 days", WEDNESDAY, "2025-03-06", "2025-03-12", ("2025-02-27", "2025-03-05")),
        ("the past 30 days", WEDNESDAY, "2025-02-11", "2025-03-12", ("2025-01-12", "2025-02-10")),
        ("last 1 day", WEDNESDAY, "2025-03-12", "2025-03-12", ("2025-03-11", "2025-03-11")),
        ("last 2 weeks", WEDNESDAY, "2025-02-27", "2025-03-12", ("2025-02-13", "2025-02-26")),
        ("this week", WEDNESDAY, "2025-03-10", "2025-03-12", ("2025-03-03", "2025-03-09")),
        ("last week", WEDNESDAY, "2025-03-03", "2025-03-09", ("2025-02-24", "2025-03-02")),
        ("this month", WEDNESDAY, "2025-03-01", "2025-03-12", ("2025-02-01", "2025-02-28")),
        # "last month" is one whole calendar month, never two
        ("last month", WEDNESDAY, "2025-02-01", "2025-02-28", ("2025-01-01", "2025-01-31")),
        ("last month", date(2024, 3, 31), "2024-02-01", "2024-02-29", ("2024-01-01", "2024-01-31")),
        ("this quarter", WEDNESDAY, "2025-01-01", "2025-03-12", ("2024-10-01", "2024-12-31")),
        ("last quarter", WEDNESDAY, "2024-10-01", "2024-12-31", ("2024-07-01", "2024-09-30")),
        ("this year", WEDNESDAY, "2025-01-01", "2025-03-12", ("2024-01-01", "2024-12-31")),
        ("last year", WEDNESDAY, "2024-01-01", "2024-12-31", ("2023-01-01", "2023-12-31")),
        ("yesterday", WEDNESDAY, "2025-03-11", "2025-03-11", ("2025-03-10", "2025-03-10")),
        ("today", WEDNESDAY, "2025-03-12", "2025-03-12", ("2025-03-11", "2025-03-11")),
        # a month alone: its latest occurrence that has started; the current one runs to today
        ("in march", WEDNESDAY, "2025-03-01", "2025-03-12", ("2025-02-01", "2025-02-28")),
        ("february", WEDNESDAY, "2025-02-01", "2025-02-28", ("2025-01-01", "2025-01-31")),
        ("april", WEDNESDAY, "2024-04-01", "2024-04-30", ("2024-03-01", "2024-03-31")),
        ("in may", WEDNESDAY, "2024-05-01", "2024-05-31", ("2024-04-01", "2024-04-30")),
        ("march 2025", WEDNESDAY, "2025-03-01", "2025-03-31", ("2025-02-01", "2025-02-28")),
        ("feb 2024", WEDNESDAY, "2024-02-01", "2024-02-29", ("2024-01-01", "2024-01-31")),
        ("in 2024", WEDNESDAY, "2024-01-01", "2024-12-31", ("2023-01-01", "2023-12-31")),
        ("on 2025-03-04", WEDNESDAY, "2025-03-04", "2025-03-04", ("2025-03-03", "2025-03-03")),
        (
            "between 2025-03-03 and 2025-03-05",
            WEDNESDAY,
            "2025-03-03",
            "2025-03-05",
            ("2025-02-28", "2025-03-02"),
        ),
        (
            "2025-03-01..2025-03-07",
            WEDNESDAY,
            "2025-03-01",
            "2025-03-07",
            ("2025-02-22", "2025-02-28"),
        ),
        ("since 2025-03-10", WEDNESDAY, "2025-03-10", "2025-03-12", ("2025-03-07", "2025-03-09")),
        # ISO weeks across a new year: Monday first
        ("last week", date(2025, 1, 2), "2024-12-23", "2024-12-29", ("2024-12-16", "2024-12-22")),
        ("this week", date(2025, 1, 5), "2024-12-30", "2025-01-05", ("2024-12-23", "2024-12-29")),
    ],
)
def test_date_words(
    words: str, as_of: date, start: str, end: str, previous: tuple[str, str]
) -> None:
    found, rest = find_range(f"csat {words} please", as_of)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (start, end)
    assert tuple(d.isoformat() for d in found.previous()) == previous
    assert rest.split() == ["csat", "please"]


def test_may_as_a_verb_is_not_a_month() -> None:
    assert find_range("may i see csat", WEDNESDAY)[0] is None


@pytest.mark.parametrize("words", ["between 2025-03-09 and 2025-03-01", "on 2025-02-30"])
def test_impossible_ranges_are_said(words: str) -> None:
    with pytest.raises(DateError):
        find_range(words, WEDNESDAY)


def test_no_date_words_means_all_data() -> None:
    assert find_range("csat by agent", WEDNESDAY) == (None, "csat by agent")
