"""Builds the Dagster definitions from settings: the whole data flow in one place."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_duckdb import DuckDBResource

from .assets.agent_coaching import build_agent_coaching_asset
from .assets.conversation_embeddings import build_conversation_embeddings_asset
from .assets.conversation_facts import build_conversation_facts_asset
from .assets.conversations import build_conversations_asset
from .assets.dashboard import build_dashboard_asset
from .assets.messages import build_messages_asset
from .assets.metrics import build_metric_assets
from .assets.published_warehouse import build_published_asset
from .assets.raw_messages import build_raw_messages_asset
from .assets.recurring_issues import build_recurring_issues_asset
from .assets.score_cache import build_score_cache_asset
from .partitions import daily_partitions
from .scoring.resource import ScorerResource
from .sensors.days import build_days_sensor
from .sensors.inbox import build_inbox_sensor
from .sensors.messenger import build_messenger_sensors, messenger_page_specs
from .settings import Settings
from .warehouse.publish import adopt_legacy_warehouse

INGEST_JOB = "ingest_files_job"

# A run's process stays small whatever the history: DuckDB spills big sorts and joins to
# disk beyond this, and no statement relies on insertion order.
DUCKDB_CONFIG = {"memory_limit": "512MB", "preserve_insertion_order": False}
DAILY_JOB = "daily_metrics_job"


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.from_env()
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    settings.work_db_path.parent.mkdir(parents=True, exist_ok=True)
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    adopt_legacy_warehouse(settings.work_db_path, settings.duckdb_path)
    daily = daily_partitions(settings)

    # The data flow, file to analysts' copy; each asset is named after the table it writes.
    # Facebook Pages synced from the Graph API land files in the inbox (sources/graph_api/).
    pages = messenger_page_specs(settings)
    raw_messages = build_raw_messages_asset(settings, upstream=[page.key for page in pages])
    metric_assets = [*build_metric_assets(daily), build_agent_coaching_asset(daily)]
    # POWERPULSE_EMBEDDING_MODEL=off: no similarity assets at all (their tables stay empty).
    similarity = settings.embedding_model.lower() != "off"
    similarity_assets = (
        [build_conversation_embeddings_asset(daily), build_recurring_issues_asset(daily)]
        if similarity
        else []
    )
    metric_assets += similarity_assets
    published = build_published_asset(settings, daily, metric_assets)
    # After the copy: the analysts' tables are the drop's result, the page comes second.
    dashboard = build_dashboard_asset(settings, [*metric_assets, published])
    day_assets = [
        build_messages_asset(settings, daily),
        build_conversation_facts_asset(settings, daily),
        build_score_cache_asset(daily),
        build_conversations_asset(settings, daily),
        *metric_assets,
        dashboard,
        published,
    ]

    ingest_job = define_asset_job(
        INGEST_JOB,
        selection=AssetSelection.assets(raw_messages),
        description="Ingest dropped files (one partition per file).",
    )
    daily_job = define_asset_job(
        DAILY_JOB,
        selection=AssetSelection.assets(*day_assets),
        description=(
            "Rebuild messages, scores, conversations and metrics for a range of days, then "
            "refresh the dashboard and publish the analysts' copy."
        ),
    )
    return Definitions(
        assets=[*pages, raw_messages, *day_assets],
        jobs=[ingest_job, daily_job],
        sensors=[
            build_inbox_sensor(settings, ingest_job),
            build_days_sensor(
                settings,
                daily,
                daily_job,
                published.key,
                [published.key, dashboard.key],
                embed_history=[*(a.key for a in similarity_assets), published.key, dashboard.key]
                if similarity
                else None,
            ),
            *build_messenger_sensors(settings),
        ],
        resources={
            "duckdb": DuckDBResource(
                database=str(settings.work_db_path), connection_config=DUCKDB_CONFIG
            ),
            "scorer": ScorerResource.from_settings(settings),
        },
        # Steps are short and DuckDB-bound: one process per run, not one per step.
        executor=in_process_executor,
    )
