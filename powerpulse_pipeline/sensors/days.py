"""Turns "file ingested, days touched" into runs of the daily assets for exactly those days.

A touched day stays owed until a run that started after the touch has materialized the last
asset of the daily job for it. When the run requested for it ends without that (it failed
after Dagster's own retries, or its worker died), the day is requested again, with growing
pauses, so no day stays stale waiting for a click.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ..settings import Settings, agent_key
from ..warehouse.schema import schema_fingerprint
from ..warehouse.sessions import AGENT_KEY
from ..warehouse.tables import RAW_MESSAGES
from . import rerequest
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


@dataclass
class Owed:
    touched_at: float  # when a file last changed the day's messages
    requested_at: float = 0.0  # 0: not requested since that touch
    attempts: int = 0


# What the per-agent tables of a warehouse built before agent settings existed were built with.
NO_AGENT_SETTINGS: dict[str, list[str]] = {"aliases": [], "excluded": []}


@dataclass
class DaysCursor:
    after: int | None = None  # storage id of the last raw_messages materialization read
    owed: dict[str, Owed] = field(default_factory=dict)
    # The agent aliases and exclusions the stored days were built with (Settings.agent_fingerprint)
    agents: dict[str, list[str]] = field(default_factory=lambda: dict(NO_AGENT_SETTINGS))
    # The table layout the analysts' copy was last published with (schema.schema_fingerprint)
    schema: str | None = None

    def dump(self) -> str:
        return json.dumps(
            {
                "after": self.after,
                "owed": {
                    d: [o.touched_at, o.requested_at, o.attempts] for d, o in self.owed.items()
                },
                "agents": self.agents,
                "schema": self.schema,
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, raw: str | None) -> DaysCursor:
        if not raw:
            return cls()
        if raw.isdigit():  # the layout before owed days were kept
            return cls(after=int(raw))
        try:
            data = json.loads(raw)
            owed = {
                str(d): Owed(float(t), float(r), int(a)) for d, (t, r, a) in data["owed"].items()
            }
            agents = data.get("agents") or NO_AGENT_SETTINGS
            return cls(after=data.get("after"), owed=owed, agents=agents, schema=data.get("schema"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()


def _agent_names_changed(old: dict[str, list[str]], new: dict[str, list[str]]) -> set[str]:
    """agent_key of the stored names whose days a change of aliases or exclusions rebuilds."""
    before = dict(pair.split("=", 1) for pair in old.get("aliases", []))
    after = dict(pair.split("=", 1) for pair in new.get("aliases", []))
    names = {
        agent_key(before.get(alias, alias))
        for alias in before.keys() | after.keys()
        if before.get(alias) != after.get(alias)
    }
    return names | (set(old.get("excluded", [])) ^ set(new.get("excluded", [])))


def days_with_agents(published: Path, names: set[str]) -> set[str]:
    """Days of the analysts' copy with a message from one of these agents. Read-only on the
    copy, which no run holds; raises duckdb.Error when an analyst holds it read-write."""
    if not names or not published.exists():
        return set()
    with duckdb.connect(str(published), read_only=True) as conn:
        rows = conn.execute(
            f"SELECT DISTINCT day::VARCHAR FROM messages "
            f"WHERE list_contains($names, {AGENT_KEY.format('agent_name')})",
            {"names": sorted(names)},
        ).fetchall()
    return {day for (day,) in rows}


def unembedded_span(published: Path) -> tuple[str, str] | None:
    """First and last day of the copy's conversations with customer text but no embedding
    (all of them, in a copy from before similar conversations existed). Read-only on the copy;
    raises duckdb.Error when an analyst holds it read-write."""
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as conn:
        tables = {name for (name,) in conn.execute("SHOW TABLES").fetchall()}
        if "conversations" not in tables:
            return None
        # Customer text, as similarity/texts.py reads it: a sticker-only one is never embedded.
        missing = (
            "conversation_id IN (SELECT conversation_id FROM messages WHERE sender_role = "
            "'customer' AND nullif(trim(text), '') IS NOT NULL)"
        )
        if "conversation_embeddings" in tables:
            missing += (
                " AND conversation_id NOT IN (SELECT conversation_id FROM conversation_embeddings)"
            )
        first, last = conn.execute(
            f"SELECT min(day)::VARCHAR, max(day)::VARCHAR FROM conversations WHERE {missing}"
        ).fetchone()
    return (first, last) if first else None


def _newly_touched(instance: DagsterInstance, cursor: DaysCursor) -> set[str]:
    days: set[str] = set()
    while True:
        result = instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=AssetKey(RAW_MESSAGES.name), after_storage_id=cursor.after
            ),
            limit=BATCH,
            ascending=True,
        )
        for record in result.records:
            cursor.after = record.storage_id
            materialization = record.asset_materialization
            touched = materialization.metadata.get("days_touched") if materialization else None
            if touched is not None:
                days.update(str(d) for d in touched.value)
        if not result.has_more:
            return days


def _built_since_touched(
    instance: DagsterInstance, final_asset: AssetKey, owed: dict[str, Owed]
) -> set[str]:
    """Owed days materialized by a run that started after the day was last touched."""
    if not owed:
        return set()
    records = instance.fetch_materializations(
        AssetRecordsFilter(
            asset_key=final_asset,
            asset_partitions=list(owed),
            after_timestamp=min(o.touched_at for o in owed.values()) - 1,
        ),
        limit=10 * len(owed) + 10,
    ).records
    run_starts: dict[str, float | None] = {}
    built: set[str] = set()
    for record in records:
        day = record.partition_key
        if day not in owed or day in built:
            continue
        if record.run_id not in run_starts:
            run = instance.get_run_record_by_id(record.run_id)
            run_starts[record.run_id] = run.start_time if run else None
        started = run_starts[record.run_id]
        if started is not None and started >= owed[day].touched_at:
            built.add(day)
    return built


def _days_with_active_runs(instance: DagsterInstance, job_name: str) -> set[str]:
    covered: set[str] = set()
    for run in instance.get_runs(
        RunsFilter(job_name=job_name, statuses=rerequest.ACTIVE_RUN_STATUSES)
    ):
        start = run.tags.get(PARTITION_RANGE_START) or run.tags.get("dagster/partition")
        end = run.tags.get(PARTITION_RANGE_END) or start
        if not start or not end:
            continue
        day = date.fromisoformat(start)
        while day <= date.fromisoformat(end):
            covered.add(day.isoformat())
            day += timedelta(days=1)
    return covered


def build_days_sensor(
    settings: Settings,
    daily: DailyPartitionsDefinition,
    job: JobDefinition,
    final_asset: AssetKey,
    republish: list[AssetKey],
    embed_history: list[AssetKey] | None = None,
) -> SensorDefinition:
    @sensor(
        name="touched_days_sensor",
        job=job,
        minimum_interval_seconds=2,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "After files are ingested, materializes the daily assets for exactly the days "
            "those files touched: one run per contiguous range of days. A day whose run ends "
            "without materializing it is requested again. A change of POWERPULSE_AGENT_ALIASES "
            "or POWERPULSE_EXCLUDED_AGENTS rebuilds the days of the agents it changes."
        ),
    )
    def touched_days_sensor(context: SensorEvaluationContext) -> SensorResult:
        instance = context.instance
        cursor = DaysCursor.load(context.cursor)
        now = time.time()
        first, last = daily.get_first_partition_key(), daily.get_last_partition_key() or ""
        out_of_range = 0
        touched = _newly_touched(instance, cursor)
        wanted_agents = settings.agent_fingerprint
        if cursor.agents != wanted_agents:
            names = _agent_names_changed(cursor.agents, wanted_agents)
            try:
                rebuilt = days_with_agents(settings.duckdb_path, names)
            except duckdb.Error as exc:
                # Tried again next tick; the old fingerprint stays until the days are known.
                context.log.warning(
                    f"agent settings changed, but the days to rebuild cannot be read yet: {exc}"
                )
            else:
                cursor.agents = wanted_agents
                touched |= rebuilt
                context.log.info(
                    f"agent aliases or exclusions changed: rebuilding {len(rebuilt)} days of "
                    f"{len(names)} agent names"
                )
        for day in touched:
            if not first <= day <= last:
                out_of_range += 1
                continue
            cursor.owed[day] = Owed(touched_at=now)
        if out_of_range:
            context.log.warning(
                f"{out_of_range} touched days have no partition (before "
                "POWERPULSE_START_DATE or after today) and are not materialized"
            )
        for day in _built_since_touched(instance, final_asset, cursor.owed):
            del cursor.owed[day]

        due: set[date] = set()
        active: set[str] | None = None
        for day, owed in cursor.owed.items():
            if owed.requested_at == 0:
                due.add(date.fromisoformat(day))
                owed.requested_at = now
                continue
            if not rerequest.pause_over(owed.requested_at, owed.attempts, now):
                continue
            if active is None:
                active = _days_with_active_runs(instance, job.name)
            if day in active:
                continue  # its run (or Dagster's retry of it) is queued or running
            owed.attempts += 1
            owed.requested_at = now
            due.add(date.fromisoformat(day))
            context.log.warning(
                f"{day}: the run for this day ended without building it; requested again "
                f"(attempt {owed.attempts + 1})"
            )
        # Newest first: a drop's new day reaches the analysts and the dashboard before the
        # older days it touched (e.g. those whose repeat-contact windows it closed).
        ranges = sorted(contiguous_ranges(due), reverse=True)
        upgraded = []
        if cursor.schema != schema_fingerprint():
            # A new release added columns or tables: publish the copy again now (the work DB
            # gains them, NULL until their days are rebuilt), so the explorer and `powerpulse
            # ask` never meet a copy older than their code, whether or not files arrive. Days
            # owed have runs that publish it (and a republish must not pass for them).
            if not cursor.owed and settings.duckdb_path.exists() and last:
                span = None
                if embed_history:
                    try:
                        span = unembedded_span(settings.duckdb_path)
                    except duckdb.Error as exc:
                        context.log.warning(f"the copy cannot be read to upgrade it yet: {exc}")
                        return SensorResult(cursor=cursor.dump(), skip_reason=str(exc)[:200])
                if embed_history and span:
                    # History from before similar conversations: embedded by itself, once.
                    start, end = max(span[0], first), min(span[1], last)
                    upgraded.append(
                        RunRequest(
                            asset_selection=embed_history,
                            tags={PARTITION_RANGE_START: start, PARTITION_RANGE_END: end},
                        )
                    )
                    context.log.info(
                        f"the table layout changed: embedding the conversations of {start} to "
                        f"{end} for similar conversations, then publishing the copy again"
                    )
                else:
                    upgraded.append(
                        RunRequest(
                            asset_selection=republish,
                            tags={PARTITION_RANGE_START: last, PARTITION_RANGE_END: last},
                        )
                    )
                    context.log.info(
                        "the table layout changed: publishing the analysts' copy again"
                    )
            cursor.schema = schema_fingerprint()
        return SensorResult(
            run_requests=upgraded
            + [
                RunRequest(
                    tags={
                        PARTITION_RANGE_START: start.isoformat(),
                        PARTITION_RANGE_END: end.isoformat(),
                    }
                )
                for start, end in ranges
            ],
            cursor=cursor.dump(),
            skip_reason=None
            if ranges or upgraded
            else f"no newly ingested days ({len(cursor.owed)} days being built)",
        )

    return touched_days_sensor
