"""Threads into conversations (DESIGN.md section 5) as one window query over `raw_messages`.

Used by ingestion (which days do new messages change?) and by the `messages` stage (the
conversations of a day range). A thread is always split whole: a conversation's boundaries
depend on its neighbours, not on the day asked for.

With POWERPULSE_BUSINESS_HOURS set, a silence splits a thread only when its business time
exceeds the gap: a question left on Friday evening stays in the conversation that answers it
on Monday. Only silences longer than the gap in calendar time can qualify, so only those are
range-joined against the schedule's opening spans.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ..settings import Settings
from .io import one_row
from .tables import UTC_TS

# `<chat_id>:<UTC start as ISO 8601>`, as Python's isoformat() writes it: microseconds only
# when there are some, and Z for UTC.
CONVERSATION_ID = """
    chat_id || ':' || strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S')
    || CASE WHEN epoch_us(started_at) % 1000000 = 0 THEN ''
        ELSE '.' || lpad((epoch_us(started_at) % 1000000)::VARCHAR, 6, '0') END
    || 'Z'
"""

SPANS = "session_spans"

# settings.agent_key in SQL: case and runs of spaces do not matter.
AGENT_KEY = "lower(trim(regexp_replace({}, '\\s+', ' ', 'g')))"


def gap_microseconds(gap: timedelta) -> int:
    return gap // timedelta(microseconds=1)


def _business_gaps() -> str:
    """Open microseconds inside each silence that is longer than the gap in calendar time."""
    return f"""
    business_gaps AS (
        SELECT t.chat_id, t.message_key, sum(
            epoch_us(least(s.closed_at, t.sent_at)) - epoch_us(greatest(s.opened_at, t.previous_at))
        ) AS open_us
        FROM thread t JOIN {SPANS} s ON s.opened_at < t.sent_at AND s.closed_at > t.previous_at
        WHERE t.us - t.previous_us > $gap_us
        GROUP BY ALL
    ),"""


def sessionized(
    conn: duckdb.DuckDBPyConnection, threads: str, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """SQL for every stored message of the threads named in relation `threads` (a chat_id
    column), with its conversation_id, the conversation's day and its autoresponse flag.
    Messages of a stretch with no customer message belong to no conversation and are left
    out. With a schedule, creates the temp table of opening spans the SQL reads. Returns
    (sql, named parameters)."""
    business = settings.business_hours is not None
    if business:
        _create_spans(conn, threads, settings)
    continues = (
        "previous_us IS NOT NULL "
        "AND (us - previous_us <= $gap_us OR coalesce(g.open_us, 0) <= $gap_us)"
        if business
        else "us - previous_us <= $gap_us"
    )
    sql = f"""
    WITH thread AS (
        SELECT r.*, epoch_us(r.sent_at) AS us,
            lag(r.sent_at) OVER (
                PARTITION BY r.chat_id ORDER BY r.sent_at, r.message_key) AS previous_at,
            epoch_us(lag(r.sent_at) OVER (
                PARTITION BY r.chat_id ORDER BY r.sent_at, r.message_key)) AS previous_us
        FROM raw_messages r SEMI JOIN {threads} t ON r.chat_id = t.chat_id
    ),
    {_business_gaps() if business else ""}
    split AS (
        SELECT t.* EXCLUDE (us, previous_at, previous_us),
            sum(CASE WHEN {continues} THEN 0 ELSE 1 END) OVER (
                PARTITION BY chat_id ORDER BY sent_at, message_key
                ROWS UNBOUNDED PRECEDING) AS segment
        FROM thread t {"LEFT JOIN business_gaps g USING (chat_id, message_key)" if business else ""}
    ),
    segments AS (
        SELECT chat_id, segment, min(sent_at) AS started_at,
            min(sent_at) FILTER (WHERE sender_role = 'customer') AS first_customer_at
        FROM split GROUP BY chat_id, segment
        HAVING first_customer_at IS NOT NULL
    )
    SELECT
        {CONVERSATION_ID} AS conversation_id,
        m.* EXCLUDE (segment, agent_name),
        -- POWERPULSE_AGENT_ALIASES: one person, one name, before anything is stored
        coalesce($alias_names[list_position($alias_keys, {AGENT_KEY.format("m.agent_name")})],
            m.agent_name) AS agent_name,
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
        "alias_keys": [alias for alias, _ in settings.agent_aliases],
        "alias_names": [name for _, name in settings.agent_aliases],
    }


def _create_spans(conn: duckdb.DuckDBPyConnection, threads: str, settings: Settings) -> None:
    """The schedule's opening spans over the threads' whole time range (a few per day)."""
    assert settings.business_hours is not None
    first, last = one_row(
        conn,
        f"SELECT min(sent_at), max(sent_at) FROM raw_messages r "
        f"SEMI JOIN {threads} t ON r.chat_id = t.chat_id",
    )
    spans = settings.business_hours.spans_between(first, last) if first is not None else []
    table = pa.table(
        {
            "opened_at": pa.array([s for s, _ in spans], UTC_TS),
            "closed_at": pa.array([e for _, e in spans], UTC_TS),
        }
    )
    conn.register("spans_arrow", table)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {SPANS} AS SELECT * FROM spans_arrow")
    finally:
        conn.unregister("spans_arrow")
