"""Reading whole threads back from `raw_messages` for sessionization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import duckdb
import pyarrow as pa

from ..conversations.sessionize import StoredMessage

_COLUMNS = (
    "chat_id, message_key, message_id, sent_at, sender_role, sender_name, agent_name, "
    "text, marked_bot, source_file"
)


def load_threads(
    conn: duckdb.DuckDBPyConnection, chat_ids: Iterable[str]
) -> dict[str, list[StoredMessage]]:
    wanted = pa.table({"chat_id": pa.array(sorted(set(chat_ids)), pa.string())})
    if wanted.num_rows == 0:
        return {}
    conn.register("wanted_threads", wanted)
    try:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM raw_messages JOIN wanted_threads USING (chat_id) "
            "ORDER BY chat_id, sent_at, message_key"
        ).fetchall()
    finally:
        conn.unregister("wanted_threads")
    threads: dict[str, list[StoredMessage]] = defaultdict(list)
    for row in rows:
        threads[row[0]].append(StoredMessage(*row))
    return threads


def threads_with_customer_messages_between(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[str]:
    """Threads that may hold a conversation whose day lies in [start, end)."""
    rows = conn.execute(
        "SELECT DISTINCT chat_id FROM raw_messages "
        "WHERE sender_role = 'customer' AND sent_at >= ? AND sent_at < ?",
        [start, end],
    ).fetchall()
    return [row[0] for row in rows]
