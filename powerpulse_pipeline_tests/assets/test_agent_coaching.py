"""`agent_coaching` (DESIGN.md section 10): hand-computed points and evidence, the evidence
property over generated reviews, and the LLM coach against a real local OpenAI-compatible
server (bad citations dropped, unusable replies retried then coached offline, a cache)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.assets.agent_coaching import write_agent_coaching
from powerpulse_pipeline.coaching.openai_coach import OpenAICoach
from powerpulse_pipeline.coaching.points import OFFLINE_COACH
from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.scoring.openai_scorer import OpenAISettings
from powerpulse_pipeline.scoring.pricing import Price
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS
from powerpulse_pipeline.warehouse.checks import AGENT_COACHING_CHECKS
from powerpulse_pipeline.warehouse.schema import ensure_schema

from ..fake_openai import fake_openai_server

T, F, N = True, False, None
Verdicts = tuple[bool | None, ...]  # in quality.NAMES order


def _insert(
    conn: duckdb.DuckDBPyConnection,
    rows: list[tuple[str, str, date, Verdicts]],
    excluded: frozenset[str] = frozenset(),
) -> None:
    """Conversations with these reviews: (conversation_id, agent, day, verdicts)."""
    for conversation_id, agent, day, verdicts in rows:
        applicable = [v for v in verdicts if v is not None]
        conn.execute(
            f"INSERT INTO conversations (conversation_id, chat_id, day, started_at, ended_at, "
            f"customer_messages, agent_messages, autoresponses, response_waits, "
            f"response_seconds_total, agent_name, score_status, content_hash, agent_excluded, "
            f"summary, coaching_note, qa_score, {', '.join(quality.COLUMNS)}) "
            f"VALUES (?, ?, ?, ?, ?, 1, 1, 0, 1, 60, ?, 'scored', ?, ?, ?, ?, ?, "
            f"{', '.join('?' * len(quality.COLUMNS))})",
            [
                conversation_id,
                conversation_id,
                day,
                f"{day} 10:00:00+00",
                f"{day} 10:10:00+00",
                agent,
                conversation_id,
                agent in excluded,
                f"summary of {conversation_id}",
                None if all(applicable) else "Offer more help before closing.",
                quality.qa_score(dict(zip(quality.NAMES, verdicts, strict=True))),
                *verdicts,
            ],
        )


@contextmanager
def _db() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        yield conn


def _factory(conn: duckdb.DuckDBPyConnection) -> Any:
    @contextmanager
    def open_() -> Iterator[duckdb.DuckDBPyConnection]:
        yield conn

    return open_


def _coaching(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, date, str], dict[str, Any]]:
    cursor = conn.execute("SELECT * FROM agent_coaching")
    columns = [d[0] for d in cursor.description]
    return {
        (r["period"], r["period_start"], r["agent_name"]): r
        for r in (dict(zip(columns, row, strict=True)) for row in cursor.fetchall())
    }


def _violations(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> list[str]:
    return [c.name for c in AGENT_COACHING_CHECKS if not c.run(conn, first, last).passed]


# Week of Monday 26 Feb 2024 (a leap February): Ann's four conversations and one on Sunday
# 3 March, which is in that ISO week but in March. Verdicts: greeting, comprehension, empathy,
# solution, closing, tone.
MON, TUE, SUN = date(2024, 2, 26), date(2024, 2, 27), date(2024, 3, 3)
ANN = [
    ("a1", "Ann", MON, (T, T, T, N, F, T)),
    ("a2", "Ann", MON, (T, T, N, N, F, T)),
    ("a3", "Ann", TUE, (T, T, N, N, T, T)),
    ("a4", "Ann", SUN, (F, T, N, N, F, T)),
]


def test_offline_points_by_hand() -> None:
    with _db() as conn:
        _insert(
            conn,
            [*ANN, ("b1", "Ben", TUE, (N,) * 6), ("m1", "Boss", TUE, (T,) * 6)],
            frozenset({"Boss"}),
        )
        written = write_agent_coaching(_factory(conn), None, MON, MON)
        rows = _coaching(conn)
        assert _violations(conn, MON, SUN) == []

    # The run's day (26 Feb) falls in the week 26 Feb - 3 Mar and in February. Ben has no
    # review (nothing to coach from); the excluded manager is left out.
    assert written.periods == 2
    assert set(rows) == {("week", MON, "Ann"), ("month", date(2024, 2, 1), "Ann")}
    week = rows[("week", MON, "Ann")]
    assert week["period_end"] == SUN
    assert week["conversations"] == 4 and week["reviewed_conversations"] == 4
    # qa_score per conversation: 4 of 5, 3 of 4, 4 of 4, 2 of 4 -> mean 76.25
    assert week["qa_score"] == pytest.approx(100 * (0.8 + 0.75 + 1.0 + 0.5) / 4)
    # Strengths, best first: comprehension 4/4 and tone 4/4 (rubric order breaks the tie),
    # empathy 1/1. Improvements, worst first: closing 1/4, then greeting 3/4 (under 80%).
    assert week["strength_categories"] == ["comprehension", "tone", "empathy"]
    assert week["improvement_categories"] == ["closing", "greeting"]
    assert week["strengths"][0] == (
        f"{quality.BY_NAME['comprehension'].strength} (4 of 4 conversations)."
    )
    assert week["improvements"][0] == (
        f"{quality.BY_NAME['closing'].improvement} (missed in 3 of 4 conversations)."
    )
    # Newest first, at most three per point.
    assert week["strength_examples"][0] == ["a4", "a3", "a1"]
    assert week["strength_examples"][2] == ["a1"]
    assert week["improvement_examples"] == [["a4", "a1", "a2"], ["a4"]]  # a day, then id
    assert week["example_conversation_ids"] == ["a4", "a3", "a1", "a2"]
    assert week["generated_by"] == OFFLINE_COACH

    month = rows[("month", date(2024, 2, 1), "Ann")]
    assert month["period_end"] == date(2024, 2, 29)
    assert month["conversations"] == 3  # a4 is in March
    assert month["improvement_categories"] == ["closing"]  # 1 of 3; greeting passed 3/3
    assert month["improvement_examples"] == [["a1", "a2"]]


def test_a_run_rebuilds_its_periods_whole() -> None:
    with _db() as conn:
        _insert(conn, ANN)
        write_agent_coaching(_factory(conn), None, SUN, SUN)
        # A run for 3 March rebuilt the week (all four) and March (a4 only).
        rows = _coaching(conn)
        assert rows[("week", MON, "Ann")]["conversations"] == 4
        assert rows[("month", date(2024, 3, 1), "Ann")]["conversations"] == 1
        conn.execute("DELETE FROM conversations WHERE conversation_id = 'a4'")
        write_agent_coaching(_factory(conn), None, SUN, SUN)
        rows = _coaching(conn)
        assert rows[("week", MON, "Ann")]["conversations"] == 3
        assert ("month", date(2024, 3, 1), "Ann") not in rows  # nothing left to coach


_verdict = st.sampled_from([True, False, None])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Ann", "Ben", "Cy"]),
            st.integers(0, 45),
            st.tuples(*[_verdict] * len(quality.NAMES)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_every_citation_shows_its_point(reviews: list[tuple[str, int, Verdicts]]) -> None:
    """Whatever the reviews: every conversation cited for an improvement failed that category,
    every one cited for a strength passed it; each agent period with a review has a point."""
    start = date(2024, 1, 29)
    rows = [
        (f"c{i}", agent, start + timedelta(days=offset), verdicts)
        for i, (agent, offset, verdicts) in enumerate(reviews)
    ]
    with _db() as conn:
        _insert(conn, rows)
        write_agent_coaching(_factory(conn), None, start, start + timedelta(days=45))
        assert _violations(conn, start, start + timedelta(days=45)) == []
        coached = _coaching(conn)
    for agent, offset, _ in reviews:
        day = start + timedelta(days=offset)
        week = day - timedelta(days=day.weekday())
        assert (("week", week, agent) in coached) == any(
            any(v is not None for v in r[3])
            and r[1] == agent
            and r[2] - timedelta(days=r[2].weekday()) == week
            for r in rows
        )


# The LLM coach against a real local server speaking the OpenAI API.


def _coach(base_url: str, **overrides: Any) -> OpenAICoach:
    options: dict[str, Any] = dict(
        model="gpt-4o-mini",
        concurrency=4,
        topics=DEFAULT_TOPICS,
        max_attempts=3,
        price=Price(input=0.15, cached_input=0.075, output=0.60),
    )
    return OpenAICoach(
        OpenAISettings(**(options | overrides)), api_key="sk-test-coach", base_url=base_url
    )


def _reply(request: dict[str, Any], lie: bool = False) -> str:
    """A coach that cites what it was shown: improvements from failed reviews; with `lie`, it
    also cites a passing review and a reference that does not exist."""
    shown = json.loads(request["messages"][-1]["content"])
    assert "Ann" not in request["messages"][-1]["content"]  # never the agent's name
    failed = [r["ref"] for r in shown["reviews"] if "closing" in r["failed"]]
    passed = [r["ref"] for r in shown["reviews"] if "closing" in r["passed"]]
    examples = failed[:1] + ([*passed[:1], "c999"] if lie else [])
    return json.dumps(
        {
            "strengths": [
                {
                    "category": "tone",
                    "point": "Stays polite.",
                    "examples": [shown["reviews"][0]["ref"]],
                }
            ],
            "improvements": [
                {
                    "category": "closing",
                    "point": "Offer more help before closing.",
                    "examples": examples,
                }
            ],
        }
    )


def test_the_llm_coach_writes_checked_points_and_is_cached() -> None:
    with (
        fake_openai_server(content_for=lambda r: _reply(r, lie=True)) as (url, state),
        _db() as conn,
    ):
        _insert(conn, ANN)
        written = write_agent_coaching(_factory(conn), _coach(url), MON, MON)
        rows = _coaching(conn)
        assert _violations(conn, MON, SUN) == []
        assert written.requests == 2  # the week and February
        assert written.cost_usd > 0 and written.prompt_tokens > 0
        week = rows[("week", MON, "Ann")]
        assert week["generated_by"] == "openai:gpt-4o-mini"
        assert week["strengths"] == ["Stays polite."]
        assert week["improvements"] == ["Offer more help before closing."]
        # The passing review and the unknown reference the model cited were dropped.
        (cited,) = week["improvement_examples"]
        assert cited and all(c in {"a1", "a2", "a4"} for c in cited)
        request = json.loads(state.bodies[0])
        assert request["response_format"]["json_schema"]["strict"] is True
        assert "summary of" in request["messages"][-1]["content"]  # summaries, not transcripts

        again = write_agent_coaching(_factory(conn), _coach(url), MON, MON)
        assert again.requests == 0 and again.cache_hits == 2
        assert state.requests == 2


def test_an_unusable_reply_is_retried_then_coached_offline() -> None:
    empty = json.dumps({"strengths": [], "improvements": []})
    with fake_openai_server(content_for=lambda r: empty) as (url, _), _db() as conn:
        _insert(conn, ANN)
        written = write_agent_coaching(_factory(conn), _coach(url, max_attempts=2), MON, MON)
        rows = _coaching(conn)
        assert _violations(conn, MON, SUN) == []
    assert written.requests == 4 and written.retries == 2  # 2 attempts for each period
    assert written.fallbacks == 2
    assert {r["generated_by"] for r in rows.values()} == {OFFLINE_COACH}
    assert "no point is backed" in written.errors[0]


def test_a_point_citing_nothing_usable_borrows_the_periods_own_evidence() -> None:
    unknown = json.dumps(
        {
            "strengths": [],
            "improvements": [
                {"category": "closing", "point": "Offer more help.", "examples": ["c999"]}
            ],
        }
    )
    with fake_openai_server(content_for=lambda r: unknown) as (url, _), _db() as conn:
        _insert(conn, ANN)
        write_agent_coaching(_factory(conn), _coach(url), MON, MON)
        week = _coaching(conn)[("week", MON, "Ann")]
        assert week["generated_by"] == "openai:gpt-4o-mini"
        assert week["improvement_examples"] == [["a4", "a1", "a2"]]
        assert _violations(conn, MON, SUN) == []
