"""`messages`: every stored message of a day range, assigned to its conversation and day.

The threads with a customer message in the range are split whole (warehouse/sessions.py),
in one window query; the range is then replaced by delete-then-insert in one transaction.
"""

from dataclasses import dataclass
from datetime import date

import duckdb
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..partitions import DUCKDB_POOL
from ..settings import Settings
from ..warehouse.checks import MESSAGES_CHECKS
from ..warehouse.io import one_row, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.sessions import sessionized
from ..warehouse.tables import MESSAGES
from .daily import daily_defaults, day_range, local_window


@dataclass(frozen=True)
class MessagesWritten:
    messages: int
    conversations: int
    threads: int
    displaced: int  # conversations stored on other days that this range's messages absorbed


def write_messages(
    conn: duckdb.DuckDBPyConnection, settings: Settings, first_day: date, last_day: date
) -> MessagesWritten:
    start, end = local_window(settings, first_day, last_day)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE range_threads AS SELECT DISTINCT chat_id FROM raw_messages "
        "WHERE sender_role = 'customer' AND sent_at >= ? AND sent_at < ?",
        [start, end],
    )
    sql, params = sessionized(conn, "range_threads", settings)
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE range_messages AS SELECT {', '.join(MESSAGES.names)} "
        f"FROM ({sql}) WHERE day BETWEEN $first_day AND $last_day",
        {**params, "first_day": first_day, "last_day": last_day},
    )
    with transaction(conn):
        # New messages can merge two conversations or move a conversation's day: the stale
        # copy on another day must not stay behind until that day is rebuilt.
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE displaced AS SELECT DISTINCT m.conversation_id "
            "FROM messages m SEMI JOIN range_messages r USING (chat_id, message_key) "
            "WHERE m.day NOT BETWEEN ? AND ?",
            [first_day, last_day],
        )
        for table in ("messages", "conversation_facts", "conversations"):
            conn.execute(
                f"DELETE FROM {table} WHERE conversation_id IN "
                "(SELECT conversation_id FROM displaced)"
            )
        conn.execute("DELETE FROM messages WHERE day BETWEEN ? AND ?", [first_day, last_day])
        conn.execute("INSERT INTO messages BY NAME SELECT * FROM range_messages")
    messages, conversations, displaced, threads = one_row(
        conn,
        "SELECT (SELECT count(*) FROM range_messages), "
        "(SELECT count(DISTINCT conversation_id) FROM range_messages), "
        "(SELECT count(*) FROM displaced), (SELECT count(*) FROM range_threads)",
    )
    for temp in ("range_threads", "range_messages", "displaced"):
        conn.execute(f"DROP TABLE {temp}")
    return MessagesWritten(messages, conversations, threads, displaced)


def build_messages_asset(settings: Settings, daily: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="messages",
        # A day is built from every file's messages: all of raw_messages' file partitions. The
        # default same-partition mapping cannot map files to days (`dagster definitions
        # validate` refuses it).
        deps=[AssetDep("raw_messages", partition_mapping=AllPartitionMapping())],
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        check_specs=[check.spec("messages") for check in MESSAGES_CHECKS],
        metadata={
            "dagster/column_schema": MESSAGES.column_schema(),
            "dagster/table_name": "messages",
        },
        description=(
            "One row per distinct message, assigned to its conversation and to the "
            "conversation's day. Built from every stored message of the threads active "
            "that day, split at gaps over POWERPULSE_SESSION_GAP_HOURS; autoresponses "
            "flagged with POWERPULSE_AUTORESPONSE_PATTERNS."
        ),
        **daily_defaults(daily),
    )
    def messages(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        first_day, last_day = day_range(context)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            written = write_messages(conn, settings, first_day, last_day)
            checks = [check.run(conn, first_day, last_day) for check in MESSAGES_CHECKS]
        if written.displaced:
            context.log.info(
                f"{written.displaced} conversations on other days were merged into this range's"
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": written.messages,
                "conversations": written.conversations,
                "threads_read": written.threads,
                "days": len(context.partition_keys),
            },
            check_results=checks,
        )

    return messages
