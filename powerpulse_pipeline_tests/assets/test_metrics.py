"""daily_metrics, metrics_between and the weekly/monthly views against hand-computed values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pytest
from dagster import DagsterInstance, Definitions, materialize

from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import CONVERSATIONS

from ..sql_flow import insert_rows


def conv(
    cid: str,
    day: date,
    *,
    status: str = "scored",
    sat: int | None = None,
    resolved: bool | None = None,
    sentiment: float | None = None,
    first: float | None = None,
    waits: int = 0,
    total: float = 0.0,
    customer: int = 1,
    agent: int = 0,
    auto: int = 0,
) -> dict[str, Any]:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return {
        "conversation_id": cid,
        "chat_id": cid,
        "day": day,
        "started_at": at,
        "ended_at": at,
        "customer_messages": customer,
        "agent_messages": agent,
        "autoresponses": auto,
        "first_response_seconds": first,
        "avg_response_seconds": total / waits if waits else None,
        "response_waits": waits,
        "response_seconds_total": total,
        "agent_name": None,
        "sentiment": sentiment,
        "satisfaction": sat,
        "resolved": resolved,
        "topics": ["other"],
        "language": "en",
        "summary": "",
        "scorer": "offline:1",
        "score_status": status,
        "score_error": None if status == "scored" else "boom",
        "content_hash": cid,
    }


D1, D2, D3 = date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)
ROWS = [
    conv(
        "c1",
        D1,
        sat=5,
        resolved=True,
        sentiment=0.8,
        first=60,
        waits=2,
        total=180,
        customer=3,
        agent=2,
        auto=1,
    ),
    conv("c2", D1, sat=4, resolved=False, sentiment=0.2, first=120, waits=1, total=120, agent=1),
    conv("c3", D1, sat=2, resolved=False, sentiment=-0.6, customer=2, auto=1),  # unanswered
    conv("c4", D1, status="failed", first=600, waits=1, total=600, agent=1),
    conv("c5", D2, status="failed", first=30, waits=1, total=30, agent=1),
    conv("c6", D3, sat=5, resolved=True, sentiment=1.0, first=60, waits=1, total=60, agent=1),
]


@pytest.fixture
def metrics(
    settings: Settings, defs: Definitions, instance: DagsterInstance
) -> duckdb.DuckDBPyConnection:
    with duckdb.connect(str(settings.work_db_path)) as conn:
        ensure_schema(conn)
        insert_rows(conn, "conversations", ROWS, CONVERSATIONS.arrow_schema())
    assets = [defs.get_assets_def(name) for name in ("daily_metrics", "published_warehouse")]
    result = materialize(
        assets,
        instance=instance,
        resources=defs.resources,
        tags={
            "dagster/asset_partition_range_start": "2024-05-01",
            "dagster/asset_partition_range_end": "2024-05-03",
        },
    )
    assert result.success
    conn = duckdb.connect(str(settings.duckdb_path), read_only=True)
    yield conn
    conn.close()


def row(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> dict:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    values = cursor.fetchone()
    assert values is not None
    return dict(zip(names, values, strict=True))


def test_daily_metrics_by_hand(metrics: duckdb.DuckDBPyConnection) -> None:
    d1 = row(metrics, "SELECT * FROM daily_metrics WHERE day = ?", [D1])
    assert d1["conversations"] == 4
    assert d1["scored_conversations"] == 3 and d1["failed_conversations"] == 1
    assert (d1["customer_messages"], d1["agent_messages"], d1["autoresponses_filtered"]) == (
        7,
        4,
        2,
    )
    assert d1["unanswered_conversations"] == 1
    assert d1["csat_pct"] == pytest.approx(200 / 3)  # sat >= 4: c1, c2 of 3 scored
    assert d1["fcr_pct"] == pytest.approx(100 / 3)
    assert d1["avg_satisfaction"] == pytest.approx(11 / 3)
    assert d1["avg_sentiment"] == pytest.approx(0.4 / 3)
    assert d1["avg_first_response_minutes"] == pytest.approx(780 / 3 / 60)  # 60,120,600 s
    assert d1["median_first_response_minutes"] == pytest.approx(2.0)
    assert d1["avg_response_minutes"] == pytest.approx(900 / 4 / 60)  # weighted by waits


def test_day_without_scored_conversations_has_null_percentages(
    metrics: duckdb.DuckDBPyConnection,
) -> None:
    d2 = row(metrics, "SELECT * FROM daily_metrics WHERE day = ?", [D2])
    assert d2["conversations"] == 1 and d2["scored_conversations"] == 0
    assert d2["csat_pct"] is None and d2["fcr_pct"] is None
    assert d2["avg_satisfaction"] is None and d2["avg_sentiment"] is None
    assert d2["avg_first_response_minutes"] == pytest.approx(0.5)


def test_range_is_computed_from_conversations_not_daily_percentages(
    metrics: duckdb.DuckDBPyConnection,
) -> None:
    whole = row(metrics, "SELECT * FROM metrics_between('2024-05-01', '2024-05-03')")
    assert whole["conversations"] == 6 and whole["scored_conversations"] == 4
    assert whole["csat_pct"] == pytest.approx(75.0)  # mean of daily values would be 83.3
    assert whole["fcr_pct"] == pytest.approx(50.0)
    # first responses 60, 120, 600, 30, 60 s: median 60 s
    assert whole["median_first_response_minutes"] == pytest.approx(1.0)
    assert whole["avg_response_minutes"] == pytest.approx(990 / 6 / 60)
    week = row(metrics, "SELECT * FROM weekly_metrics WHERE week_start = '2024-04-29'")
    month = row(metrics, "SELECT * FROM monthly_metrics WHERE month_start = '2024-05-01'")
    for name in ("conversations", "csat_pct", "fcr_pct", "median_first_response_minutes"):
        assert week[name] == pytest.approx(whole[name])
        assert month[name] == pytest.approx(whole[name])


def test_days_without_conversations_have_no_row(metrics: duckdb.DuckDBPyConnection) -> None:
    days = [r[0] for r in metrics.execute("SELECT day FROM daily_metrics ORDER BY day").fetchall()]
    assert days == [D1, D2, D3]
