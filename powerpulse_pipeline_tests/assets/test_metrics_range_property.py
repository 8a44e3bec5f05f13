"""Property: metrics_between over any range equals the metrics recomputed from the raw
conversations of that range, by plain Python (never an average of daily figures)."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import CONVERSATIONS

from ..sql_flow import insert_rows
from .test_metrics import conv

FIRST = date(2024, 1, 29)  # ranges cross a week (Feb 5) and a month (Feb 1)


@st.composite
def conversation(draw: st.DrawFn, index: int) -> dict:
    day = FIRST + timedelta(days=draw(st.integers(0, 9)))
    status = draw(st.sampled_from(["scored", "scored", "failed"]))
    waits = draw(st.integers(0, 3))
    first = draw(st.floats(0, 86_400, allow_nan=False)) if waits else None
    total = (first or 0) + draw(st.floats(0, 10_000, allow_nan=False)) * max(0, waits - 1)
    scored = status == "scored"
    return conv(
        f"c{index}",
        day,
        status=status,
        sat=draw(st.integers(1, 5)) if scored else None,
        resolved=draw(st.booleans()) if scored else None,
        sentiment=draw(st.floats(-1, 1, allow_nan=False)) if scored else None,
        first=first,
        waits=waits,
        total=total,
        customer=draw(st.integers(1, 5)),
        agent=waits,
        auto=draw(st.integers(0, 2)),
    )


@st.composite
def dataset(draw: st.DrawFn) -> tuple[list[dict], date, date]:
    count = draw(st.integers(0, 25))
    rows = [draw(conversation(i)) for i in range(count)]
    start = FIRST + timedelta(days=draw(st.integers(0, 9)))
    end = start + timedelta(days=draw(st.integers(0, 9)))
    return rows, start, end


def expected(rows: list[dict], start: date, end: date) -> dict:
    chosen = [r for r in rows if start <= r["day"] <= end]
    scored = [r for r in chosen if r["score_status"] == "scored"]
    answered = [
        r["first_response_seconds"] for r in chosen if r["first_response_seconds"] is not None
    ]
    waits = sum(r["response_waits"] for r in chosen)

    def pct(flags: list[bool]) -> float | None:
        return 100 * sum(flags) / len(flags) if flags else None

    return {
        "conversations": len(chosen),
        "scored_conversations": len(scored),
        "failed_conversations": len(chosen) - len(scored),
        "customer_messages": sum(r["customer_messages"] for r in chosen),
        "unanswered_conversations": len(chosen) - len(answered),
        "csat_pct": pct([r["satisfaction"] >= 4 for r in scored]),
        "fcr_pct": pct([r["resolved"] for r in scored]),
        "avg_satisfaction": sum(r["satisfaction"] for r in scored) / len(scored)
        if scored
        else None,
        "avg_first_response_minutes": sum(answered) / len(answered) / 60 if answered else None,
        "median_first_response_minutes": median(answered) / 60 if answered else None,
        "avg_response_minutes": (
            sum(r["response_seconds_total"] for r in chosen) / waits / 60 if waits else None
        ),
    }


@settings(max_examples=60, deadline=None)
@given(dataset())
def test_metrics_between_equals_a_recomputation_from_conversations(data) -> None:
    rows, start, end = data
    with duckdb.connect() as conn:
        ensure_schema(conn)
        insert_rows(conn, "conversations", rows, CONVERSATIONS.arrow_schema())
        cursor = conn.execute("SELECT * FROM metrics_between(?, ?)", [start, end])
        got = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    for name, value in expected(rows, start, end).items():
        if value is None:
            assert got[name] is None, name
        else:
            assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
