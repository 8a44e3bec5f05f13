"""`published_warehouse`: the analysts' copy at POWERPULSE_DUCKDB_PATH, after each daily run."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..partitions import DUCKDB_POOL
from ..settings import Settings
from ..warehouse.publish import (
    PUBLISHED_TABLES,
    STORAGE_VERSION,
    publish_for,
)
from ..warehouse.schema import ensure_schema
from .daily import daily_defaults


def build_published_asset(
    settings: Settings, daily: DailyPartitionsDefinition, upstream: list[AssetsDefinition]
) -> AssetsDefinition:
    @asset(
        name="published_warehouse",
        deps=upstream,
        pool=DUCKDB_POOL,  # reads the work DB, which one process may open at a time
        **daily_defaults(daily),
        kinds={"duckdb"},
        description=(
            f"The analysts' copy at {settings.duckdb_path}: "
            f"{', '.join(PUBLISHED_TABLES)} with the range macros and views, copied from the "
            "pipeline's own database after each daily run and swapped in atomically. Open "
            "sessions never block a run; a new session sees the new copy. Written in DuckDB "
            f"storage format {STORAGE_VERSION}, which every DuckDB 1.x client reads."
        ),
    )
    def published_warehouse(
        context: AssetExecutionContext, duckdb: DuckDBResource
    ) -> MaterializeResult:
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            published = publish_for(conn, settings)
        context.log.info(
            f"published {published.path} ({published.bytes / 1e6:.1f} MB) "
            f"in {published.seconds:.2f}s"
        )
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(published.path)),
                "publish_seconds": round(published.seconds, 3),
                "file_bytes": published.bytes,
                "storage_version": STORAGE_VERSION,
                **{f"rows_{table}": count for table, count in published.rows.items()},
            }
        )

    return published_warehouse
