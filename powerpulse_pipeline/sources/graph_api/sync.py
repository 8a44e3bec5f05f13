"""One Page's sync: a pass pages through the conversations edge newest-updated first down to a
floor, and through each conversation's messages (nested, then its own edge) down to the same
floor; a tick does a bounded part of a pass and lands what it pulled.

The floor is the newest `updated_time` the last complete pass saw, minus an overlap (the edge's
order is observed, not documented), or POWERPULSE_START_DATE for the first pass: the backfill.
A conversation updated while a pass reads the edge moves to its front, above that pass's
newest, so the next pass reads it, down to the floor of the pass that may have missed it.
The watermark never passes this machine's clock at the pass's start.

What a tick pulled is landed before its state is kept: a crash repeats the tick's calls and
lands the same messages again, which ingestion stores once.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from .client import (
    TIMEOUT_SECONDS,
    CursorExpired,
    GraphClient,
    Permanent,
    Reply,
    Throttled,
    Transient,
    strip_token,
)

OVERLAP = timedelta(minutes=30)
CONVERSATIONS_PER_PAGE = 25
MESSAGES_PER_PAGE = 25
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,sticker,tags"
# Usage (the highest share of any limit the headers report): slow down from SLOW_AT, pause
# the Page from PAUSE_AT, before the API starts refusing calls. Meta does not say how long
# its windows are, so the pause starts at COOL_DOWN and doubles while usage stays that high.
SLOW_AT = 60.0
PAUSE_AT = 90.0
MAX_SLOW_SLEEP = 3.0
COOL_DOWN = 60.0
THROTTLE_BACKOFF = 60.0  # when a throttling error gives no time to regain access
MAX_BACKOFF = 3600.0
TRANSIENT_ATTEMPTS = 3
# Recently landed message ids are remembered so the overlap does not land them again.
MAX_RECENT = 20_000


def graph_time(moment: datetime) -> str:
    """A time as the Graph API writes it; these strings sort as the times do."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("+0000", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Pass:
    """A walk down the conversations edge, resumable from any tick."""

    floor: str
    # A conversation updated after `since` (the last pass's newest) may have jumped to the
    # front while that pass read the edge, before it was read: its messages are read down to
    # `since_floor`, the last pass's floor, instead.
    since: str | None = None
    since_floor: str | None = None
    next_url: str | None = None  # None: the first page is still to be read
    listed: bool = False  # the edge has no more pages
    newest: str | None = None
    # Conversations whose messages need more pages: [id, updated_time, next URL, floor].
    backlog: list[list[str]] = field(default_factory=list)
    conversations: int = 0
    messages: int = 0
    backfill: bool = False
    # This machine's clock when the pass began: the watermark never passes it, so a server
    # clock ahead of ours (or a time in the future) cannot lift the next floor above now.
    started: str | None = None
    listing_calls: int = 0


@dataclass
class PageState:
    """Everything the sensor keeps for one Page between ticks (its cursor)."""

    watermark: str | None = None
    last_floor: str | None = None
    current: Pass | None = None
    last_complete: float = 0.0
    recent: dict[str, str] = field(default_factory=dict)  # message id -> created_time
    conversations: int = 0
    messages: int = 0
    without_details: int = 0
    files: int = 0
    calls: int = 0
    oldest: str | None = None
    pause_until: float = 0.0
    pause_reason: str = ""
    throttles: int = 0
    cool_downs: int = 0
    failures: int = 0
    stopped: str = ""
    stopped_fingerprint: str = ""
    restarts: int = 0

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, raw: Any) -> PageState:
        if not isinstance(raw, dict):
            return cls()
        try:
            data = dict(raw)
            current = data.pop("current", None)
            state = cls(**data)
            state.current = Pass(**current) if isinstance(current, dict) else None
            return state
        except TypeError:
            return cls()  # an older layout: start over; ingestion stores each message once


@dataclass
class TickReport:
    state: PageState
    landed: Path | None = None
    conversations: int = 0
    messages: int = 0
    calls: int = 0
    message: str = ""
    warning: str = ""  # something the tick log should show (a pause, a stop, an error)


Lander = Callable[[list[dict[str, Any]]], Path]


class _Batch:
    """The conversations and messages one tick pulled, by conversation."""

    def __init__(self, state: PageState) -> None:
        self.state = state
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages = 0

    def add(self, conv_id: str, updated: str | None, messages: list[Any], floor: datetime) -> bool:
        """Keep this page of messages; True when no later page is worth a call (it went below
        the floor, or past the messages the API gives details of)."""
        entry = self.conversations.setdefault(
            conv_id, {"id": conv_id, "updated_time": updated, "messages": {"data": []}}
        )
        below = False
        for msg in messages:
            if not isinstance(msg, dict):
                continue
            created = _parse(msg.get("created_time"))
            if created is None:
                entry["messages"]["data"].append(msg)  # ingestion counts it as skipped
                continue
            if created < floor:
                below = True
                continue
            msg_id = msg.get("id")
            if isinstance(msg_id, str) and msg_id in self.state.recent:
                continue
            if "from" not in msg:
                # Meta gives details only for a thread's 20 most recent messages: the older
                # ones are ids and times, so their pages are not worth another call.
                self.state.without_details += 1
                below = True
                continue
            entry["messages"]["data"].append(msg)
            self.messages += 1
            if isinstance(msg_id, str) and created >= self.remember_from():
                self.state.recent[msg_id] = graph_time(created)
            if self.state.oldest is None or graph_time(created) < self.state.oldest:
                self.state.oldest = graph_time(created)
        return below

    def remember_from(self) -> datetime:
        """Messages the next pass's overlap will list again (the backfill's last half hour)."""
        current = self.state.current
        times = [_parse(t) for t in (current.newest, current.started)] if current else []
        newest = min((t for t in times if t is not None), default=None)
        return (newest - OVERLAP) if newest else datetime.max.replace(tzinfo=UTC)

    def landable(self) -> list[dict[str, Any]]:
        return [c for c in self.conversations.values() if c["messages"]["data"]]


def first_url(client: GraphClient, page_id: str) -> str:
    nested = f"messages.limit({MESSAGES_PER_PAGE}){{{MESSAGE_FIELDS}}}"
    return client.url(
        f"{page_id}/conversations",
        {
            "platform": "messenger",
            "fields": f"id,updated_time,{nested}",
            "limit": str(CONVERSATIONS_PER_PAGE),
        },
    )


def sync_tick(
    state: PageState,
    client: GraphClient,
    page_id: str,
    land: Lander,
    *,
    start_date: date,
    interval_seconds: float,
    deadline: float,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> TickReport:
    """Do what fits before `deadline` (time.monotonic()) and land it; never raises for the API."""
    work = copy.deepcopy(state)
    if work.current is None:
        if work.watermark is None:
            floor = datetime.combine(start_date, datetime.min.time(), UTC)
            work.current = Pass(
                floor=graph_time(floor), backfill=True, started=graph_time(_now(now))
            )
        else:
            newest = _parse(work.watermark) or datetime.now(UTC)
            work.current = Pass(
                floor=graph_time(newest - OVERLAP),
                since=work.watermark,
                since_floor=work.last_floor or graph_time(newest - OVERLAP),
                started=graph_time(_now(now)),
            )
    batch = _Batch(work)
    calls_before = client.calls
    report = TickReport(state=work)

    def call(url: str) -> Reply:
        retrying = Retrying(
            retry=retry_if_exception_type(Transient),
            stop=stop_after_attempt(TRANSIENT_ATTEMPTS)
            | stop_before_delay(max(0.0, deadline - time.monotonic())),
            wait=wait_exponential(multiplier=1, max=4),
            sleep=sleep,
            reraise=True,
        )
        # A call started late in the tick gets only what is left of it (and a few seconds).
        timeout = min(TIMEOUT_SECONDS, max(3.0, deadline - time.monotonic() + 3.0))
        reply = retrying(client.get, url, timeout=timeout)
        _pace(reply, work, report, now, sleep, deadline)
        return reply

    try:
        _walk(work, batch, client, page_id, call, deadline)
        work.failures = 0
    except CursorExpired as exc:
        work.current.next_url = None
        work.current.listed = False
        work.restarts += 1
        report.warning = f"{exc.reason}; the pass starts again from the newest conversations"
    except Throttled as exc:
        wait = exc.regain_seconds or min(THROTTLE_BACKOFF * 2**work.throttles, MAX_BACKOFF)
        work.throttles += 1
        _pause(work, now() + wait, f"{exc.reason}; no call until access returns")
        report.warning = work.pause_reason
    except Transient as exc:
        work.failures += 1
        wait = min(30.0 * 2 ** (work.failures - 1), max(interval_seconds, 30.0))
        _pause(work, now() + wait, f"{exc.reason} (after {TRANSIENT_ATTEMPTS} tries)")
        report.warning = work.pause_reason
    except Permanent as exc:
        work.stopped = exc.reason
        report.warning = exc.reason

    conversations = batch.landable()
    if conversations:
        try:
            report.landed = land(conversations)
        except OSError as exc:
            # Nothing is kept of this tick: the same calls are made again once it can land.
            state = copy.deepcopy(state)
            _pause(state, now() + 60, f"could not land the pull in the inbox ({exc.strerror})")
            return TickReport(
                state=state, calls=client.calls - calls_before, warning=state.pause_reason
            )
        work.files += 1
    work.calls += client.calls - calls_before
    report.calls = client.calls - calls_before
    report.conversations = len(conversations)
    report.messages = batch.messages
    work.conversations += len(conversations)
    work.messages += batch.messages
    current = work.current
    if current is not None:
        current.messages += batch.messages
        current.conversations += len(conversations)
        if current.listed and not current.backlog and not work.stopped:
            _complete(work, now())
    return report


def _walk(
    work: PageState,
    batch: _Batch,
    client: GraphClient,
    page_id: str,
    call: Callable[[str], Reply],
    deadline: float,
) -> None:
    current = work.current
    assert current is not None
    floor = _parse(current.floor) or datetime.min.replace(tzinfo=UTC)
    while time.monotonic() < deadline and not work.pause_until:
        if current.backlog:
            conv_id, updated, url, conv_floor = current.backlog[0]
            try:
                body = call(url).body
            except (CursorExpired, Permanent) as exc:
                if isinstance(exc, Permanent) and exc.code != 100:
                    raise
                # The conversation is gone, or its paging link expired: its later pages
                # cannot be read; the rest of the pass goes on.
                current.backlog.pop(0)
                work.restarts += 1
                continue
            data = body.get("data") if isinstance(body.get("data"), list) else []
            below = batch.add(conv_id, updated, data, _parse(conv_floor) or floor)
            following = _next(body)
            if below or following is None:
                current.backlog.pop(0)
            else:
                current.backlog[0][2] = following
            continue
        if current.listed:
            return
        body = call(current.next_url or first_url(client, page_id)).body
        current.listing_calls += 1
        data = body.get("data") if isinstance(body.get("data"), list) else []
        reached_floor = False
        for conv in data:
            if not isinstance(conv, dict) or not isinstance(conv.get("id"), str):
                continue
            updated_at = _parse(conv.get("updated_time"))
            updated = conv.get("updated_time") if updated_at else None
            if updated_at is not None:
                if current.newest is None or graph_time(updated_at) > current.newest:
                    current.newest = graph_time(updated_at)
                if updated_at < floor:
                    reached_floor = True
                    continue
            conv_floor = floor
            if current.since and updated_at is not None and graph_time(updated_at) > current.since:
                conv_floor = _parse(current.since_floor) or floor
            nested = conv.get("messages") if isinstance(conv.get("messages"), dict) else {}
            messages = nested.get("data") if isinstance(nested.get("data"), list) else []
            below = batch.add(conv["id"], updated, messages, conv_floor)
            following = _next(nested)
            if following is not None and not below:
                current.backlog.append(
                    [conv["id"], str(updated), following, graph_time(conv_floor)]
                )
        following = _next(body)
        current.next_url = following
        current.listed = reached_floor or following is None


def _next(body: dict[str, Any]) -> str | None:
    """The reply's `paging.next` without its `access_token`: it is kept in the cursor."""
    paging = body.get("paging")
    url = paging.get("next") if isinstance(paging, dict) else None
    return strip_token(url) if isinstance(url, str) and url else None


def _pace(
    reply: Reply,
    work: PageState,
    report: TickReport,
    now: Callable[[], float],
    sleep: Callable[[float], None],
    deadline: float,
) -> None:
    """Slow down, then pause, as the usage headers approach the limit."""
    work.throttles = 0
    usage = reply.usage
    if usage.regain_seconds > 0 or usage.percent >= PAUSE_AT:
        wait = max(usage.regain_seconds, min(COOL_DOWN * 2**work.cool_downs, MAX_BACKOFF))
        work.cool_downs += 1
        _pause(
            work,
            now() + wait,
            f"the Graph API reports {usage.percent:.0f}% of a rate limit used; pausing "
            f"{wait / 60:.0f} min before it is reached",
        )
        report.warning = work.pause_reason
        return
    work.cool_downs = 0
    if usage.percent > SLOW_AT:
        share = (usage.percent - SLOW_AT) / (PAUSE_AT - SLOW_AT)
        sleep(min(MAX_SLOW_SLEEP * share, max(0.0, deadline - time.monotonic())))


def _pause(state: PageState, until: float, reason: str) -> None:
    state.pause_until = until
    state.pause_reason = reason


def _complete(work: PageState, now: float) -> None:
    current = work.current
    assert current is not None
    newest = min(filter(None, [current.newest, current.started]), default=None)
    work.watermark = newest or work.watermark
    # A pass that read more than one page may have missed a conversation that jumped to the
    # front meanwhile, even one the previous pass missed too: its floor carries back.
    work.last_floor = (
        min(current.floor, current.since_floor)
        if current.listing_calls > 1 and current.since_floor
        else current.floor
    )
    work.current = None
    work.last_complete = now
    floor = _parse(work.watermark)
    if floor is not None:
        keep = graph_time(floor - 2 * OVERLAP)
        work.recent = {k: v for k, v in work.recent.items() if v >= keep}
    if len(work.recent) > MAX_RECENT:
        newest = sorted(work.recent.items(), key=lambda kv: kv[1])[-MAX_RECENT:]
        work.recent = dict(newest)
