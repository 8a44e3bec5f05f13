"""`raw_messages`: every distinct message of the dropped files, one dynamic partition per file.

Each file of a run is read, parsed and stored in its own transaction (ingest/store.py); its
outcome goes to `ingested_files`. Whatever goes wrong with one file stays with that file.
"""

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..ingest.inbox import (
    NotRegularFile,
    content_sha256,
    describe,
    move_to_rejected,
    partition_key_for,
    read_inbox_file,
    scan_inbox,
    sha_prefix_of_key,
)
from ..ingest.store import (
    INGESTED,
    REJECTED,
    FileOutcome,
    ingest_export,
    record_file,
    stored_outcome,
)
from ..markdown import markdown_table
from ..partitions import DUCKDB_POOL, chat_file_partitions
from ..settings import Settings
from ..warehouse.io import transaction
from ..warehouse.publish import publish_for
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import RAW_MESSAGES

MISSING = "missing"
CHANGED = "changed"
UNREADABLE = "unreadable"

# Failures of the warehouse rather than of a file: the run fails and is retried instead.
TRANSIENT = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.FatalException)
PROGRESS_EVERY_SECONDS = 10.0


class ChatFilesConfig(Config):
    """Set by the inbox sensor: partition key -> path of the file relative to the inbox."""

    paths: dict[str, str] = {}


def locate_file(inbox: Path, key: str) -> str | None:
    """Find a partition's file in the inbox by content, for runs launched from the UI."""
    for found in scan_inbox(inbox).files:
        if partition_key_for(found.relpath, "") != key[: -len(sha_prefix_of_key(key))]:
            continue  # another name: not worth hashing
        try:
            sha = content_sha256(inbox / found.relpath)
        except OSError:
            continue
        if partition_key_for(found.relpath, sha) == key:
            return found.relpath
    return None


def file_metadata(outcome: FileOutcome) -> dict[str, object]:
    metadata: dict[str, object] = {
        "status": outcome.status,
        "source_path": outcome.relpath,
        "content_sha256": outcome.sha256 or "",
        "days_touched": MetadataValue.json([d.isoformat() for d in outcome.days_touched]),
    }
    if outcome.error:
        metadata["error"] = outcome.error
    if outcome.status == INGESTED:
        metadata.update(
            format=outcome.format or "",
            threads=outcome.threads,
            messages_in_file=outcome.messages_in_file,
            new_messages=outcome.new_messages,
            duplicate_messages=outcome.messages_in_file - outcome.new_messages,
            skipped_messages=outcome.skipped,
        )
        if outcome.skipped_detail:
            metadata["skipped_detail"] = MetadataValue.md(
                "\n".join(f"- {line}" for line in outcome.skipped_detail)
            )
        if outcome.warnings:
            metadata["warnings"] = MetadataValue.md(
                "\n".join(f"- {line}" for line in outcome.warnings)
            )
    return metadata


def build_raw_messages_asset(
    settings: Settings, upstream: list[AssetKey] | None = None
) -> AssetsDefinition:
    @asset(
        name="raw_messages",
        deps=upstream or [],
        partitions_def=chat_file_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="ingestion",
        kinds={"json", "duckdb"},
        metadata={
            "dagster/column_schema": RAW_MESSAGES.column_schema(),
            "dagster/table_name": "raw_messages",
        },
        owners=["team:support-analytics"],
        description=(
            "One partition per chat export dropped into the inbox (key: file name + content "
            "hash). Parses any of the three export formats, stores distinct messages in "
            "`raw_messages`, records the file in `ingested_files`, and moves unusable files "
            "to `rejected/` with an `.error.txt`."
        ),
        check_specs=[
            AssetCheckSpec(
                "all_files_accepted",
                asset="raw_messages",
                description="Warns when a file of the run was rejected (see rejected/).",
            )
        ],
    )
    def raw_messages(
        context: AssetExecutionContext, config: ChatFilesConfig, duckdb: DuckDBResource
    ) -> MaterializeResult:
        keys = context.partition_keys
        outcomes: list[FileOutcome] = []
        started = last_report = time.monotonic()
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            for index, key in enumerate(keys, start=1):
                outcome = _ingest_one(context, conn, settings, key, config.paths.get(key))
                outcomes.append(outcome)
                context.add_asset_metadata(file_metadata(outcome), partition_key=key)
                if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
                    last_report = time.monotonic()
                    rate = index / (last_report - started)
                    context.log.info(
                        f"ingested {index}/{len(keys)} files ({rate:.1f}/s, "
                        f"ETA {(len(keys) - index) / rate:.0f}s)"
                    )
            total_raw = conn.execute("SELECT count(*) FROM raw_messages").fetchone()[0]
            if outcomes and not any(o.days_touched for o in outcomes):
                # No daily run follows to publish: show these outcomes (rejections) now.
                publish_for(conn, settings)

        rejected = [o for o in outcomes if o.status != INGESTED]
        preview = markdown_table(
            ["file", "status", "new messages", "days"],
            [
                [
                    o.relpath,
                    o.status,
                    o.new_messages,
                    ", ".join(d.isoformat() for d in o.days_touched[:5])
                    + (" …" if len(o.days_touched) > 5 else ""),
                ]
                for o in outcomes
            ],
            limit=50,
        )
        return MaterializeResult(
            metadata={
                "files": len(outcomes),
                "files_ingested": len(outcomes) - len(rejected),
                "files_rejected": len(rejected),
                "new_messages": sum(o.new_messages for o in outcomes),
                "dagster/row_count": int(total_raw),
                "preview": MetadataValue.md(preview),
            },
            check_results=[
                AssetCheckResult(
                    check_name="all_files_accepted",
                    passed=not rejected,
                    severity=AssetCheckSeverity.WARN,
                    metadata={
                        "rejected": MetadataValue.md(
                            "\n".join(f"- `{o.relpath}`: {o.error}" for o in rejected) or "none"
                        )
                    },
                )
            ],
        )

    return raw_messages


def _ingest_one(
    context: AssetExecutionContext,
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    key: str,
    relpath: str | None,
) -> FileOutcome:
    """Ingest one file. Whatever goes wrong stays with this file: it never fails the run."""
    inbox = settings.inbox_dir
    relpath = relpath or locate_file(inbox, key)
    if relpath is None:
        context.log.warning(f"{key}: the file is no longer in the inbox; nothing stored")
        return _not_read(
            key,
            "",
            MISSING,
            "the file was no longer in the inbox when the run started; drop it again",
        )
    earlier = stored_outcome(conn, key)
    if earlier is not None:
        # A retried run: an earlier attempt committed this file but died before reporting.
        context.log.info(f"{relpath}: already stored by an earlier attempt of this run")
        return earlier
    try:
        raw = read_inbox_file(inbox, relpath)
    except FileNotFoundError:
        context.log.warning(f"{relpath}: the file is no longer in the inbox; nothing stored")
        return _not_read(
            key,
            relpath,
            MISSING,
            "the file was no longer in the inbox when the run started; drop it again",
        )
    except PermissionError:
        context.log.warning(f"{relpath}: cannot be read (permission denied); will be retried")
        return _not_read(
            key,
            relpath,
            UNREADABLE,
            "permission denied: the user running "
            "PowerPulse cannot read this file; it is read once that is fixed",
        )
    except (NotRegularFile, OSError) as exc:
        outcome = _not_read(key, relpath, REJECTED, f"cannot be read: {describe(exc)}")
        record_file(conn, outcome, datetime.now(UTC))
        _reject(context, settings, outcome)
        return outcome
    sha = hashlib.sha256(raw).hexdigest()
    if sha[:16] != sha_prefix_of_key(key):
        context.log.warning(f"{relpath}: content changed since it was seen; it will be re-read")
        return _not_read(
            key,
            relpath,
            CHANGED,
            "the file changed after the sensor saw it; the new content is picked up as a new file",
            sha,
        )
    now = datetime.now(UTC)
    try:
        with transaction(conn) as tx:
            outcome = ingest_export(
                tx, raw, key=key, relpath=relpath, sha256=sha, settings=settings, now=now
            )
    except TRANSIENT:
        raise  # the warehouse itself is in trouble, not this file: the run is retried
    except Exception as exc:  # one file's failure, whatever it is, stays with that file
        context.log.exception(f"{relpath}: unexpected failure while storing")
        outcome = _not_read(
            key,
            relpath,
            REJECTED,
            f"PowerPulse failed while storing this file ({describe(exc)}); "
            "nothing from it was stored",
            sha,
        )
        record_file(conn, outcome, now)
    if outcome.status == REJECTED:
        _reject(context, settings, outcome)
    else:
        context.log.info(
            f"{relpath}: {outcome.format}, {outcome.messages_in_file} messages, "
            f"{outcome.new_messages} new, {outcome.skipped} skipped, "
            f"{len(outcome.days_touched)} days touched"
        )
        for warning in outcome.warnings:
            context.log.warning(f"{relpath}: {warning}")
    return outcome


def _not_read(key: str, relpath: str, status: str, error: str, sha: str = "") -> FileOutcome:
    return FileOutcome(key=key, relpath=relpath, sha256=sha, status=status, error=error)


def _reject(context: AssetExecutionContext, settings: Settings, outcome: FileOutcome) -> None:
    try:
        target = move_to_rejected(
            settings.inbox_dir, settings.rejected_dir, outcome.relpath, outcome.error or ""
        )
    except OSError as exc:
        context.log.error(
            f"REJECTED {outcome.relpath}: {outcome.error} (and it could not be moved to "
            f"{settings.rejected_dir}: {describe(exc)})"
        )
        return
    context.log.error(f"REJECTED {outcome.relpath}: {outcome.error} (moved to {target})")
