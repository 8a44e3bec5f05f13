"""Watches the drop folder and turns new, stable files into `chat_files` partitions and runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ..ingest.inbox import content_sha256, partition_key_for, scan_inbox, sha_prefix_of_key
from ..partitions import chat_file_partitions
from ..settings import Settings

PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"

# A file last modified this long ago is not being written any more.
SETTLE_NS = 15 * 1_000_000_000
# Keep the tick far below Dagster's 60 s limit; what is left is hashed on the next tick.
HASH_BUDGET_SECONDS = 25.0
MAX_FILES_PER_RUN = 1000

PENDING = "pending"  # seen, not yet stable or not yet hashed
DONE = "done"  # handed to a run, or a duplicate of known content


def _decode_cursor(cursor: str | None) -> dict[str, list]:
    if not cursor:
        return {}
    try:
        files = json.loads(cursor).get("files", {})
    except (ValueError, AttributeError):
        return {}
    return files if isinstance(files, dict) else {}


def _needs_retry(instance: DagsterInstance, key: str) -> bool:
    """Known content whose last attempt stored nothing (rejected, missing, changed)."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("chat_files"), asset_partitions=[key]), limit=1
    ).records
    if not records:
        return False  # its run is still queued or running
    materialization = records[0].asset_materialization
    status = materialization.metadata.get("status") if materialization else None
    return status is not None and status.value != "ingested"


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_inbox_sensor(settings: Settings, job: JobDefinition) -> SensorDefinition:
    @sensor(
        name="inbox_sensor",
        job=job,
        minimum_interval_seconds=10,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Watches {settings.inbox_dir} (subfolders too) for chat exports. A file is read "
            "once its size and mtime hold still between ticks; content already ingested is "
            "never ingested again, whatever its name."
        ),
    )
    def inbox_sensor(context: SensorEvaluationContext) -> SensorResult:
        inbox = settings.inbox_dir
        if not inbox.is_dir():
            inbox.mkdir(parents=True, exist_ok=True)
        previous = _decode_cursor(context.cursor)
        known = {
            sha_prefix_of_key(key): key
            for key in context.instance.get_dynamic_partitions(chat_file_partitions.name)
        }
        state: dict[str, list] = {}
        new_keys: dict[str, str] = {}  # key -> relpath
        retry_keys: dict[str, str] = {}
        deadline = time.monotonic() + HASH_BUDGET_SECONDS
        now_ns = time.time_ns()
        waiting = duplicates = 0
        for found in sorted(scan_inbox(inbox), key=lambda f: f.relpath):
            signature = [found.size, found.mtime_ns]
            before = previous.get(found.relpath)
            if before and before[:2] == signature and before[2] == DONE:
                state[found.relpath] = before
                continue
            stable = (before is not None and before[:2] == signature) or (
                now_ns - found.mtime_ns > SETTLE_NS
            )
            if not stable or time.monotonic() > deadline:
                state[found.relpath] = [*signature, PENDING]
                waiting += 1
                continue
            try:
                sha = content_sha256(inbox / found.relpath)
            except FileNotFoundError:
                continue
            key = partition_key_for(found.relpath, sha)
            prefix = sha[:16]
            state[found.relpath] = [*signature, DONE]
            existing = known.get(prefix)
            if existing is not None:
                if existing not in new_keys and _needs_retry(context.instance, existing):
                    retry_keys[existing] = found.relpath
                else:
                    duplicates += 1
                    context.log.info(f"{found.relpath}: same content as {existing}, skipped")
                continue
            known[prefix] = key
            new_keys[key] = found.relpath

        cursor = json.dumps({"files": state}, separators=(",", ":"))
        if not new_keys and not retry_keys:
            return SensorResult(
                skip_reason=f"no new stable files ({waiting} waiting, {duplicates} duplicates)",
                cursor=cursor,
            )

        run_requests = []
        ordered = list(new_keys)
        for batch in _chunks(ordered, MAX_FILES_PER_RUN):
            run_requests.append(
                RunRequest(
                    run_key=f"ingest:{batch[0]}..{batch[-1]}",
                    run_config={
                        "ops": {
                            "chat_files": {"config": {"paths": {k: new_keys[k] for k in batch}}}
                        }
                    },
                    tags={
                        PARTITION_RANGE_START: batch[0],
                        PARTITION_RANGE_END: batch[-1],
                        "powerpulse/files": str(len(batch)),
                    },
                )
            )
        for key, relpath in retry_keys.items():
            run_requests.append(
                RunRequest(
                    run_config={"ops": {"chat_files": {"config": {"paths": {key: relpath}}}}},
                    tags={
                        PARTITION_RANGE_START: key,
                        PARTITION_RANGE_END: key,
                        "powerpulse/files": "1",
                        "powerpulse/retry": "true",
                    },
                )
            )
        context.log.info(
            f"{len(new_keys)} new files, {len(retry_keys)} to retry, {waiting} waiting"
        )
        return SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=[
                AddDynamicPartitionsRequest(chat_file_partitions.name, ordered)
            ]
            if ordered
            else [],
            cursor=cursor,
        )

    return inbox_sensor
