"""Topic and agent breakdowns, drill-down, checks and exports, against values by hand."""

from __future__ import annotations

import csv
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import materialize

from powerpulse_pipeline.export import export
from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import CONVERSATIONS

from ..sql_flow import insert_rows
from .test_metrics import conv

D1, D2 = date(2024, 5, 31), date(2024, 6, 1)  # crosses a month


def rows() -> list[dict]:
    items = [
        conv("a1", D1, sat=5, resolved=True, sentiment=0.8, first=60, waits=1, total=60, agent=1),
        conv(
            "a2", D1, sat=2, resolved=False, sentiment=-0.5, first=600, waits=2, total=900, agent=2
        ),
        conv(
            "a3", D1, sat=1, resolved=False, sentiment=-0.9, first=300, waits=1, total=300, agent=1
        ),
        conv("a4", D2, sat=4, resolved=True, sentiment=0.3, first=120, waits=1, total=120, agent=1),
        conv("a5", D2, status="failed", first=30, waits=1, total=30, agent=1),
        conv("a6", D2, sat=3, resolved=False, sentiment=0.0),  # unanswered: no agent
    ]
    topics = {
        "a1": ["billing"],
        "a2": ["billing", "outage"],
        "a3": ["outage"],
        "a4": ["billing"],
        "a5": None,
        "a6": ["other"],
    }
    agents = {"a1": "Maria", "a2": "Tom", "a3": "Maria", "a4": "Tom", "a5": "Maria"}
    for item in items:
        item["topics"] = topics[item["conversation_id"]]
        item["agent_name"] = agents.get(item["conversation_id"])
    return items


@pytest.fixture
def warehouse(settings, defs, instance):
    with duckdb.connect(str(settings.work_db_path)) as conn:
        ensure_schema(conn)
        insert_rows(conn, "conversations", rows(), CONVERSATIONS.arrow_schema())
    assets = [
        defs.get_assets_def(name)
        for name in ("daily_metrics", "topic_metrics", "agent_metrics", "published_warehouse")
    ]
    result = materialize(
        assets,
        instance=instance,
        resources=defs.resources,
        tags={
            "dagster/asset_partition_range_start": D1.isoformat(),
            "dagster/asset_partition_range_end": D2.isoformat(),
        },
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks and all(checks.values()), checks
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        yield conn


def test_topic_metrics_by_hand(warehouse) -> None:
    got = {
        (day, topic): (n, bad, csat, fcr)
        for day, topic, n, bad, csat, fcr in warehouse.execute(
            "SELECT day, topic, conversations, dissatisfied_conversations, csat_pct, fcr_pct "
            "FROM topic_metrics"
        ).fetchall()
    }
    assert got == {
        (D1, "billing"): (2, 1, 50.0, 50.0),  # a1 (5, resolved), a2 (2)
        (D1, "outage"): (2, 2, 0.0, 0.0),  # a2 (2), a3 (1)
        (D2, "billing"): (1, 0, 100.0, 100.0),  # a4
        (D2, "other"): (1, 0, 0.0, 0.0),  # a6 (3); a5 failed has no topics
    }
    # over the range, what drives dissatisfaction comes first
    ranked = warehouse.execute(
        "SELECT topic, conversations, dissatisfied_conversations, dissatisfied_pct "
        "FROM topic_metrics_between('2024-05-31', '2024-06-01')"
    ).fetchall()
    assert ranked[0] == ("outage", 2, 2, 100.0)
    assert ranked[1][:3] == ("billing", 3, 1)


def test_agent_metrics_by_hand(warehouse) -> None:
    got = {
        (day, agent): (n, scored, first, csat)
        for day, agent, n, scored, first, csat in warehouse.execute(
            "SELECT day, agent_name, conversations, scored_conversations, "
            "avg_first_response_minutes, csat_pct FROM agent_metrics"
        ).fetchall()
    }
    assert got == {
        (D1, "Maria"): (2, 2, 3.0, 50.0),  # first responses 60 s and 300 s
        (D1, "Tom"): (1, 1, 10.0, 0.0),
        (D2, "Maria"): (1, 0, 0.5, None),  # only a failed score: no CSAT
        (D2, "Tom"): (1, 1, 2.0, 100.0),
    }
    over_range = dict(
        (agent, (n, csat))
        for agent, n, csat in warehouse.execute(
            "SELECT agent_name, conversations, csat_pct "
            "FROM agent_metrics_between('2024-05-31', '2024-06-01')"
        ).fetchall()
    )
    assert over_range == {"Maria": (3, 50.0), "Tom": (2, 50.0)}


def test_drill_down_from_a_figure_to_its_conversations_and_messages(warehouse) -> None:
    def ids(sql: str) -> list[str]:
        return [r[0] for r in warehouse.execute(sql).fetchall()]

    assert ids(
        "SELECT conversation_id FROM topic_conversations('2024-05-31', '2024-06-01', 'outage')"
    ) == ["a2", "a3"]
    assert ids(
        "SELECT conversation_id FROM agent_conversations('2024-06-01', '2024-06-01', 'Maria')"
    ) == ["a5"]
    assert ids(
        "SELECT conversation_id FROM conversations_between('2024-05-31', '2024-05-31') "
        "WHERE satisfaction <= 2"
    ) == ["a2", "a3"]
    monthly = warehouse.execute(
        "SELECT month_start, conversations FROM monthly_metrics ORDER BY 1"
    ).fetchall()
    assert monthly == [(date(2024, 5, 1), 3), (date(2024, 6, 1), 3)]


def test_checks_fail_on_inconsistent_tables(settings, defs, instance, warehouse) -> None:
    warehouse.close()
    with duckdb.connect(str(settings.work_db_path)) as conn:
        conn.execute("UPDATE daily_metrics SET conversations = 99 WHERE day = '2024-05-31'")
        conn.execute("INSERT INTO agent_metrics SELECT * FROM agent_metrics LIMIT 1")
    from powerpulse_pipeline.warehouse.checks import AGENT_METRICS_CHECKS, DAILY_METRICS_CHECKS

    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        daily = {c.name: c.run(conn, D1, D2).passed for c in DAILY_METRICS_CHECKS}
        agents = {c.name: c.run(conn, D1, D2).passed for c in AGENT_METRICS_CHECKS}
    # 99 also breaks scored + failed = conversations
    assert daily == {"consistent_with_conversations": False, "values_in_range": False}
    assert agents == {"consistent_with_conversations": False}


def test_exports_in_csv_and_parquet(warehouse, tmp_path) -> None:
    written = export(warehouse, D1, D2, tmp_path, ["csv", "parquet"])
    names = sorted(p.name for p in written)
    assert "summary.csv" in names and "conversations.parquet" in names
    with (tmp_path / "summary.csv").open() as handle:
        (summary,) = list(csv.DictReader(handle))
    assert summary["start_day"] == "2024-05-31" and summary["conversations"] == "6"
    assert float(summary["csat_pct"]) == pytest.approx(40.0)  # a1, a4 of 5 scored
    table = pq.read_table(tmp_path / "daily_metrics.parquet")
    assert (
        table.num_rows == 2
        and "content_hash" not in pq.read_table(tmp_path / "conversations.parquet").column_names
    )


def test_valid_scores_check_catches_a_score_outside_the_schema(tmp_path) -> None:
    from powerpulse_pipeline.warehouse.checks import VALID_SCORES

    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
        conn.execute(
            "INSERT INTO score_cache (content_hash, scorer, scorer_version, status, sentiment, "
            "satisfaction, resolved, topics, scored_at) VALUES "
            "('ok', 'x', '1', 'scored', 0.5, 4, true, ['billing'], now()), "
            "('bad', 'x', '1', 'scored', 0.5, 7, true, ['billing'], now()), "
            "('failed', 'x', '1', 'failed', NULL, NULL, NULL, NULL, now())"
        )
        result = VALID_SCORES.run(conn, D1, D2)
    assert result.passed is False
    assert "bad" in result.metadata["first_violations"].value
    assert "| ok |" not in result.metadata["first_violations"].value
