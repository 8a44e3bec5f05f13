"""DESIGN.md section 5 definitions on small threads with hand-computed expectations, run
through the pipeline's SQL stages (messages, conversation_facts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ..reference.sessionize import StoredMessage
from ..sql_flow import conversations, facts_of, settings_for

GAP = timedelta(hours=24)


def msg(
    at: datetime,
    role: str,
    text: str = "",
    key: str | None = None,
    bot: bool = False,
    chat: str = "T1",
) -> StoredMessage:
    return StoredMessage(
        chat_id=chat,
        message_key=key or f"{role}@{at.isoformat()}:{text}",
        message_id=None,
        sent_at=at,
        sender_role=role,
        sender_name=None,
        agent_name=None,
        text=text,
        marked_bot=bot,
        source_file="f.json",
    )


def t(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def build(thread: list[StoredMessage], gap: timedelta = GAP, zone: str = "UTC"):
    return conversations(thread, settings_for(gap=gap, timezone=zone))


def test_gap_of_exactly_24h_keeps_one_conversation_and_more_splits() -> None:
    thread = [
        msg(t(1, 10), "customer", "a"),
        msg(t(2, 10), "agent", "b"),
        msg(t(3, 10, 1), "customer", "c"),
    ]
    assert [c.texts for c in build(thread)] == [["a", "b"], ["c"]]


def test_duplicates_and_out_of_order_messages() -> None:
    a = msg(t(1, 10, 5), "agent", "answer")
    q = msg(t(1, 10, 0), "customer", "question")
    thread = [a, q, a, q]
    (conv,) = build(thread)
    assert conv.texts == ["question", "answer"]
    assert conv.facts.first_response_seconds == 300.0


def test_autoresponse_before_first_human_reply_is_not_a_response() -> None:
    thread = [
        msg(t(1, 9, 0), "customer", "no power"),
        msg(t(1, 9, 0) + timedelta(seconds=2), "agent", "Dial *977# for outages"),
        msg(t(1, 9, 1), "agent", "menu", bot=True),
        msg(t(1, 9, 30), "agent", "crew is on the way"),
        msg(t(1, 9, 40), "customer", "thanks"),
        msg(t(1, 9, 41), "customer", "when?"),
        msg(t(1, 10, 0), "agent", "by noon"),
        msg(t(1, 10, 5), "customer", "ok"),  # wait never closed
    ]
    (conv,) = build(thread)
    assert conv.flags == [False, True, True, False, False, False, False, False]
    facts = conv.facts
    assert facts.customer_messages == 4
    assert facts.agent_messages == 2
    assert facts.autoresponses == 2
    assert facts.first_response_seconds == 30 * 60
    # waits: 09:00 -> 09:30 (1800 s), 09:40 -> 10:00 (1200 s); the 10:05 wait never closes
    assert facts.response_waits == 2
    assert facts.avg_response_seconds == 1500.0
    assert facts.response_seconds_total == 3000.0


def test_business_initiated_conversation() -> None:
    thread = [
        msg(t(1, 8, 0), "agent", "Planned maintenance tonight"),
        msg(t(1, 20, 0), "customer", "How long?"),
        msg(t(1, 20, 15), "agent", "Two hours"),
    ]
    (conv,) = build(thread)
    assert conv.conversation_id == "T1:2024-05-01T08:00:00Z"  # starts with the Page's message
    assert conv.day == date(2024, 5, 1)
    assert conv.facts.first_response_seconds == 15 * 60
    assert conv.facts.agent_messages == 2


def test_segment_without_customer_is_not_a_conversation() -> None:
    thread = [
        msg(t(1, 8), "agent", "Newsletter"),
        msg(t(5, 8), "customer", "stop"),
        msg(t(5, 9), "agent", "done"),
    ]
    convs = build(thread)
    assert [c.conversation_id for c in convs] == ["T1:2024-05-05T08:00:00Z"]


def test_unanswered_conversation_has_no_response_times() -> None:
    facts = facts_of([(t(1, 8), "customer", False), (t(1, 9), "agent", True)])
    assert facts.first_response_seconds is None
    assert facts.avg_response_seconds is None
    assert facts.agent_messages == 0 and facts.autoresponses == 1


def test_conversation_across_midnight_belongs_to_its_first_customer_message_day() -> None:
    thread = [msg(t(1, 23, 50), "customer", "late"), msg(t(2, 0, 20), "agent", "early")]
    (conv,) = build(thread)
    assert conv.day == date(2024, 5, 1)
    assert conv.facts.first_response_seconds == 30 * 60


def test_day_in_a_zone_east_of_utc_with_a_non_whole_hour_offset() -> None:
    # 18:30 UTC is 00:15 the next day in Kathmandu (UTC+05:45).
    thread = [msg(t(1, 18, 30), "customer", "hello")]
    (conv,) = build(thread, zone="Asia/Kathmandu")
    assert conv.day == date(2024, 5, 2)


def test_dst_changes_the_utc_hour_that_starts_a_local_day() -> None:
    # 2024-03-10 is the spring-forward day: EST (UTC-5) before, EDT (UTC-4) after.
    before = msg(datetime(2024, 3, 10, 4, 30, tzinfo=UTC), "customer", "x", chat="A")  # 23:30 EST
    after = msg(datetime(2024, 3, 11, 3, 30, tzinfo=UTC), "customer", "y", chat="B")  # 23:30 EDT
    (a,) = build([before], zone="America/New_York")
    (b,) = build([after], zone="America/New_York")
    assert a.day == date(2024, 3, 9)
    assert b.day == date(2024, 3, 10)
    # A wait across the DST jump is measured in real elapsed time (1 h, not 2 h).
    facts = facts_of(
        [
            (datetime(2024, 3, 10, 6, 30, tzinfo=UTC), "customer", False),  # 01:30 EST
            (datetime(2024, 3, 10, 7, 30, tzinfo=UTC), "agent", False),  # 03:30 EDT
        ]
    )
    assert facts.first_response_seconds == 3600


def test_session_gap_setting_changes_the_split() -> None:
    thread = [msg(t(1, 10), "customer", "a"), msg(t(1, 13), "customer", "b")]
    assert len(build(thread, gap=timedelta(hours=2))) == 2
    assert len(build(thread, gap=timedelta(hours=3))) == 1
