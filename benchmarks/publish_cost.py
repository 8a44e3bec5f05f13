"""What publishing the analysts' copy costs, and how it grows with the history stored.

    .venv/bin/python benchmarks/publish_cost.py [--messages 1000000] [--steps 4]

Fills a work DB with synthetic `messages` (about 60 characters of text each), one
`conversations` row per 4.4 messages and the metric tables, then times, at each size:
- publish: the whole copy the pipeline makes after each daily run (warehouse/publish.py);
- bound: the same tables copied into a plain attached DuckDB file in DuckDB's own default
  format, no sync, no macros, measured in the same run: the least a full copy can cost;
- one day as Parquet: writing one changed day of messages + conversations to Parquet files,
  the cost per changed day of the alternative layout (day-partitioned Parquet behind views).
Prints seconds, file sizes and the ratio publish / bound.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.warehouse.publish import PUBLISHED_TABLES, publish  # noqa: E402
from powerpulse_pipeline.warehouse.schema import ensure_schema  # noqa: E402

DAYS = 365
MESSAGES_PER_CONVERSATION = 4.4


def fill(conn: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    """Messages first..last-1 and their conversations, spread over DAYS days."""
    conn.execute(
        f"""
        INSERT INTO messages
        SELECT
            'c' || (i // {MESSAGES_PER_CONVERSATION})::BIGINT AS conversation_id,
            'chat-' || (i // 20)::BIGINT AS chat_id,
            'm' || i AS message_id,
            'id:m' || i AS message_key,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 31) AS sent_at,
            CASE WHEN i % 2 = 0 THEN 'customer' ELSE 'agent' END AS sender_role,
            'Customer ' || (i // 20)::BIGINT AS sender_name,
            CASE WHEN i % 2 = 1 THEN 'Agent ' || (i % 7) END AS agent_name,
            md5(i::VARCHAR) || ' my order ' || (i % 997) || ' has not arrived yet ' AS text,
            false AS is_autoresponse,
            'export.json' AS source_file,
            DATE '2024-01-01' + ((i * 31) // 86400)::INTEGER % {DAYS} AS day
        FROM range({first}, {last}) t(i)
        """
    )
    conn.execute(
        f"""
        INSERT INTO conversations BY NAME
        SELECT conversation_id, any_value(chat_id) AS chat_id, min(day) AS day,
            min(sent_at) AS started_at, max(sent_at) AS ended_at,
            count(*) FILTER (WHERE sender_role = 'customer') AS customer_messages,
            count(*) FILTER (WHERE sender_role = 'agent') AS agent_messages,
            0 AS autoresponses, 31.0 AS first_response_seconds, 31.0 AS avg_response_seconds,
            1 AS response_waits, 31.0 AS response_seconds_total,
            any_value(agent_name) AS agent_name, 0.2 AS sentiment, 4 AS satisfaction,
            true AS resolved, ['delivery'] AS topics, 'en' AS language,
            'The customer asked about a late order.' AS summary, 'offline:2' AS scorer,
            'scored' AS score_status, md5(conversation_id) AS content_hash
        FROM messages WHERE message_id IN (SELECT 'm' || i FROM range({first}, {last}) t(i))
        GROUP BY conversation_id
        """
    )
    conn.execute("DELETE FROM daily_metrics")
    conn.execute(
        "INSERT INTO daily_metrics (day, conversations, scored_conversations, "
        "failed_conversations, customer_messages, agent_messages, autoresponses_filtered, "
        "unanswered_conversations) SELECT day, count(*), count(*), 0, sum(customer_messages), "
        "sum(agent_messages), 0, 0 FROM conversations GROUP BY day"
    )
    conn.execute("CHECKPOINT")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "work.duckdb"
        target = Path(folder) / "warehouse" / "powerpulse.duckdb"
        conn = duckdb.connect(str(work))
        ensure_schema(conn)
        print(
            f"{'messages':>10} {'conversations':>13} {'publish s':>9} {'bound s':>8} "
            f"{'ratio':>6} {'copy MB':>8} {'1 day parquet s':>15}"
        )
        done = 0
        for step in range(1, args.steps + 1):
            upto = args.messages * step // args.steps
            fill(conn, done, upto)
            done = upto

            def bound() -> None:
                plain = Path(folder) / "plain.duckdb"
                plain.unlink(missing_ok=True)
                conn.execute(f"ATTACH '{plain}' AS plain")
                for table in PUBLISHED_TABLES:
                    conn.execute(f"CREATE TABLE plain.{table} AS FROM {table}")
                conn.execute("DETACH plain")

            def one_day() -> None:
                for table in ("messages", "conversations"):
                    conn.execute(
                        f"COPY (FROM {table} WHERE day = DATE '2024-06-01') "
                        f"TO '{folder}/{table}_day.parquet' (FORMAT parquet)"
                    )

            bound_s = min(timed(bound) for _ in range(2))
            publish_s = min(timed(lambda: publish(conn, target)) for _ in range(2))
            day_s = min(timed(one_day) for _ in range(2))
            conversations = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
            print(
                f"{done:>10,} {conversations:>13,} {publish_s:>9.2f} {bound_s:>8.2f} "
                f"{publish_s / bound_s:>6.2f} {target.stat().st_size / 1e6:>8.1f} {day_s:>15.3f}"
            )
        conn.close()


if __name__ == "__main__":
    main()
