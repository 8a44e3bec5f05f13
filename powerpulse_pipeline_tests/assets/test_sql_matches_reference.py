"""The SQL stages (messages, conversation_facts) against the row-by-row Python they replaced,
on generated threads: ties in time, agent-only stretches, autoresponses by pattern and by flag,
gaps around the session gap (in business time with a schedule), business hours across a
weekend, and texts with quotes,
backslashes, control characters and emoji (the content hash must stay Python's json.dumps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.scoring.base import make_transcript

from ..reference.sessionize import StoredMessage, build_conversations, response_facts
from ..sql_flow import conversations, settings_for

START = datetime(2024, 5, 3, 14, 0, tzinfo=UTC)  # a Friday afternoon
TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.just("Dial *977# for outages"),
    st.text(
        alphabet=st.sampled_from(list('ab "\\\n\t\x0b\x1f\x00é😀/*977#')), min_size=1, max_size=8
    ),
)
MESSAGE = st.tuples(
    # minutes after START: ties, gaps of every size, and whole hours (gaps equal to the gap)
    st.one_of(st.integers(0, 4 * 24 * 60), st.integers(0, 4 * 24).map(lambda h: h * 60)),
    st.sampled_from(["customer", "agent"]),
    TEXT,
    st.booleans(),  # the export marks it as a bot
)
FACT_COLUMNS = (
    "customer_messages",
    "agent_messages",
    "autoresponses",
    "first_response_seconds",
    "avg_response_seconds",
    "response_waits",
    "response_seconds_total",
    "first_response_business_seconds",
    "avg_response_business_seconds",
    "response_business_seconds_total",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(MESSAGE, min_size=1, max_size=12),
    gap_hours=st.sampled_from([1, 6, 24]),
    business=st.booleans(),
)
def test_conversations_and_facts_equal_the_python_reference(
    rows: list[tuple[int, str, str | None, bool]], gap_hours: int, business: bool
) -> None:
    config = settings_for(
        gap=timedelta(hours=gap_hours),
        timezone="Europe/Berlin",
        business_hours="mon-fri 09:00-17:00" if business else "",
    )
    messages = [
        StoredMessage(
            "T",
            f"k{i:02d}",
            None,
            START + timedelta(minutes=m),
            role,
            None,
            None,
            text,
            bot and role == "agent",
            None,
        )
        for i, (m, role, text, bot) in enumerate(rows)
    ]
    expected = build_conversations(
        messages,
        config.session_gap,
        config.zone,
        config.is_autoresponse_text,
        config.business_hours,
    )
    found = conversations(messages, config)
    assert [c.conversation_id for c in found] == [c.conversation_id for c in expected]
    for sql, ref in zip(found, expected, strict=True):
        assert sql.day == ref.day
        assert sql.texts == [m.message.text for m in ref.messages]
        assert sql.flags == [m.is_autoresponse for m in ref.messages]
        facts = response_facts(
            [(m.message.sent_at, m.message.sender_role, m.is_autoresponse) for m in ref.messages],
            config.business_hours,
        )
        for column in FACT_COLUMNS:
            value = getattr(facts, column)
            assert getattr(sql.facts, column) == (
                value if value is None else pytest.approx(value)
            ), column
        turns = [(m.message.sender_role, m.message.text) for m in ref.messages]
        human = [t for t, m in zip(turns, ref.messages, strict=True) if not m.is_autoresponse]
        assert sql.facts.content_hash == make_transcript(human).content_hash
