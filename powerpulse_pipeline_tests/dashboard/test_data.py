"""The data behind every number and chart of the dashboard equals the tables, recomputed
here from DuckDB through the analysts' own macros and views (a different path from the
dashboard's one query over all periods)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from powerpulse_pipeline.assets.dashboard import write_dashboard
from powerpulse_pipeline.dashboard.data import WORST_PER_LIST, dashboard_data, periods
from powerpulse_pipeline.dashboard.page import render
from powerpulse_pipeline.scoring.offline import OfflineScorer
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.schema import ensure_schema

from .conftest import TODAY
from .embedded import embedded_data


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def _same(found: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(found, float):
        return math.isclose(found, expected, rel_tol=1e-12, abs_tol=1e-9)
    if isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            _same(found[k], expected[k]) for k in expected
        )
    if isinstance(expected, list):
        return len(found) == len(expected) and all(
            _same(f, e) for f, e in zip(found, expected, strict=True)
        )
    return found == expected


@pytest.fixture(scope="module")
def data(page: Path) -> dict[str, Any]:
    return embedded_data(page.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def conn(warehouse: Settings):
    with duckdb.connect(str(warehouse.work_db_path), read_only=True) as connection:
        yield connection


def test_periods_by_hand() -> None:
    found = {p.id: p for p in periods(date(2024, 3, 15), [date(2024, 3, 1), date(2024, 1, 1)])}
    assert list(found) == ["last-7", "last-30", "last-90", "month-2024-03", "month-2024-01"]
    week = found["last-7"]
    assert (week.start, week.end) == (date(2024, 3, 9), date(2024, 3, 15))
    assert (week.previous_start, week.previous_end) == (date(2024, 3, 2), date(2024, 3, 8))
    quarter = found["last-90"]
    assert (quarter.start, quarter.previous_start) == (date(2023, 12, 17), date(2023, 9, 18))
    march = found["month-2024-03"]
    assert (march.start, march.end) == (date(2024, 3, 1), date(2024, 3, 31))
    # a month is compared with the calendar month before it (a leap February here)
    assert (march.previous_start, march.previous_end) == (date(2024, 2, 1), date(2024, 2, 29))
    assert found["month-2024-01"].previous_start == date(2023, 12, 1)


def test_the_periods_offered(data: dict[str, Any]) -> None:
    ids = [p["id"] for p in data["periods"]]
    assert ids == [
        "last-7",
        "last-30",
        "last-90",
        "month-2025-03",
        "month-2025-02",
        "month-2025-01",
    ]
    assert data["today"] == TODAY.isoformat()
    assert data["default_period"] == "last-30"
    assert all(p["has_data"] for p in data["periods"])


def test_headline_figures_equal_metrics_between(data, conn) -> None:
    for period in data["periods"]:
        for suffix, start, end in (
            ("", period["start"], period["end"]),
            ("/previous", period["previous_start"], period["previous_end"]),
        ):
            (expected,) = _rows(conn, "SELECT * FROM metrics_between(?, ?)", [start, end])
            found = data["figures"].get(period["id"] + suffix)
            if expected["conversations"] == 0:
                assert found is None, period["id"] + suffix
            else:
                assert _same(found, expected), (period["id"] + suffix, found, expected)
    march = data["figures"]["month-2025-03"]
    assert march["conversations"] > 50 and march["csat_pct"] is not None
    assert march["median_first_response_business_minutes"] is not None
    assert data["figures"]["last-7"]["repeat_window_open"] > 0  # recent windows are open


def test_topics_and_agents_equal_the_range_macros(data, conn) -> None:
    for period in data["periods"]:
        args = [period["start"], period["end"]]
        topics = _rows(conn, "SELECT * FROM topic_metrics_between(?, ?)", args)
        key = {t["topic"]: t for t in topics}
        found = {t["topic"]: t for t in data["topics"][period["id"]]}
        assert _same(found, key), period["id"]
        agents = {
            a["agent_name"]: a
            for a in _rows(conn, "SELECT * FROM agent_metrics_between(?, ?)", args)
        }
        assert agents, "the generated chats name agents"
        assert _same({a["agent_name"]: a for a in data["agents"][period["id"]]}, agents)


def test_trend_series_equal_the_daily_and_weekly_tables(data, conn) -> None:
    sources = {
        "daily": "daily_metrics WHERE day BETWEEN ? AND ? ORDER BY day",
        # whole weeks that overlap the period
        "weekly": "weekly_metrics WHERE week_start + 6 >= ?::DATE AND week_start <= ?::DATE "
        "ORDER BY week_start",
    }
    for period in data["periods"]:
        for series, source in sources.items():
            shown = data[series][period["id"]]
            expected = _rows(
                conn,
                f"SELECT {', '.join(shown[0])} FROM {source}",
                [period["start"], period["end"]],
            )
            assert _same(shown, expected), (series, period["id"])


def test_the_conversations_to_look_at(data, conn) -> None:
    orders = {
        "lowest_satisfaction": "satisfaction IS NOT NULL ORDER BY satisfaction, sentiment, "
        "started_at, conversation_id",
        "longest_wait": "first_response_seconds IS NOT NULL "
        "ORDER BY first_response_seconds DESC, started_at, conversation_id",
        "unanswered": "first_response_seconds IS NULL ORDER BY started_at DESC, conversation_id",
    }
    for period in data["periods"]:
        lists = data["worst"][period["id"]]
        for name, order in orders.items():
            expected = _rows(
                conn,
                "SELECT conversation_id, day, agent_name, summary, satisfaction "
                f"FROM conversations_between(?, ?) WHERE {order} LIMIT {WORST_PER_LIST}",
                [period["start"], period["end"]],
            )
            found = [
                {
                    k: c[k]
                    for k in ("conversation_id", "day", "agent_name", "summary", "satisfaction")
                }
                for c in lists.get(name, [])
            ]
            assert found == expected, (period["id"], name)
            for conversation in expected:
                messages = conn.execute(
                    "SELECT text FROM conversation_messages(?)", [conversation["conversation_id"]]
                ).fetchall()
                shown = data["conversations"][conversation["conversation_id"]]
                assert [m[4] for m in shown] == [t or "[attachment]" for (t,) in messages]
    assert data["worst"]["month-2025-03"]["unanswered"], "the generated chats leave some unanswered"


def test_scoring_coverage(data, conn) -> None:
    for period in data["periods"]:
        rows = data["coverage"][period["id"]]
        figures = data["figures"][period["id"]]
        assert sum(r["scored"] for r in rows) == figures["scored_conversations"]
        assert sum(r["failed"] for r in rows) == figures["failed_conversations"]
        assert {r["scorer"] for r in rows} == {OfflineScorer.name}
        assert all(r["cost_usd"] == 0 for r in rows)  # the offline scorer costs nothing


def test_an_empty_warehouse_gives_a_page_that_says_so(tmp_path) -> None:
    settings = Settings.from_env({"POWERPULSE_DATA_DIR": str(tmp_path)})
    with duckdb.connect() as conn:
        ensure_schema(conn)
        path, size, data = write_dashboard(conn, settings, datetime(2025, 3, 31, tzinfo=UTC))
    assert data["empty"] and data["latest_month"] is None
    assert not any(p["has_data"] for p in data["periods"])
    html = path.read_text(encoding="utf-8")
    assert size == len(html.encode()) and "No conversations yet" in html
    assert embedded_data(html) == data


def test_no_recent_data_offers_the_latest_month(warehouse: Settings) -> None:
    with duckdb.connect(str(warehouse.work_db_path), read_only=True) as conn:
        later = dashboard_data(conn, date(2026, 11, 23), "Europe/Berlin", datetime.now(UTC))
    recent = {p["id"]: p["has_data"] for p in later["periods"]}
    assert recent["last-30"] is False and recent["last-90"] is False
    assert later["latest_month"] == "month-2025-03" and recent["month-2025-03"]


def test_chat_text_cannot_break_out_of_the_page() -> None:
    hostile = '</script><script>alert(1)</script><!-- \u2028 "quoted" \\ back'
    data = {"text": hostile, "periods": []}
    html = render(data)
    assert "<script>alert(1)" not in html
    assert embedded_data(html) == data


def test_a_value_json_cannot_hold_becomes_null() -> None:
    # A NaN sentiment (DuckDB stores one) must not stop the page from being written or read.
    with duckdb.connect() as conn:
        ensure_schema(conn)
        conn.execute(
            "INSERT INTO conversations (conversation_id, chat_id, day, started_at, ended_at, "
            "customer_messages, agent_messages, autoresponses, response_waits, "
            "response_seconds_total, score_status, content_hash, sentiment, satisfaction, "
            "resolved, topics) VALUES ('c', 'T', '2025-03-03', '2025-03-03 10:00+00', "
            "'2025-03-03 10:05+00', 1, 1, 0, 1, 300, 'scored', 'h', 'nan'::DOUBLE, 4, true, "
            "['billing'])"
        )
        data = dashboard_data(conn, date(2025, 3, 10), "UTC", datetime(2025, 3, 10, tzinfo=UTC))
    march = data["figures"]["month-2025-03"]
    assert march["avg_sentiment"] is None and march["csat_pct"] == 100.0
    assert embedded_data(render(data)) == data


def test_the_recurring_issues_equal_the_table(data, conn) -> None:
    """The latest week and month up to today, each row the table's, new or growing issues
    first, then the largest; each example opens with its messages."""
    panel = data["recurring_issues"]
    assert set(panel) == {"week", "month"}
    for period, shown in panel.items():
        (latest,) = conn.execute(
            "SELECT max(period_start) FROM recurring_issues WHERE period = ? AND period_start <= ?",
            [period, TODAY],
        ).fetchone()
        assert shown["period_start"] == latest.isoformat()
        table = _rows(
            conn,
            "SELECT * EXCLUDE (period, labelled_by) FROM recurring_issues "
            "WHERE period = ? AND period_start = ?",
            [period, latest],
        )
        expected = sorted(
            table,
            key=lambda r: (
                not (r["previous_conversations"] == 0
                     or r["conversations"] > r["previous_conversations"]),
                -r["conversations"],
                r["issue_id"],
            ),
        )  # fmt: skip
        assert expected, period
        found = [{k: r[k] for k in expected[0]} for r in shown["issues"]]
        assert _same(found, expected), period
        for row in shown["issues"]:
            assert row["change"] == row["conversations"] - row["previous_conversations"]
            assert [e["conversation_id"] for e in row["examples"]] == row[
                "example_conversation_ids"
            ]
            for example in row["examples"]:
                assert example["conversation_id"] in data["conversations"]
    # the order puts something first for a reason: at least one issue is new or growing
    assert any(r["trend"] in ("new", "growing") for p in panel.values() for r in p["issues"])


def test_no_recurring_issues_gives_an_empty_panel() -> None:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        data = dashboard_data(conn, date(2025, 3, 10), "UTC", datetime(2025, 3, 10, tzinfo=UTC))
    assert data["recurring_issues"] == {}
