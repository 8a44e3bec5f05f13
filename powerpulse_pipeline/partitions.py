"""Partitions: one per ingested file (dynamic), one per local day (daily)."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition, DynamicPartitionsDefinition

from .settings import Settings

chat_file_partitions = DynamicPartitionsDefinition(name="chat_files")

# Every asset that writes the DuckDB file runs in this pool; dagster.yaml limits it to 1.
DUCKDB_POOL = "duckdb_writer"


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    # end_offset=1: today's partition exists, so today's chats give today's numbers.
    return DailyPartitionsDefinition(
        start_date=settings.start_date.isoformat(),
        timezone=settings.timezone,
        end_offset=1,
    )
