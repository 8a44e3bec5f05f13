"""Daily assets: messages -> conversation_scores -> conversations (metrics: assets/metrics.py).

All share the daily partitions and run a whole day range in one run. Every write is a
delete-then-insert of the range inside one transaction.
"""

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..conversations.sessionize import build_conversations
from ..partitions import DUCKDB_POOL
from ..scoring.base import FAILED, SCORED, ScoreRecord
from ..scoring.resource import ScorerResource
from ..settings import Settings
from ..warehouse.checks import CONVERSATIONS_CHECKS, MESSAGES_CHECKS, VALID_SCORES
from ..warehouse.columns import column_schema
from ..warehouse.days import DayConversation, load_day_conversations
from ..warehouse.io import UTC_TS, insert_rows, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.threads import load_threads, threads_with_customer_messages_between

OWNERS = ["team:support-analytics"]

MESSAGE_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("chat_id", pa.string()),
        ("message_id", pa.string()),
        ("message_key", pa.string()),
        ("sent_at", UTC_TS),
        ("sender_role", pa.string()),
        ("sender_name", pa.string()),
        ("agent_name", pa.string()),
        ("text", pa.string()),
        ("is_autoresponse", pa.bool_()),
        ("source_file", pa.string()),
        ("day", pa.date32()),
    ]
)

SCORE_SCHEMA = pa.schema(
    [
        ("content_hash", pa.string()),
        ("scorer", pa.string()),
        ("scorer_version", pa.string()),
        ("status", pa.string()),
        ("sentiment", pa.float64()),
        ("satisfaction", pa.int32()),
        ("resolved", pa.bool_()),
        ("topics", pa.list_(pa.string())),
        ("language", pa.string()),
        ("summary", pa.string()),
        ("error", pa.string()),
        ("prompt_tokens", pa.int32()),
        ("completion_tokens", pa.int32()),
        ("cached_tokens", pa.int32()),
        ("cost_usd", pa.float64()),
        ("scored_at", UTC_TS),
    ]
)

CONVERSATION_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("chat_id", pa.string()),
        ("day", pa.date32()),
        ("started_at", UTC_TS),
        ("ended_at", UTC_TS),
        ("customer_messages", pa.int32()),
        ("agent_messages", pa.int32()),
        ("autoresponses", pa.int32()),
        ("first_response_seconds", pa.float64()),
        ("avg_response_seconds", pa.float64()),
        ("response_waits", pa.int32()),
        ("response_seconds_total", pa.float64()),
        ("first_response_business_seconds", pa.float64()),
        ("avg_response_business_seconds", pa.float64()),
        ("response_business_seconds_total", pa.float64()),
        ("agent_name", pa.string()),
        ("sentiment", pa.float64()),
        ("satisfaction", pa.int32()),
        ("resolved", pa.bool_()),
        ("topics", pa.list_(pa.string())),
        ("language", pa.string()),
        ("summary", pa.string()),
        ("scorer", pa.string()),
        ("score_status", pa.string()),
        ("score_error", pa.string()),
        ("content_hash", pa.string()),
    ]
)


class ScoringConfig(Config):
    force_rescore: bool = False


@dataclass
class _DayScoring:
    """What scoring one day did and cost, for that partition's metadata."""

    scored: int = 0
    failed: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, record: ScoreRecord) -> None:
        if record.status == SCORED:
            self.scored += 1
        else:
            self.failed += 1
        self.prompt_tokens += record.prompt_tokens
        self.cached_tokens += record.cached_tokens
        self.completion_tokens += record.completion_tokens
        self.cost_usd += record.cost_usd

    def merge(self, other: "_DayScoring") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def metadata(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "failed": self.failed,
            "cache_hits": self.cache_hits,
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": MetadataValue.float(round(self.cost_usd, 6)),
        }


def day_range(context: AssetExecutionContext) -> tuple[date, date]:
    keys = context.partition_keys
    return date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])


def build_day_assets(
    settings: Settings, daily: DailyPartitionsDefinition
) -> list[AssetsDefinition]:
    common = dict(
        partitions_def=daily,
        backfill_policy=BackfillPolicy.single_run(),
        group_name="analytics",
        owners=OWNERS,
    )

    @asset(
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        deps=["chat_files"],
        check_specs=[check.spec("messages") for check in MESSAGES_CHECKS],
        metadata={"dagster/column_schema": column_schema("messages")},
        description=(
            "One row per distinct message, assigned to its conversation and to the "
            "conversation's day. Built from every stored message of the threads active "
            "that day, split at gaps over POWERPULSE_SESSION_GAP_HOURS; autoresponses "
            "flagged with POWERPULSE_AUTORESPONSE_PATTERNS."
        ),
        **common,
    )
    def messages(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        first_day, last_day = day_range(context)
        window = context.partition_time_window
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            chat_ids = threads_with_customer_messages_between(conn, window.start, window.end)
            rows = []
            conversations = 0
            for thread in load_threads(conn, chat_ids).values():
                for conv in build_conversations(
                    thread, settings.session_gap, settings.zone, settings.is_autoresponse_text
                ):
                    if not first_day <= conv.day <= last_day:
                        continue
                    conversations += 1
                    rows.extend(
                        {
                            "conversation_id": conv.conversation_id,
                            "chat_id": conv.chat_id,
                            "message_id": item.message.message_id,
                            "message_key": item.message.message_key,
                            "sent_at": item.message.sent_at,
                            "sender_role": item.message.sender_role,
                            "sender_name": item.message.sender_name,
                            "agent_name": item.message.agent_name,
                            "text": item.message.text,
                            "is_autoresponse": item.is_autoresponse,
                            "source_file": item.message.source_file,
                            "day": conv.day,
                        }
                        for item in conv.messages
                    )
            with transaction(conn):
                displaced = _drop_displaced(conn, rows, first_day, last_day)
                conn.execute(
                    "DELETE FROM messages WHERE day BETWEEN ? AND ?", [first_day, last_day]
                )
                written = insert_rows(conn, "messages", rows, MESSAGE_SCHEMA)
            checks = [check.run(conn, first_day, last_day) for check in MESSAGES_CHECKS]
        if displaced:
            context.log.info(
                f"{displaced} conversations on other days were merged into this range's"
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": written,
                "conversations": conversations,
                "threads_read": len(chat_ids),
                "days": len(context.partition_keys),
            },
            check_results=checks,
        )

    @asset(
        deps=[messages],
        kinds={"python", "openai"},
        check_specs=[VALID_SCORES.spec("conversation_scores")],
        description=(
            "Scores each conversation of the day (sentiment, satisfaction 1-5, resolved, "
            "topics, language, summary) with the configured scorer. Results go to the "
            "`score_cache` table as they arrive; unchanged conversations are never scored "
            "twice. Runs outside the DuckDB pool because scoring is the slow part."
        ),
        **common,
    )
    def conversation_scores(
        context: AssetExecutionContext,
        config: ScoringConfig,
        duckdb: DuckDBResource,
        scorer: ScorerResource,
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        active = scorer.build()
        context.log.info(f"scoring with {active.name} (POWERPULSE_SCORER={scorer.mode})")
        started = time.monotonic()
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            day_conversations = load_day_conversations(conn, first_day, last_day)
            transcripts = {c.transcript.content_hash: c.transcript for c in day_conversations}
            cached = _cached_hashes(conn, list(transcripts), active.name, active.version)
        todo = [t for h, t in transcripts.items() if config.force_rescore or h not in cached]
        context.log.info(
            f"{len(day_conversations)} conversations, {len(transcripts)} distinct contents, "
            f"{len(transcripts) - len(todo)} already scored, {len(todo)} to score"
        )
        day_of = {}
        for conv in day_conversations:  # identical contents on two days count on the first
            day_of.setdefault(conv.transcript.content_hash, conv.day.isoformat())
        per_day = {key: _DayScoring() for key in context.partition_keys}
        for content_hash in transcripts.keys() - {t.content_hash for t in todo}:
            per_day[day_of[content_hash]].cache_hits += 1

        def save(batch: list[ScoreRecord]) -> None:
            now = datetime.now(UTC)
            rows = [
                {
                    **{k: getattr(r, k) for k in ScoreRecord.__dataclass_fields__},
                    "topics": list(r.topics),
                    "scorer": active.name,
                    "scorer_version": active.version,
                    "scored_at": now,
                }
                for r in batch
            ]
            with duckdb.get_connection() as conn, transaction(conn):
                _upsert_scores(conn, rows)
            for record in batch:
                per_day[day_of[record.content_hash]].add(record)

        stats = active.score_all(todo, save, context.log.info)
        elapsed = time.monotonic() - started
        for key, day in per_day.items():
            context.add_asset_metadata(day.metadata(), partition_key=key)
        totals = _DayScoring()
        for day in per_day.values():
            totals.merge(day)
        with duckdb.get_connection() as conn:
            validity = VALID_SCORES.run(conn, first_day, last_day)
        return MaterializeResult(
            metadata={
                # Dagster copies run-level entries onto every day of the run; the `run_`
                # prefix keeps them apart from the per-day figures above.
                "dagster/row_count": len(day_conversations),
                "scorer": active.name,
                "scorer_version": active.version,
                "run_conversations": len(day_conversations),
                "run_to_score": len(todo),
                "run_cache_hits": len(transcripts) - len(todo),
                "run_scored": totals.scored,
                "run_failed": totals.failed,
                "run_requests": stats.requests,
                "run_retries": stats.retries,
                "run_prompt_tokens": stats.prompt_tokens,
                "run_cached_tokens": stats.cached_tokens,
                "run_completion_tokens": stats.completion_tokens,
                "run_cost_usd": MetadataValue.float(round(stats.cost_usd, 6)),
                "run_elapsed_seconds": round(elapsed, 3),
                **{f"run_{k}": v for k, v in stats.extra.items()},
            },
            check_results=[validity],
        )

    @asset(
        deps=[conversation_scores],
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        check_specs=[check.spec("conversations") for check in CONVERSATIONS_CHECKS],
        metadata={"dagster/column_schema": column_schema("conversations")},
        description=(
            "One row per conversation: timing and response-time facts from `messages`, "
            "joined to the current scorer's result. A conversation whose scoring failed is "
            "kept with score_status = 'failed' and retried on the next materialization."
        ),
        **common,
    )
    def conversations(
        context: AssetExecutionContext, duckdb: DuckDBResource, scorer: ScorerResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        active = scorer.build()
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            day_conversations = load_day_conversations(
                conn, first_day, last_day, settings.business_hours
            )
            scores = _load_scores(
                conn,
                [c.transcript.content_hash for c in day_conversations],
                active.name,
                active.version,
            )
            rows = [
                _conversation_row(c, scores.get(c.transcript.content_hash), active.name)
                for c in day_conversations
            ]
            with transaction(conn):
                conn.execute(
                    "DELETE FROM conversations WHERE day BETWEEN ? AND ?", [first_day, last_day]
                )
                written = insert_rows(conn, "conversations", rows, CONVERSATION_SCHEMA)
            checks = [check.run(conn, first_day, last_day) for check in CONVERSATIONS_CHECKS]
        failed = sum(1 for r in rows if r["score_status"] != SCORED)
        if failed:
            context.log.warning(f"{failed} conversations have no score (score_status=failed)")
        return MaterializeResult(
            metadata={
                "dagster/row_count": written,
                "scored": written - failed,
                "failed": failed,
                "scorer": active.name,
            },
            check_results=checks,
        )

    return [messages, conversation_scores, conversations]


def _drop_displaced(
    conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], first_day: date, last_day: date
) -> int:
    """Remove stored conversations on other days whose messages now belong to this range.

    New messages can merge two conversations or move a conversation's day; the stale copy
    must not stay behind until its own day is rebuilt.
    """
    if not rows:
        return 0
    keys = pa.table(
        {
            "chat_id": pa.array([r["chat_id"] for r in rows], pa.string()),
            "message_key": pa.array([r["message_key"] for r in rows], pa.string()),
        }
    )
    conn.register("range_keys", keys)
    try:
        stale = conn.execute(
            "SELECT DISTINCT m.conversation_id FROM messages m "
            "JOIN range_keys k USING (chat_id, message_key) "
            "WHERE m.day NOT BETWEEN ? AND ?",
            [first_day, last_day],
        ).fetchall()
    finally:
        conn.unregister("range_keys")
    ids = [row[0] for row in stale]
    if ids:
        conn.execute("DELETE FROM messages WHERE list_contains(?, conversation_id)", [ids])
        conn.execute("DELETE FROM conversations WHERE list_contains(?, conversation_id)", [ids])
    return len(ids)


def _hash_table(hashes: list[str]) -> pa.Table:
    return pa.table({"content_hash": pa.array(hashes, pa.string())})


def _cached_hashes(
    conn: duckdb.DuckDBPyConnection, hashes: list[str], scorer: str, version: str
) -> set[str]:
    """Contents already scored successfully by this scorer and version (failed ones retry)."""
    conn.register("wanted_hashes", _hash_table(hashes))
    try:
        rows = conn.execute(
            "SELECT content_hash FROM score_cache JOIN wanted_hashes USING (content_hash) "
            "WHERE scorer = ? AND scorer_version = ? AND status = ?",
            [scorer, version, SCORED],
        ).fetchall()
    finally:
        conn.unregister("wanted_hashes")
    return {row[0] for row in rows}


def _upsert_scores(conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    incoming = pa.Table.from_pylist(rows, schema=SCORE_SCHEMA)
    conn.register("incoming_scores", incoming)
    try:
        conn.execute(
            "DELETE FROM score_cache USING incoming_scores i WHERE "
            "score_cache.content_hash = i.content_hash AND score_cache.scorer = i.scorer "
            "AND score_cache.scorer_version = i.scorer_version"
        )
        conn.execute("INSERT INTO score_cache BY NAME SELECT * FROM incoming_scores")
    finally:
        conn.unregister("incoming_scores")


def _load_scores(
    conn: duckdb.DuckDBPyConnection, hashes: list[str], scorer: str, version: str
) -> dict[str, dict[str, Any]]:
    conn.register("wanted_hashes", _hash_table(hashes))
    try:
        cursor = conn.execute(
            "SELECT s.* FROM score_cache s JOIN wanted_hashes USING (content_hash) "
            "WHERE s.scorer = ? AND s.scorer_version = ?",
            [scorer, version],
        )
        columns = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
    finally:
        conn.unregister("wanted_hashes")


def _conversation_row(
    conv: DayConversation, score: dict[str, Any] | None, scorer: str
) -> dict[str, Any]:
    scored = score is not None and score["status"] == SCORED
    if score is None:
        error = "not scored yet: conversation_scores has not run for this content"
    else:
        error = None if scored else score["error"]
    facts = conv.facts
    return {
        "conversation_id": conv.conversation_id,
        "chat_id": conv.chat_id,
        "day": conv.day,
        "started_at": conv.started_at,
        "ended_at": conv.ended_at,
        "customer_messages": facts.customer_messages,
        "agent_messages": facts.agent_messages,
        "autoresponses": facts.autoresponses,
        "first_response_seconds": facts.first_response_seconds,
        "avg_response_seconds": facts.avg_response_seconds,
        "response_waits": facts.response_waits,
        "response_seconds_total": facts.response_seconds_total,
        "first_response_business_seconds": facts.first_response_business_seconds,
        "avg_response_business_seconds": facts.avg_response_business_seconds,
        "response_business_seconds_total": facts.response_business_seconds_total,
        "agent_name": conv.agent_name,
        "sentiment": score["sentiment"] if scored else None,
        "satisfaction": score["satisfaction"] if scored else None,
        "resolved": score["resolved"] if scored else None,
        "topics": score["topics"] if scored else None,
        "language": score["language"] if scored else None,
        "summary": score["summary"] if scored else None,
        "scorer": scorer,
        "score_status": SCORED if scored else FAILED,
        "score_error": error,
        "content_hash": conv.transcript.content_hash,
    }
