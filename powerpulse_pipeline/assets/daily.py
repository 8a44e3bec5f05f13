"""What every daily-partitioned asset shares: its day range and its defaults."""

from datetime import date, datetime, time, timedelta
from typing import Any

from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition

from ..settings import Settings

OWNERS = ["team:support-analytics"]


def daily_defaults(daily: DailyPartitionsDefinition) -> dict[str, Any]:
    return dict(
        partitions_def=daily,
        backfill_policy=BackfillPolicy.single_run(),
        group_name="analytics",
        owners=OWNERS,
    )


def day_range(context: AssetExecutionContext) -> tuple[date, date]:
    keys = context.partition_keys
    return date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])


def local_window(settings: Settings, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start, end) of the day range in POWERPULSE_TIMEZONE, as the daily partitions cut it."""
    zone = settings.zone
    return (
        datetime.combine(first_day, time(0), tzinfo=zone),
        datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone),
    )
