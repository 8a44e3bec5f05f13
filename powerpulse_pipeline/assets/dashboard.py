"""`dashboard`: the support lead's page at $POWERPULSE_DATA_DIR/reports/dashboard.html,
rewritten after each daily run from the tables it shows."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..dashboard.data import dashboard_data
from ..dashboard.page import render, write
from ..partitions import DUCKDB_POOL
from ..settings import Settings
from ..warehouse.schema import ensure_schema
from .daily import OWNERS


def write_dashboard(
    conn: duckdb.DuckDBPyConnection, settings: Settings, now: datetime | None = None
) -> tuple[Path, int, dict[str, Any]]:
    """Compute the page's data and replace the file; returns (path, bytes, data)."""
    now = now or datetime.now(UTC)
    local = now.astimezone(settings.zone)
    data = dashboard_data(
        conn, local.date(), settings.timezone, local, settings.business_hours is not None
    )
    size = write(settings.dashboard_path, render(data))
    return settings.dashboard_path, size, data


def build_dashboard_asset(settings: Settings, upstream: list[AssetsDefinition]) -> AssetsDefinition:
    @asset(
        name="dashboard",
        deps=upstream,
        pool=DUCKDB_POOL,
        # Not partitioned: it is one page over every day. In the daily job it is rewritten
        # once per run, whatever the range, and by hand it needs no partition picked.
        group_name="analytics",
        owners=OWNERS,
        kinds={"html", "plotly"},
        description=(
            f"The support lead's dashboard at {settings.dashboard_path}: CSAT, FCR (model and "
            "observed), first response, volumes, topics, agents, the conversations to look at "
            "and scoring coverage, for the last 7/30/90 days and each month. One "
            "self-contained HTML file: it opens from disk with no network."
        ),
    )
    def dashboard(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        started = time.monotonic()
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            path, size, data = write_dashboard(conn, settings)
        seconds = time.monotonic() - started
        context.log.info(f"dashboard written to {path} ({size / 1e6:.1f} MB) in {seconds:.2f}s")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(path)),
                "file_bytes": size,
                "seconds": round(seconds, 3),
                "periods": len(data["periods"]),
                "empty": data["empty"],
            }
        )

    return dashboard
