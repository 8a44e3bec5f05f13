"""One sensor per configured Page (POWERPULSE_FB_PAGE_IDS) pulls its Messenger conversations
into the inbox as Graph API files; the inbox sensor ingests them like any dropped export.

A tick never fails: every outcome (progress, a pause for a rate limit, a stop for a bad
token) is the tick's message and a line in its log, and the Page's state stays in the cursor.
Each Page has its own sensor, so a throttled or stopped Page leaves the others syncing.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetKey,
    AssetObservation,
    AssetSpec,
    DefaultSensorStatus,
    MetadataValue,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ..ingest.records import printable
from ..settings import Settings
from ..sources.graph_api.client import GraphClient, redact
from ..sources.graph_api.landing import land, landing_dir
from ..sources.graph_api.sync import PageState, TickReport, sync_tick
from ..sources.graph_api.tokens import page_token

# A tick during a pass (the backfill) every 30 s, each well under Dagster's 60 s limit.
TICK_SECONDS = 30
TICK_BUDGET_SECONDS = 20.0


def _safe(page_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", page_id)


def sensor_name(page_id: str) -> str:
    return f"messenger_sync_{_safe(page_id)}"


def page_asset_key(page_id: str) -> AssetKey:
    return AssetKey(["messenger", f"page_{_safe(page_id)}"])


def messenger_page_specs(settings: Settings) -> list[AssetSpec]:
    """The Pages as source assets: the sync's progress is their observations."""
    return [
        AssetSpec(
            page_asset_key(page_id),
            group_name="ingestion",
            kinds={"api", "json"},
            description=(
                f"Messenger conversations of Facebook Page {page_id}, pulled from the Graph API "
                f"by `{sensor_name(page_id)}` into "
                f"`{landing_dir(settings.inbox_dir, page_id)}`. Each observation is the sync's "
                "progress: conversations and messages pulled, how far back, pauses and stops."
            ),
        )
        for page_id in settings.fb_page_ids
    ]


def build_messenger_sensors(settings: Settings) -> list[SensorDefinition]:
    return [_page_sensor(settings, page_id) for page_id in settings.fb_page_ids]


def _at(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _page_sensor(settings: Settings, page_id: str) -> SensorDefinition:
    interval = settings.fb_sync_minutes * 60

    @sensor(
        name=sensor_name(page_id),
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Pulls Facebook Page {page_id}'s Messenger conversations from the Graph API every "
            f"{settings.fb_sync_minutes:g} min (POWERPULSE_FB_SYNC_MINUTES), back to "
            f"{settings.start_date} on the first run, a bounded part per tick, and lands them in "
            f"the inbox as Graph API files. Pauses on rate limits; stops on a bad token or a "
            "missing permission until the token file or the setting changes."
        ),
    )
    def messenger_sync(context: SensorEvaluationContext) -> SensorResult:
        token: str | None = None
        try:
            raw = json.loads(context.cursor) if context.cursor else {}
            state = PageState.load(raw.get("state") if isinstance(raw, dict) else None)
            noticed = str(raw.get("noticed", "")) if isinstance(raw, dict) else ""
            found = page_token(settings, page_id)
            token = found.token

            def done(message: str, *, events: list[AssetObservation] | None = None) -> SensorResult:
                cursor = json.dumps({"state": state.dump(), "noticed": noticed})
                return SensorResult(skip_reason=message, cursor=cursor, asset_events=events or [])

            if found.problem or token is None:
                message = f"Page {page_id}: {found.problem}; no call is made"
                if noticed != message:
                    context.log.error(message)
                    noticed = message
                return done(message)
            if state.stopped:
                if state.stopped_fingerprint == found.fingerprint:
                    return done(
                        f"Page {page_id} stopped: {state.stopped} (no call until the token "
                        "file or the setting changes)"
                    )
                context.log.info(f"Page {page_id}: the token or setting changed; resuming")
                state.stopped = state.stopped_fingerprint = ""
            now = time.time()
            if state.pause_until:
                if now < state.pause_until:
                    return done(
                        f"Page {page_id} paused until {_at(state.pause_until)}: "
                        f"{state.pause_reason}"
                    )
                state.pause_until, state.pause_reason = 0.0, ""
            if state.current is None and now < state.last_complete + interval:
                return done(
                    f"Page {page_id} is up to date ({state.messages:,} messages pulled in all); "
                    f"next sync at {_at(state.last_complete + interval)}"
                )
            with GraphClient(settings.fb_graph_url, token) as client:
                report = sync_tick(
                    state,
                    client,
                    page_id,
                    lambda conversations: land(
                        settings.inbox_dir, page_id, conversations, datetime.now(UTC)
                    ),
                    start_date=settings.start_date,
                    interval_seconds=interval,
                    deadline=time.monotonic() + TICK_BUDGET_SECONDS,
                )
            state = report.state
            if state.stopped:
                state.stopped_fingerprint = found.fingerprint
            noticed = ""
            message = _progress(page_id, report, settings)
            if report.warning:
                log = context.log.error if state.stopped else context.log.warning
                log(f"Page {page_id}: {report.warning}")
            context.log.info(message)
            return done(message, events=[_observation(page_id, report)])
        except Exception as exc:  # a tick must never fail: the next one tries again
            said = printable(redact(str(exc) or type(exc).__name__, token))[:300]
            message = f"Page {page_id}: the sync failed unexpectedly ({said})"
            context.log.error(message)
            return SensorResult(skip_reason=message, cursor=context.cursor)

    return messenger_sync


def _progress(page_id: str, report: TickReport, settings: Settings) -> str:
    state = report.state
    tick = (
        f"{report.messages:,} new messages in {report.conversations:,} conversations landed "
        f"({report.calls} calls)"
    )
    back = f", back to {state.oldest[:10]}" if state.oldest else ""
    if state.stopped:
        status = f"stopped: {state.stopped}"
    elif state.pause_until:
        status = f"paused until {_at(state.pause_until)}: {state.pause_reason}"
    elif state.current is not None:
        kind = "backfill" if state.current.backfill else "sync"
        status = (
            f"{kind} in progress: {state.current.conversations:,} conversations and "
            f"{state.current.messages:,} messages so far{back}; continues next tick"
        )
    else:
        status = (
            f"up to date: {state.messages:,} messages pulled in all{back}; next sync in "
            f"{settings.fb_sync_minutes:g} min"
        )
    return f"Page {page_id}: {tick}; {status}"


def _observation(page_id: str, report: TickReport) -> AssetObservation:
    state = report.state
    status = (
        "stopped"
        if state.stopped
        else "paused"
        if state.pause_until
        else ("backfilling" if state.current.backfill else "syncing")
        if state.current
        else "up to date"
    )
    metadata: dict[str, Any] = {
        "status": status,
        "conversations_pulled": state.conversations,
        "messages_pulled": state.messages,
        "oldest_message": state.oldest or "",
        "files_landed": state.files,
        "graph_api_calls": state.calls,
        "messages_without_details": state.without_details,
        "last_tick": MetadataValue.md(
            f"{report.messages:,} messages in {report.conversations:,} conversations, "
            f"{report.calls} calls" + (f"; landed `{report.landed.name}`" if report.landed else "")
        ),
    }
    if state.stopped or state.pause_reason:
        metadata["reason"] = state.stopped or state.pause_reason
    return AssetObservation(asset_key=page_asset_key(page_id), metadata=metadata)
