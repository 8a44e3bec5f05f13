"""The metric tables over `conversations`: daily_metrics, topic_metrics, agent_metrics.

Each is one INSERT ... SELECT with the aggregates the range macros and views share
(warehouse/schema.py), so a day and a range are always computed the same way.
"""

from datetime import date
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..markdown import markdown_table
from ..partitions import DUCKDB_POOL
from ..semantics.dimensions import AGENT_ROWS
from ..semantics.metrics import HEADLINE_METRIC_NAMES
from ..warehouse.checks import (
    AGENT_METRICS_CHECKS,
    DAILY_METRICS_CHECKS,
    TOPIC_METRICS_CHECKS,
    Check,
)
from ..warehouse.io import transaction
from ..warehouse.schema import (
    AGENT_AGGREGATES,
    METRIC_AGGREGATES,
    TOPIC_AGGREGATES,
    TOPIC_SOURCE,
    ensure_schema,
)
from ..warehouse.tables import TABLES
from .daily import daily_defaults, day_range

# Plotted across partitions in the UI (numeric metadata per day): the headline figures.
HEADLINE_COLUMNS = HEADLINE_METRIC_NAMES

DAILY_SELECT = (
    f"SELECT day, {METRIC_AGGREGATES} FROM conversations WHERE day BETWEEN ? AND ? GROUP BY day"
)
TOPIC_SELECT = (
    f"SELECT day, topic, {TOPIC_AGGREGATES} {TOPIC_SOURCE} AND day BETWEEN ? AND ? "
    "GROUP BY day, topic"
)
AGENT_SELECT = (
    f"SELECT day, agent_name, {AGENT_AGGREGATES} FROM conversations "
    f"WHERE day BETWEEN ? AND ? AND {AGENT_ROWS} GROUP BY day, agent_name"
)


def replace_range(
    conn: duckdb.DuckDBPyConnection, table: str, select: str, first_day: date, last_day: date
) -> list[dict[str, Any]]:
    """Delete-then-insert the day range in one transaction; returns the new rows."""
    with transaction(conn):
        conn.execute(f"DELETE FROM {table} WHERE day BETWEEN ? AND ?", [first_day, last_day])
        conn.execute(f"INSERT INTO {table} BY NAME {select}", [first_day, last_day])
    cursor = conn.execute(
        f"SELECT * FROM {table} WHERE day BETWEEN ? AND ? ORDER BY ALL", [first_day, last_day]
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def build_metric_assets(daily: DailyPartitionsDefinition) -> list[AssetsDefinition]:
    common = dict(
        **daily_defaults(daily),
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        deps=["conversations"],
    )

    def materialize(
        context: AssetExecutionContext,
        duckdb: DuckDBResource,
        table: str,
        select: str,
        checks: tuple[Check, ...],
    ) -> tuple[list[dict[str, Any]], MaterializeResult]:
        first_day, last_day = day_range(context)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            rows = replace_range(conn, table, select, first_day, last_day)
            results = [check.run(conn, first_day, last_day) for check in checks]
        return rows, MaterializeResult(
            metadata={
                "dagster/row_count": len(rows),
                "preview": MetadataValue.md(
                    markdown_table(list(rows[0]) if rows else [], [list(r.values()) for r in rows])
                ),
            },
            check_results=results,
        )

    @asset(
        description=(
            "One row per day with at least one conversation: volumes, CSAT %, FCR %, "
            "sentiment, satisfaction, response times (calendar and business hours). For a "
            "date range use `metrics_between(start_day, end_day)`, `weekly_metrics`, "
            "`monthly_metrics`: computed from conversations, never averaged from days."
        ),
        check_specs=[check.spec("daily_metrics") for check in DAILY_METRICS_CHECKS],
        metadata={
            "dagster/column_schema": TABLES["daily_metrics"].column_schema(),
            "dagster/table_name": "daily_metrics",
        },
        **common,
    )
    def daily_metrics(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        rows, result = materialize(
            context, duckdb, "daily_metrics", DAILY_SELECT, DAILY_METRICS_CHECKS
        )
        for row in rows:
            context.add_asset_metadata(
                {
                    name: MetadataValue.float(float(row[name]))
                    for name in HEADLINE_COLUMNS
                    if row[name] is not None
                },
                partition_key=row["day"].isoformat(),
            )
        return result

    @asset(
        description=(
            "Per day and topic (scored conversations; one with several topics counts for "
            "each): volume, dissatisfied count and share, CSAT %, FCR %, sentiment. Which "
            "topics drive dissatisfaction over a range: `topic_metrics_between(start, end)`."
        ),
        check_specs=[check.spec("topic_metrics") for check in TOPIC_METRICS_CHECKS],
        metadata={
            "dagster/column_schema": TABLES["topic_metrics"].column_schema(),
            "dagster/table_name": "topic_metrics",
        },
        **common,
    )
    def topic_metrics(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        return materialize(context, duckdb, "topic_metrics", TOPIC_SELECT, TOPIC_METRICS_CHECKS)[1]

    @asset(
        description=(
            "Per day and agent (the first human agent who answered a conversation): volume, "
            "first response (calendar and business hours), CSAT %, FCR %. Over a range: "
            "`agent_metrics_between(start, end)`."
        ),
        check_specs=[check.spec("agent_metrics") for check in AGENT_METRICS_CHECKS],
        metadata={
            "dagster/column_schema": TABLES["agent_metrics"].column_schema(),
            "dagster/table_name": "agent_metrics",
        },
        **common,
    )
    def agent_metrics(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        return materialize(context, duckdb, "agent_metrics", AGENT_SELECT, AGENT_METRICS_CHECKS)[1]

    return [daily_metrics, topic_metrics, agent_metrics]
