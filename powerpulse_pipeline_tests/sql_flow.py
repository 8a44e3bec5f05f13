"""Small threads through the pipeline's own SQL stages on an in-memory DuckDB: the functions
the assets call, without Dagster, so every definition is checked by hand on the real code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from powerpulse_pipeline.assets.conversation_facts import (
    add_business_seconds,
    write_conversation_facts,
)
from powerpulse_pipeline.assets.conversations import write_conversations
from powerpulse_pipeline.assets.messages import write_messages
from powerpulse_pipeline.assets.metrics import DAILY_SELECT, replace_range
from powerpulse_pipeline.business_hours import BusinessHours
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import RAW_MESSAGES

from .reference.sessionize import StoredMessage


@dataclass(frozen=True)
class Conv:
    conversation_id: str
    day: date
    texts: list[str | None]
    flags: list[bool]  # is_autoresponse per message, in order
    facts: Any  # the conversation_facts row, columns as attributes


class _Row:
    def __init__(self, columns: list[str], values: tuple[Any, ...]) -> None:
        self.__dict__.update(zip(columns, values, strict=True))


def settings_for(
    gap: timedelta = timedelta(hours=24),
    timezone: str = "UTC",
    business_hours: str = "",
    repeat_contact_days: str = "",
) -> Settings:
    env = {
        "POWERPULSE_DATA_DIR": "/nonexistent",
        "POWERPULSE_SESSION_GAP_HOURS": str(gap / timedelta(hours=1)),
        "POWERPULSE_TIMEZONE": timezone,
        "POWERPULSE_START_DATE": "2000-01-01",
    }
    if business_hours:
        env["POWERPULSE_BUSINESS_HOURS"] = business_hours
    if repeat_contact_days:
        env["POWERPULSE_REPEAT_CONTACT_DAYS"] = repeat_contact_days
    return Settings.from_env(env)


def conversations(messages: list[StoredMessage], settings: Settings) -> list[Conv]:
    """All conversations of the messages' threads, in order of start."""
    with duckdb.connect() as conn:
        ensure_schema(conn)
        store_raw(conn, messages)
        first = min(m.sent_at for m in messages).date() - timedelta(days=2)
        last = max(m.sent_at for m in messages).date() + timedelta(days=2)
        write_messages(conn, settings, first, last)
        write_conversation_facts(conn, settings, first, last)
        cursor = conn.execute("SELECT * FROM conversation_facts ORDER BY started_at, chat_id")
        names = [d[0] for d in cursor.description]
        facts = [_Row(names, row) for row in cursor.fetchall()]
        result = []
        for fact in facts:
            rows = conn.execute(
                "SELECT text, is_autoresponse FROM messages WHERE conversation_id = ? "
                "ORDER BY sent_at, message_key",
                [fact.conversation_id],
            ).fetchall()
            result.append(
                Conv(
                    fact.conversation_id, fact.day, [r[0] for r in rows], [r[1] for r in rows], fact
                )
            )
        return result


def store_raw(conn: duckdb.DuckDBPyConnection, messages: list[StoredMessage]) -> None:
    columns = {name: [getattr(m, name, None) for m in messages] for name in RAW_MESSAGES.names}
    conn.register("incoming", pa.table(columns, schema=RAW_MESSAGES.arrow_schema()))
    conn.execute(
        "INSERT INTO raw_messages SELECT DISTINCT ON (chat_id, message_key) * FROM incoming "
        "ANTI JOIN raw_messages USING (chat_id, message_key)"
    )
    conn.unregister("incoming")


def build_days(
    conn: duckdb.DuckDBPyConnection, settings: Settings, first: date, last: date
) -> list[dict[str, Any]]:
    """messages -> conversation_facts -> conversations -> daily_metrics for the range, as the
    daily job runs them (no scorer: every conversation is left unscored); the daily rows."""
    write_messages(conn, settings, first, last)
    write_conversation_facts(conn, settings, first, last)
    write_conversations(conn, "none", "0", first, last, settings.repeat_contact_window)
    return replace_range(conn, "daily_metrics", DAILY_SELECT, first, last)


def facts_of(timeline: list[tuple[datetime, str, bool]], settings: Settings | None = None) -> Any:
    """The facts of one conversation given as (sent_at, role, is_autoresponse)."""
    messages = [
        StoredMessage("T", f"k{i}", None, at, role, None, None, f"m{i}", auto, None)
        for i, (at, role, auto) in enumerate(timeline)
    ]
    (conv,) = conversations(messages, settings or settings_for())
    return conv.facts


def seconds_between(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """One wait's business seconds, as conversation_facts computes them."""
    with duckdb.connect() as conn:
        conn.execute(
            "CREATE TEMP TABLE waits AS SELECT 'c' AS conversation_id, 0 AS wait_index, "
            "?::TIMESTAMPTZ AS opened_at, ?::TIMESTAMPTZ AS closed_at, "
            "NULL::DOUBLE AS business_seconds",
            [start, end],
        )
        add_business_seconds(conn, hours)
        return conn.execute("SELECT business_seconds FROM waits").fetchall()[0][0]


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[dict[str, Any]],
    schema: pa.Schema,
) -> int:
    """Insert dict rows by column name (tests that start from hand-written table rows)."""
    if not rows:
        return 0
    incoming = pa.Table.from_pylist(list(rows), schema=schema)
    conn.register("incoming", incoming)
    try:
        result = conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming").fetchone()
    finally:
        conn.unregister("incoming")
    return int(result[0]) if result else 0
