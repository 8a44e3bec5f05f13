"""Threads into conversations (DESIGN.md section 5) as one window query over `raw_messages`.

Used by ingestion (which days do new messages change?) and by the `messages` stage (the
conversations of a day range). A thread is always split whole: a conversation's boundaries
depend on its neighbours, not on the day asked for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..settings import Settings

# `<chat_id>:<UTC start as ISO 8601>`, as Python's isoformat() writes it: microseconds only
# when there are some, and Z for UTC.
CONVERSATION_ID = """
    chat_id || ':' || strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S')
    || CASE WHEN epoch_us(started_at) % 1000000 = 0 THEN ''
        ELSE '.' || lpad((epoch_us(started_at) % 1000000)::VARCHAR, 6, '0') END
    || 'Z'
"""


def gap_microseconds(gap: timedelta) -> int:
    return gap // timedelta(microseconds=1)


def sessionized(threads: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    """SQL for every stored message of the threads named in relation `threads` (a chat_id
    column), with its conversation_id, the conversation's day and its autoresponse flag.
    Messages of a stretch with no customer message belong to no conversation and are left
    out. Returns (sql, named parameters)."""
    sql = f"""
    WITH thread AS (
        SELECT r.*, epoch_us(r.sent_at) AS us,
            lag(epoch_us(r.sent_at)) OVER (
                PARTITION BY r.chat_id ORDER BY r.sent_at, r.message_key) AS previous_us
        FROM raw_messages r SEMI JOIN {threads} t ON r.chat_id = t.chat_id
    ),
    split AS (
        SELECT * EXCLUDE (us, previous_us),
            sum(CASE WHEN us - previous_us <= $gap_us THEN 0 ELSE 1 END) OVER (
                PARTITION BY chat_id ORDER BY sent_at, message_key
                ROWS UNBOUNDED PRECEDING) AS segment
        FROM thread
    ),
    segments AS (
        SELECT chat_id, segment, min(sent_at) AS started_at,
            min(sent_at) FILTER (WHERE sender_role = 'customer') AS first_customer_at
        FROM split GROUP BY chat_id, segment
        HAVING first_customer_at IS NOT NULL
    )
    SELECT
        {CONVERSATION_ID} AS conversation_id,
        m.* EXCLUDE (segment),
        (s.first_customer_at AT TIME ZONE $zone)::DATE AS day,
        m.sender_role = 'agent' AND (m.marked_bot OR coalesce(
            len(list_filter($patterns, lambda p: contains(lower(m.text), p))) > 0, false))
            AS is_autoresponse
    FROM split m JOIN segments s USING (chat_id, segment)
    """
    return sql, {
        "gap_us": gap_microseconds(settings.session_gap),
        "zone": settings.timezone,
        "patterns": [p.lower() for p in settings.autoresponse_patterns if p],
    }
