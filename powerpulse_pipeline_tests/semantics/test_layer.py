"""One definition per figure: every metric of the layer compiles and runs, and an answer, the
explorer's figures and `metrics_between` agree on any range and filter (property), because
all of them compile from semantics/."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.ask.answer import Asker
from powerpulse_pipeline.ask.readonly import LOCKED_CONFIG
from powerpulse_pipeline.explorer.selection import Selection, headline
from powerpulse_pipeline.semantics.dimensions import DIMENSIONS, FILTERS
from powerpulse_pipeline.semantics.metrics import DAILY_METRICS, METRICS
from powerpulse_pipeline.semantics.query import SemanticQuery, compile_query
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import DAILY_METRICS as DAILY_TABLE

FIRST = date(2025, 3, 1)


@pytest.fixture(scope="module")
def conn(samples_warehouse: Settings) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        str(samples_warehouse.duckdb_path), read_only=True, config=LOCKED_CONFIG
    )
    yield connection
    connection.close()


def test_the_daily_table_has_the_layers_daily_metrics_in_order() -> None:
    assert DAILY_TABLE.names[1:] == [m.name for m in DAILY_METRICS]


@pytest.mark.parametrize("metric", [m.name for m in METRICS])
@pytest.mark.parametrize("dimension", [None, *(d.name for d in DIMENSIONS)])
def test_every_metric_by_every_dimension_runs(
    conn: duckdb.DuckDBPyConnection, metric: str, dimension: str | None
) -> None:
    query = SemanticQuery(metrics=(metric,), dimension=dimension)
    rows = conn.execute(compile_query(query, "Europe/Berlin")).fetchall()
    assert rows


FILTER_VALUES = {
    "agent": [("Maria Lopez",), ("James Carter", "Tom Becker")],
    "topic": [("billing",), ("outage", "payment")],
    "language": [("es",), ("en", "de")],
    "answered": [True, False],
    "resolved": [True, False],
    "repeat_contact": [True, False],
    "day_type": ["weekend", "weekday"],
    "satisfaction": [(1, 2), (4, 5), (3, 3)],
}
assert set(FILTER_VALUES) == {f.name for f in FILTERS}


FIXTURES_OK = [HealthCheck.function_scoped_fixture]
RANGES = {"offset": st.integers(0, 12), "days": st.integers(1, 14)}


def _span(offset: int, days: int) -> tuple[date, date]:
    start = FIRST + timedelta(days=offset)
    return start, start + timedelta(days=days - 1)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**RANGES)
def test_the_explorers_figures_equal_metrics_between(
    conn: duckdb.DuckDBPyConnection, offset: int, days: int
) -> None:
    start, end = _span(offset, days)
    figures = headline(conn, Selection(start, end), "UTC")
    cursor = conn.cursor()
    cursor.execute("SELECT * FROM metrics_between(?, ?)", [start, end])
    expected = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    cursor.close()
    for name, value in figures.items():
        if expected[name] is None:
            assert value is None or value != value, name  # pandas turns NULL into NaN
        else:
            assert value == pytest.approx(expected[name]), name


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    **RANGES,
    agents=st.sampled_from([(), ("Maria Lopez",), ("James Carter", "Aisha Khan")]),
    topics=st.sampled_from([(), ("billing",), ("outage", "connection")]),
)
def test_the_explorers_filters_by_hand(
    conn: duckdb.DuckDBPyConnection,
    offset: int,
    days: int,
    agents: tuple[str, ...],
    topics: tuple[str, ...],
) -> None:
    start, end = _span(offset, days)
    figures = headline(conn, Selection(start, end, agents, topics), "UTC")
    rows = conn.execute(
        "SELECT agent_name, topics, score_status, satisfaction FROM conversations "
        "WHERE day BETWEEN ? AND ?",
        [start, end],
    ).fetchall()
    chosen = [
        r for r in rows
        if (not agents or r[0] in agents) and (not topics or set(r[1] or ()) & set(topics))
    ]  # fmt: skip
    scored = [r for r in chosen if r[2] == "scored"]
    assert figures["conversations"] == len(chosen)
    if scored:
        csat = 100.0 * sum(r[3] >= 4 for r in scored) / len(scored)
        assert figures["csat_pct"] == pytest.approx(csat)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**RANGES)
def test_an_answer_equals_metrics_between(
    samples_warehouse: Settings, conn: duckdb.DuckDBPyConnection, offset: int, days: int
) -> None:
    start, end = _span(offset, days)
    asker = Asker(samples_warehouse, conn=conn)
    answer = asker.ask(f"CSAT, FCR and median first response between {start} and {end}")
    expected = conn.execute(
        "SELECT csat_pct, fcr_pct, median_first_response_minutes FROM metrics_between(?, ?)",
        [start, end],
    ).fetchone()
    assert answer.status == "answered"
    assert answer.rows == [list(expected)]


@pytest.mark.parametrize("name", sorted(FILTER_VALUES))
def test_every_filter_compiles_and_narrows(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    total = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    counts = []
    for value in FILTER_VALUES[name]:
        query = SemanticQuery(metrics=("conversations",), filters={name: value})
        counts.append(conn.execute(compile_query(query)).fetchone()[0])
    assert all(0 <= c <= total for c in counts)
    assert any(c < total for c in counts)


def _conversation(
    conn: duckdb.DuckDBPyConnection, cid: str, content: str, cost: float | None
) -> None:
    conn.execute(
        "INSERT INTO conversations (conversation_id, chat_id, day, started_at, ended_at, "
        "customer_messages, agent_messages, autoresponses, response_waits, "
        "response_seconds_total, scorer, score_status, content_hash, score_cost_usd) "
        "VALUES (?, 'c', DATE '2025-03-03', TIMESTAMPTZ '2025-03-03 10:00:00+00', "
        "TIMESTAMPTZ '2025-03-03 10:05:00+00', 1, 1, 0, 1, 60, 'openai:gpt-4o-mini', "
        "'scored', ?, ?)",
        [cid, content, cost],
    )


def test_scoring_cost_counts_each_content_once() -> None:
    """By hand: two conversations share a content scored for $0.50, a third cost $0.25, a
    fourth is not scored yet: the scoring cost is $0.75."""
    with duckdb.connect() as conn:
        ensure_schema(conn)
        _conversation(conn, "a", "h1", 0.5)
        _conversation(conn, "b", "h1", 0.5)
        _conversation(conn, "c", "h2", 0.25)
        _conversation(conn, "d", "h3", None)
        query = SemanticQuery(metrics=("scoring_cost_usd", "conversations"))
        assert conn.execute(compile_query(query)).fetchone() == (0.75, 4)
        by_day = SemanticQuery(metrics=("scoring_cost_usd",), dimension="day")
        assert conn.execute(compile_query(by_day)).fetchall() == [(date(2025, 3, 3), 0.75)]


def test_an_older_warehouse_gets_its_scoring_costs_once() -> None:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        _conversation(conn, "a", "h1", None)
        conn.execute("ALTER TABLE conversations DROP COLUMN score_cost_usd")
        conn.execute(
            "INSERT INTO score_cache (content_hash, scorer, scorer_version, status, cost_usd, "
            "scored_at) VALUES ('h1', 'openai:gpt-4o-mini', 'v1', 'scored', 0.01, "
            "TIMESTAMPTZ '2025-03-01 00:00:00+00'), ('h1', 'openai:gpt-4o-mini', 'v2', "
            "'scored', 0.02, TIMESTAMPTZ '2025-03-02 00:00:00+00')"
        )
        ensure_schema(conn)
        assert conn.execute("SELECT score_cost_usd FROM conversations").fetchall() == [(0.02,)]
