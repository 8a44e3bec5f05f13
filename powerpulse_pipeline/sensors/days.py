"""Turns "file ingested, days touched" into runs of the daily assets for exactly those days."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from .inbox import PARTITION_RANGE_END, PARTITION_RANGE_START

BATCH = 1000


def contiguous_ranges(days: set[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def build_days_sensor(daily: DailyPartitionsDefinition, job: JobDefinition) -> SensorDefinition:
    @sensor(
        name="touched_days_sensor",
        job=job,
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "After files are ingested, materializes the daily assets for exactly the days "
            "those files touched: one run per contiguous range of days."
        ),
    )
    def touched_days_sensor(context: SensorEvaluationContext) -> SensorResult:
        cursor = context.cursor
        days: set[date] = set()
        while True:
            result = context.instance.fetch_materializations(
                AssetRecordsFilter(
                    asset_key=AssetKey("chat_files"),
                    after_storage_id=int(cursor) if cursor else None,
                ),
                limit=BATCH,
                ascending=True,
            )
            for record in result.records:
                cursor = str(record.storage_id)
                materialization = record.asset_materialization
                touched = materialization.metadata.get("days_touched") if materialization else None
                if touched is not None:
                    days.update(date.fromisoformat(d) for d in touched.value)
            if not result.has_more:
                break
        first, last = daily.get_first_partition_key(), daily.get_last_partition_key()
        out_of_range = {d for d in days if not first <= d.isoformat() <= (last or "")}
        if out_of_range:
            context.log.warning(
                f"{len(out_of_range)} touched days have no partition (before "
                "POWERPULSE_START_DATE or after today) and are not materialized"
            )
        ranges = contiguous_ranges(days - out_of_range)
        return SensorResult(
            run_requests=[
                RunRequest(
                    tags={
                        PARTITION_RANGE_START: start.isoformat(),
                        PARTITION_RANGE_END: end.isoformat(),
                    }
                )
                for start, end in ranges
            ],
            cursor=cursor,
            skip_reason=None if ranges else "no newly ingested days",
        )

    return touched_days_sensor
