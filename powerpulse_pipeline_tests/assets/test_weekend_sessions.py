"""With a schedule, the session gap counts business time (DESIGN.md section 5): a question
left over a closed weekend stays in the conversation that answers it. Hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..reference.sessionize import StoredMessage
from ..sql_flow import conversations, settings_for

BERLIN_WEEKDAYS = "mon-fri 09:00-17:00"


def _msg(key: str, at: datetime, role: str, chat: str = "T") -> StoredMessage:
    return StoredMessage(
        chat, key, None, at, role, None, "Ana" if role == "agent" else None, key, False, None
    )


def test_a_friday_evening_question_answered_on_monday_is_one_answered_conversation() -> None:
    # Berlin is UTC+2 in May. Friday 2024-05-03 18:00 local; Monday 09:30 local.
    thread = [
        _msg("q", datetime(2024, 5, 3, 16, 0, tzinfo=UTC), "customer"),
        _msg("a", datetime(2024, 5, 6, 7, 30, tzinfo=UTC), "agent"),
    ]
    scheduled = settings_for(timezone="Europe/Berlin", business_hours=BERLIN_WEEKDAYS)
    (conv,) = conversations(thread, scheduled)
    assert conv.texts == ["q", "a"]
    assert conv.facts.first_response_seconds == 63.5 * 3600  # calendar: Fri 18:00 -> Mon 09:30
    assert conv.facts.first_response_business_seconds == 30 * 60  # Monday 09:00 -> 09:30

    # Without a schedule the 63.5 h silence splits the thread, as before: the question stays
    # unanswered and the reply alone (no customer message) is no conversation.
    (alone,) = conversations(thread, settings_for(timezone="Europe/Berlin"))
    assert alone.texts == ["q"]
    assert alone.facts.first_response_seconds is None


def test_the_gap_is_business_time_on_weekdays_too() -> None:
    # Monday 10:00 question, 10:05 answer; Wednesday 10:00 follow-up (Berlin). The silence is
    # 47 h 55 min of calendar time but 6 h 55 min (Mon) + 8 h (Tue) + 1 h (Wed) = 15 h 55 min
    # of business time.
    thread = [
        _msg("q1", datetime(2024, 5, 6, 8, 0, tzinfo=UTC), "customer"),
        _msg("a1", datetime(2024, 5, 6, 8, 5, tzinfo=UTC), "agent"),
        _msg("q2", datetime(2024, 5, 8, 8, 0, tzinfo=UTC), "customer"),
    ]
    day_gap = settings_for(timezone="Europe/Berlin", business_hours=BERLIN_WEEKDAYS)
    assert [c.texts for c in conversations(thread, day_gap)] == [["q1", "a1", "q2"]]
    shorter = settings_for(
        gap=timedelta(hours=15, minutes=54),
        timezone="Europe/Berlin",
        business_hours=BERLIN_WEEKDAYS,
    )
    assert [c.texts for c in conversations(thread, shorter)] == [["q1", "a1"], ["q2"]]
    exact = settings_for(
        gap=timedelta(hours=15, minutes=55),
        timezone="Europe/Berlin",
        business_hours=BERLIN_WEEKDAYS,
    )
    # a silence exactly as long as the gap does not split, as in calendar time
    assert [c.texts for c in conversations(thread, exact)] == [["q1", "a1", "q2"]]


def test_silences_while_closed_never_split() -> None:
    # Saturday 10:00 and 11:00 (closed all day): 0 business seconds apart, 1 h calendar.
    thread = [
        _msg("q1", datetime(2024, 5, 4, 8, 0, tzinfo=UTC), "customer"),
        _msg("q2", datetime(2024, 5, 4, 9, 0, tzinfo=UTC), "customer"),
    ]
    short = settings_for(
        gap=timedelta(minutes=30), timezone="Europe/Berlin", business_hours=BERLIN_WEEKDAYS
    )
    assert [c.texts for c in conversations(thread, short)] == [["q1", "q2"]]
