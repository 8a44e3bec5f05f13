"""Watches the drop folder and turns new, stable files into `raw_messages` partitions and runs.

Nothing in the folder can fail a tick: every odd entry (an unreadable folder or file, a link,
a name that is not UTF-8) gets a warning in the tick's log and the rest goes on. A file handed
to a run that ended without storing it (the worker died, retries ran out) is requested again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ..ingest.inbox import (
    content_sha256,
    describe,
    is_whole_json,
    partition_key_for,
    scan_inbox,
    sha_prefix_of_key,
    shown,
)
from ..ingest.store import INGESTED
from ..partitions import chat_file_partitions
from ..settings import Settings
from ..warehouse.tables import RAW_MESSAGES
from . import rerequest

PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"

# A file last modified this long ago is not being written any more.
SETTLE_NS = 15 * 1_000_000_000
# Keep the tick far below Dagster's 60 s limit; what is left is hashed on the next tick.
HASH_BUDGET_SECONDS = 25.0
MAX_FILES_PER_RUN = 1000

PENDING = "pending"  # seen, not yet stable, hashed or readable
REQUESTED = "requested"  # handed to a run that has not stored it yet
DONE = "done"  # stored (or rejected) by a run, or a duplicate of known content


@dataclass
class Entry:
    """What the sensor remembers about one path between ticks."""

    signature: list[int]
    state: str
    key: str = ""
    requested_at: float = 0.0
    attempts: int = 0

    def dump(self) -> list:
        return [self.signature, self.state, self.key, self.requested_at, self.attempts]

    @classmethod
    def load(cls, raw: object) -> Entry | None:
        try:
            signature, state, key, requested_at, attempts = raw  # type: ignore[misc]
            return cls(list(signature), str(state), str(key), float(requested_at), int(attempts))
        except (TypeError, ValueError):
            return None  # an older cursor layout: the path is looked at afresh


@dataclass
class Cursor:
    files: dict[str, Entry] = field(default_factory=dict)
    noticed: dict[str, str] = field(default_factory=dict)  # problems already warned about

    def dump(self) -> str:
        return json.dumps(
            {"files": {p: e.dump() for p, e in self.files.items()}, "noticed": self.noticed},
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, raw: str | None) -> Cursor:
        try:
            data = json.loads(raw) if raw else {}
            files = {p: e for p, v in data.get("files", {}).items() if (e := Entry.load(v))}
            noticed = {str(p): str(r) for p, r in data.get("noticed", {}).items()}
        except (ValueError, AttributeError, TypeError):
            return cls()
        return cls(files, noticed)


def _last_status(instance: DagsterInstance, key: str) -> str | None:
    """How the last run of a file partition ended (`ingested`, `rejected`, ...), if any did."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(RAW_MESSAGES.name), asset_partitions=[key]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    status = materialization.metadata.get("status") if materialization else None
    return str(status.value) if status is not None else None


def _ingest_runs_active(instance: DagsterInstance, job_name: str) -> bool:
    return bool(
        instance.get_run_ids(
            RunsFilter(job_name=job_name, statuses=rerequest.ACTIVE_RUN_STATUSES), limit=1
        )
    )


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_request(paths: dict[str, str], run_key: str | None = None, **tags: str) -> RunRequest:
    keys = list(paths)
    return RunRequest(
        run_key=run_key,
        run_config={"ops": {RAW_MESSAGES.name: {"config": {"paths": paths}}}},
        tags={
            PARTITION_RANGE_START: keys[0],
            PARTITION_RANGE_END: keys[-1],
            "powerpulse/files": str(len(keys)),
            **tags,
        },
    )


def build_inbox_sensor(settings: Settings, job: JobDefinition) -> SensorDefinition:
    @sensor(
        name="inbox_sensor",
        job=job,
        # Dagster's sensor daemon loops every 5 s; a minimum of 5 s would skip every other
        # loop (the last tick ended a hair under 5 s ago), so the inbox is looked at on
        # every loop instead: every 5 s, not 10.
        minimum_interval_seconds=4,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Watches {settings.inbox_dir} (subfolders too) for chat exports. A file is read "
            "once its size and times hold still between ticks; content already ingested is "
            "never ingested again, whatever its name. Entries it cannot read are named in the "
            "tick's log and looked at again on every tick."
        ),
    )
    def inbox_sensor(context: SensorEvaluationContext) -> SensorResult:
        inbox = settings.inbox_dir
        try:
            inbox.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return SensorResult(skip_reason=f"inbox {inbox} cannot be created: {describe(exc)}")
        previous = Cursor.load(context.cursor)
        cursor = Cursor()
        instance = context.instance
        known = {
            sha_prefix_of_key(key): key
            for key in instance.get_dynamic_partitions(chat_file_partitions.name)
        }
        new_keys: dict[str, str] = {}  # key -> relpath
        retry_keys: dict[str, str] = {}
        requested: dict[str, Entry] = {}  # relpath -> entry still waiting for its run
        deadline = time.monotonic() + HASH_BUDGET_SECONDS
        now_ns = time.time_ns()
        waiting = duplicates = 0

        scan = scan_inbox(inbox)
        problems = {p.relpath: p.reason for p in scan.problems}
        for found in sorted(scan.files, key=lambda f: f.relpath):
            signature = found.signature
            before = previous.files.get(found.relpath)
            if before and before.signature == signature and before.state in (DONE, REQUESTED):
                cursor.files[found.relpath] = before
                if before.state == REQUESTED:
                    requested[found.relpath] = before
                continue
            stable = (
                (before is not None and before.signature == signature)
                or now_ns - found.mtime_ns > SETTLE_NS
                or (
                    time.monotonic() < deadline
                    and is_whole_json(inbox, found.relpath, found.size)
                )
            )
            if not stable or time.monotonic() > deadline:
                cursor.files[found.relpath] = Entry(signature, PENDING)
                waiting += 1
                continue
            try:
                sha = content_sha256(inbox / found.relpath)
            except FileNotFoundError:
                continue
            except OSError as exc:
                problems[shown(found.relpath)] = (
                    f"file cannot be read ({describe(exc)}); it is read as soon as the user "
                    "running PowerPulse can read it"
                )
                cursor.files[found.relpath] = Entry(signature, PENDING)
                continue
            key = partition_key_for(found.relpath, sha)
            existing = known.get(sha[:16])
            if existing is None:
                known[sha[:16]] = key
                new_keys[key] = found.relpath
                cursor.files[found.relpath] = Entry(signature, REQUESTED, key, time.time())
                continue
            status = (
                None
                if existing in new_keys or existing in retry_keys
                else _last_status(instance, existing)
            )
            if status is None:
                # Another copy's run has not ended: this one is decided by how that one ends.
                cursor.files[found.relpath] = Entry(signature, PENDING)
                waiting += 1
            elif status != INGESTED:  # rejected or not read: a fixed setting may help now
                retry_keys[existing] = found.relpath
                cursor.files[found.relpath] = Entry(signature, REQUESTED, existing, time.time())
            else:
                duplicates += 1
                cursor.files[found.relpath] = Entry(signature, DONE, existing)
                context.log.info(f"{found.relpath}: same content as {existing}, skipped")

        lost = _settle_requested(context, job.name, requested, cursor)
        for relpath, reason in problems.items():
            if previous.noticed.get(relpath) != reason:
                context.log.warning(f"inbox entry '{relpath}': {reason}")
        cursor.noticed = problems

        # New content is requested once ever (run_key); a retry or a re-request needs no key.
        run_requests = [
            _run_request({k: new_keys[k] for k in batch}, run_key=f"ingest:{batch[0]}..{batch[-1]}")
            for batch in _chunks(list(new_keys), MAX_FILES_PER_RUN)
        ]
        run_requests += [
            _run_request({key: relpath}, **{"powerpulse/retry": "true"})
            for key, relpath in {**retry_keys, **lost}.items()
        ]
        attention = (
            f", {len(problems)} entries need attention (see the tick log)" if problems else ""
        )
        if not run_requests:
            return SensorResult(
                skip_reason=f"no new stable files ({waiting} waiting, {duplicates} duplicates"
                f"{attention})",
                cursor=cursor.dump(),
            )
        context.log.info(
            f"{len(new_keys)} new files, {len(retry_keys)} to retry, {len(lost)} requested "
            f"again, {waiting} waiting{attention}"
        )
        return SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=[
                AddDynamicPartitionsRequest(chat_file_partitions.name, list(new_keys))
            ]
            if new_keys
            else [],
            cursor=cursor.dump(),
        )

    return inbox_sensor


def _run_since(instance: DagsterInstance, entries: Iterable[Entry]) -> dict[str, float]:
    """Latest raw_messages materialization time of each entry's key, since its request."""
    entries = list(entries)
    latest: dict[str, float] = {}
    cursor = None
    while True:
        result = instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=AssetKey(RAW_MESSAGES.name),
                asset_partitions=sorted({e.key for e in entries}),
                after_timestamp=min(e.requested_at for e in entries) - 1,
            ),
            limit=1000,
            cursor=cursor,
        )
        for record in result.records:
            if record.partition_key is not None:
                latest[record.partition_key] = max(
                    latest.get(record.partition_key, 0.0), record.timestamp
                )
        if not result.has_more:
            return latest
        cursor = result.cursor


def _settle_requested(
    context: SensorEvaluationContext, job_name: str, requested: dict[str, Entry], cursor: Cursor
) -> dict[str, str]:
    """Mark files whose run stored them as done; return those whose run ended without it."""
    if not requested:
        return {}
    instance = context.instance
    ran = _run_since(instance, requested.values())
    runs_active: bool | None = None
    lost: dict[str, str] = {}
    now = time.time()
    for relpath, entry in requested.items():
        if ran.get(entry.key, 0.0) >= entry.requested_at:
            entry.state = DONE
            continue
        if not rerequest.pause_over(entry.requested_at, entry.attempts, now):
            continue
        if runs_active is None:
            runs_active = _ingest_runs_active(instance, job_name)
        if runs_active:
            continue  # maybe its own run, queued behind others or being retried
        entry.attempts += 1
        entry.requested_at = now
        lost[entry.key] = relpath
        context.log.warning(
            f"{relpath}: its ingest run ended without storing it; requested again "
            f"(attempt {entry.attempts + 1})"
        )
    return lost
