"""`conversation_facts`: what a conversation's messages say, computed once per change.

Counts, response waits (DESIGN.md section 5), the first human agent and the content hash the
score cache is keyed by, all in SQL over `messages`. Business-hours seconds are the overlap of
each wait with the schedule's opening spans, a range join against a small table of spans.
"""

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..business_hours import BusinessHours
from ..partitions import DUCKDB_POOL
from ..settings import Settings
from ..warehouse.io import one_row, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import CONVERSATION_FACTS, UTC_TS
from .daily import daily_defaults, day_range

# JSON string of a turn's text exactly as Python's json.dumps(ensure_ascii=False) writes it,
# so hashes stay those of the scores already cached. DuckDB writes control characters as
# \u001F where Python writes \u001f: the rare text holding one is escaped character by
# character.
_TURN_TEXT = "coalesce(nullif(text, ''), '[attachment]')"
_JSON_TEXT = f"""CASE
    WHEN regexp_matches({_TURN_TEXT}, '[\\x0b\\x0e\\x0f\\x1a-\\x1f]') THEN
        '"' || array_to_string(list_transform(string_split({_TURN_TEXT}, ''), lambda c:
            CASE WHEN ord(c) < 32 THEN lower(to_json(c)[2:-2]) ELSE to_json(c)[2:-2] END
        ), '') || '"'
    ELSE to_json({_TURN_TEXT}) END"""

# sha256 of json.dumps([[role, text], ...]): the human turns in order, autoresponses left out.
CONTENT_HASH = f"""sha256('[' || string_agg(
        '["' || sender_role || '", ' || {_JSON_TEXT} || ']', ', '
        ORDER BY sent_at, message_key) FILTER (WHERE NOT is_autoresponse) || ']')"""

_ORDERED = """
    SELECT conversation_id, chat_id, day, sent_at, message_key, sender_role, is_autoresponse,
        agent_name, text,
        sender_role = 'agent' AND NOT is_autoresponse AS human,
        -- how many human replies came before: a wait opened after the k-th reply is closed
        -- by the reply that has k replies before it
        coalesce(sum((sender_role = 'agent' AND NOT is_autoresponse)::INTEGER) OVER (
            PARTITION BY conversation_id ORDER BY sent_at, message_key
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS replies_before
    FROM messages WHERE day BETWEEN $first_day AND $last_day
"""

_WAITS = """
    WITH opened AS (
        SELECT conversation_id, replies_before, min(sent_at) AS opened_at
        FROM ordered WHERE sender_role = 'customer' GROUP BY ALL
    )
    SELECT o.conversation_id, o.replies_before AS wait_index, o.opened_at,
        r.sent_at AS closed_at,
        (epoch_us(r.sent_at) - epoch_us(o.opened_at)) / 1e6 AS seconds,
        NULL::DOUBLE AS business_seconds
    FROM opened o JOIN ordered r
        ON r.human AND r.conversation_id = o.conversation_id
        AND r.replies_before = o.replies_before
"""

# Every wait starts at 0 business seconds; those overlapping an opening span get the overlap.
_BUSINESS_SECONDS = (
    "UPDATE waits SET business_seconds = 0",
    """
    UPDATE waits SET business_seconds = b.seconds FROM (
        SELECT w.conversation_id, w.wait_index, sum(
            epoch_us(least(s.closed_at, w.closed_at))
            - epoch_us(greatest(s.opened_at, w.opened_at))) / 1e6 AS seconds
        FROM waits w JOIN open_spans s
            ON s.opened_at < w.closed_at AND s.closed_at > w.opened_at
        GROUP BY ALL
    ) b
    WHERE waits.conversation_id = b.conversation_id AND waits.wait_index = b.wait_index
    """,
)

_FACTS = f"""
    WITH per_conversation AS (
        SELECT conversation_id, any_value(chat_id) AS chat_id, any_value(day) AS day,
            min(sent_at) AS started_at, max(sent_at) AS ended_at,
            count(*) FILTER (WHERE sender_role = 'customer')::INTEGER AS customer_messages,
            count(*) FILTER (WHERE human)::INTEGER AS agent_messages,
            count(*) FILTER (WHERE sender_role = 'agent' AND is_autoresponse)::INTEGER
                AS autoresponses,
            first(agent_name ORDER BY sent_at, message_key)
                FILTER (WHERE human AND agent_name <> '') AS agent_name,
            {CONTENT_HASH} AS content_hash
        FROM ordered GROUP BY conversation_id
    ),
    per_wait AS (
        SELECT conversation_id, count(*)::INTEGER AS response_waits,
            arg_min(seconds, wait_index) AS first_response_seconds,
            avg(seconds) AS avg_response_seconds, sum(seconds) AS response_seconds_total,
            arg_min(business_seconds, wait_index) AS first_response_business_seconds,
            avg(business_seconds) AS avg_response_business_seconds,
            sum(business_seconds) AS response_business_seconds_total
        FROM waits GROUP BY conversation_id
    )
    SELECT c.*, coalesce(w.response_waits, 0) AS response_waits,
        w.first_response_seconds, w.avg_response_seconds,
        coalesce(w.response_seconds_total, 0) AS response_seconds_total,
        w.first_response_business_seconds, w.avg_response_business_seconds,
        -- with a schedule, a conversation without closed waits waited 0 business seconds
        CASE WHEN $business THEN coalesce(w.response_business_seconds_total, 0) END
            AS response_business_seconds_total
    FROM per_conversation c LEFT JOIN per_wait w USING (conversation_id)
"""


def add_business_seconds(conn: duckdb.DuckDBPyConnection, schedule: BusinessHours) -> None:
    """Fill waits.business_seconds: the overlap of each wait with the opening spans of the
    days it covers (a range join; spans are generated for the waits' dates only)."""
    bounds = one_row(conn, "SELECT min(opened_at), max(closed_at) FROM waits")
    if bounds[0] is None:
        return
    spans = schedule.spans_between(bounds[0], bounds[1])
    conn.register(
        "open_spans",
        pa.table(
            {
                "opened_at": pa.array([s for s, _ in spans], UTC_TS),
                "closed_at": pa.array([e for _, e in spans], UTC_TS),
            }
        ),
    )
    try:
        for statement in _BUSINESS_SECONDS:
            conn.execute(statement)
    finally:
        conn.unregister("open_spans")


@dataclass(frozen=True)
class FactsWritten:
    conversations: int
    waits: int


def write_conversation_facts(
    conn: duckdb.DuckDBPyConnection, settings: Settings, first_day: date, last_day: date
) -> FactsWritten:
    days = {"first_day": first_day, "last_day": last_day}
    conn.execute(f"CREATE OR REPLACE TEMP TABLE ordered AS {_ORDERED}", days)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE waits AS {_WAITS}")
    schedule = settings.business_hours
    if schedule is not None:
        add_business_seconds(conn, schedule)
    with transaction(conn):
        conn.execute(
            "DELETE FROM conversation_facts WHERE day BETWEEN ? AND ?", [first_day, last_day]
        )
        conn.execute(
            f"INSERT INTO conversation_facts BY NAME {_FACTS}", {"business": schedule is not None}
        )
    conversations, waits = one_row(
        conn,
        "SELECT (SELECT count(DISTINCT conversation_id) FROM ordered), "
        "(SELECT count(*) FROM waits)",
    )
    conn.execute("DROP TABLE ordered")
    conn.execute("DROP TABLE waits")
    return FactsWritten(conversations, waits)


def build_conversation_facts_asset(
    settings: Settings, daily: DailyPartitionsDefinition
) -> AssetsDefinition:
    @asset(
        name="conversation_facts",
        deps=["messages"],
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        metadata={
            "dagster/column_schema": CONVERSATION_FACTS.column_schema(),
            "dagster/table_name": "conversation_facts",
        },
        description=(
            "Per conversation of the day, from its messages: counts, response waits in "
            "calendar and business hours, the first human agent, and the hash of its human "
            "turns (the score cache key). Kept in the pipeline's own database."
        ),
        **daily_defaults(daily),
    )
    def conversation_facts(
        context: AssetExecutionContext, duckdb: DuckDBResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            written = write_conversation_facts(conn, settings, first_day, last_day)
        return MaterializeResult(
            metadata={"dagster/row_count": written.conversations, "response_waits": written.waits}
        )

    return conversation_facts
