"""A day range's conversations as stored in `messages`, for scoring and for `conversations`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

import duckdb

from ..conversations.business_hours import BusinessHours
from ..conversations.sessionize import ResponseFacts, response_facts
from ..ingest.records import AGENT
from ..scoring.base import Transcript, make_transcript


@dataclass(frozen=True)
class DayConversation:
    conversation_id: str
    chat_id: str
    day: date
    started_at: datetime
    ended_at: datetime
    facts: ResponseFacts
    agent_name: str | None  # the first human agent who answered
    transcript: Transcript


def load_day_conversations(
    conn: duckdb.DuckDBPyConnection,
    first_day: date,
    last_day: date,
    business_hours: BusinessHours | None = None,
) -> list[DayConversation]:
    rows = conn.execute(
        "SELECT conversation_id, chat_id, day, sent_at, sender_role, is_autoresponse, text, "
        "agent_name FROM messages WHERE day BETWEEN ? AND ? "
        "ORDER BY conversation_id, sent_at, message_key",
        [first_day, last_day],
    ).fetchall()
    result: list[DayConversation] = []
    for conversation_id, group in groupby(rows, key=lambda row: row[0]):
        items = list(group)
        agent_name = next(
            (row[7] for row in items if row[4] == AGENT and not row[5] and row[7]), None
        )
        result.append(
            DayConversation(
                conversation_id=conversation_id,
                chat_id=items[0][1],
                day=items[0][2],
                started_at=items[0][3],
                ended_at=items[-1][3],
                facts=response_facts([(row[3], row[4], row[5]) for row in items], business_hours),
                agent_name=agent_name,
                transcript=make_transcript([(row[4], row[6]) for row in items if not row[5]]),
            )
        )
    return result
