"""The row-by-row Python implementation the SQL data flow replaced (issue 9), kept as the
reference that property tests compare the SQL with. Not used by the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from powerpulse_pipeline.business_hours import BusinessHours
from powerpulse_pipeline.ingest.records import AGENT, CUSTOMER


@dataclass(frozen=True)
class StoredMessage:
    """A distinct message of a thread as kept in `raw_messages`."""

    chat_id: str
    message_key: str
    message_id: str | None
    sent_at: datetime
    sender_role: str
    sender_name: str | None
    agent_name: str | None
    text: str | None
    marked_bot: bool
    source_file: str | None


@dataclass(frozen=True)
class ConversationMessage:
    message: StoredMessage
    is_autoresponse: bool


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    chat_id: str
    day: date
    messages: tuple[ConversationMessage, ...]

    @property
    def started_at(self) -> datetime:
        return self.messages[0].message.sent_at

    @property
    def ended_at(self) -> datetime:
        return self.messages[-1].message.sent_at


def conversation_id(chat_id: str, started_at: datetime) -> str:
    stamp = started_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return f"{chat_id}:{stamp}"


def split_thread(
    messages: Iterable[StoredMessage], gap: timedelta, business_hours: BusinessHours | None = None
) -> list[list[StoredMessage]]:
    """Order by time, drop repeats of the same message, split where the silence exceeds `gap`
    (counted in opening hours when there is a schedule)."""
    seen: set[str] = set()
    ordered: list[StoredMessage] = []
    for msg in sorted(messages, key=lambda m: (m.sent_at, m.message_key)):
        if msg.message_key in seen:
            continue
        seen.add(msg.message_key)
        ordered.append(msg)
    segments: list[list[StoredMessage]] = []
    for msg in ordered:
        previous = segments[-1][-1].sent_at if segments else None
        if previous is not None and (
            msg.sent_at - previous <= gap
            or (
                business_hours is not None
                and seconds_between(business_hours, previous, msg.sent_at) <= gap.total_seconds()
            )
        ):
            segments[-1].append(msg)
        else:
            segments.append([msg])
    return segments


def build_conversations(
    messages: Iterable[StoredMessage],
    gap: timedelta,
    zone: ZoneInfo,
    is_autoresponse_text: Callable[[str | None], bool],
    business_hours: BusinessHours | None = None,
) -> list[Conversation]:
    """All conversations of one thread. A segment without a customer message is dropped."""
    conversations: list[Conversation] = []
    for segment in split_thread(messages, gap, business_hours):
        first_customer = next((m for m in segment if m.sender_role == CUSTOMER), None)
        if first_customer is None:
            continue
        flagged = tuple(
            ConversationMessage(
                m,
                m.sender_role == AGENT and (m.marked_bot or is_autoresponse_text(m.text)),
            )
            for m in segment
        )
        conversations.append(
            Conversation(
                conversation_id=conversation_id(segment[0].chat_id, segment[0].sent_at),
                chat_id=segment[0].chat_id,
                day=first_customer.sent_at.astimezone(zone).date(),
                messages=flagged,
            )
        )
    return conversations


@dataclass(frozen=True)
class ResponseFacts:
    customer_messages: int
    agent_messages: int  # human business replies; autoresponses excluded
    autoresponses: int
    first_response_seconds: float | None
    avg_response_seconds: float | None
    response_waits: int  # closed waits
    response_seconds_total: float
    # The same waits counted in opening hours only; None without a schedule.
    first_response_business_seconds: float | None = None
    avg_response_business_seconds: float | None = None
    response_business_seconds_total: float | None = None


def response_facts(
    timeline: Sequence[tuple[datetime, str, bool]],
    business_hours: BusinessHours | None = None,
) -> ResponseFacts:
    """Facts from (sent_at, sender_role, is_autoresponse) in time order.

    A customer message opens a wait when none is open; the next human business message
    closes it. The first closed wait is the first response.
    """
    customer = agent = auto = 0
    first_response: float | None = None
    waits: list[tuple[datetime, datetime]] = []
    open_since: datetime | None = None
    for sent_at, role, is_auto in timeline:
        if role == CUSTOMER:
            customer += 1
            if open_since is None:
                open_since = sent_at
        elif is_auto:
            auto += 1
        else:
            agent += 1
            if open_since is not None:
                waits.append((open_since, sent_at))
                open_since = None
    seconds = [(closed - opened).total_seconds() for opened, closed in waits]
    if seconds:
        first_response = seconds[0]
    business: list[float] | None = None
    if business_hours is not None:
        business = [seconds_between(business_hours, opened, closed) for opened, closed in waits]
    return ResponseFacts(
        customer_messages=customer,
        agent_messages=agent,
        autoresponses=auto,
        first_response_seconds=first_response,
        avg_response_seconds=fmean(seconds) if seconds else None,
        response_waits=len(seconds),
        response_seconds_total=sum(seconds),
        first_response_business_seconds=business[0] if business else None,
        avg_response_business_seconds=fmean(business) if business else None,
        response_business_seconds_total=sum(business) if business is not None else None,
    )


def seconds_between(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Open time between two instants; elapsed real time, so DST days count as they are."""
    if end <= start:
        return 0.0
    total = 0.0
    for opened, closed in hours.spans_between(start, end):
        overlap = min(closed, end) - max(opened, start)
        total += max(0.0, overlap.total_seconds())
    return total
