"""`score_cache`: a score for every distinct conversation content of a day range.

Only contents this scorer and version have not scored successfully are read back (as the
scorer's transcripts) and scored; results are saved batch by batch as they arrive, so a
killed run keeps what it paid for. Runs outside the DuckDB pool: scoring is the slow part.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..scoring.base import (
    Scorer,
    ScoreRecord,
    ScoringStats,
    Transcript,
    scorer_family,
    scorer_family_sql,
)
from ..scoring.resource import ScorerResource
from ..warehouse.checks import VALID_SCORES
from ..warehouse.io import one_row, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import SCORE_CACHE, UTC_TS
from .daily import daily_defaults, day_range

# Per-day figures of a run, from the stored scores (a content met on two days counts on the
# first). `wanted` holds this run's contents and whether they were already scored.
_PER_DAY = """
    WITH firsts AS (
        SELECT content_hash, min(day) AS day FROM conversation_facts
        WHERE day BETWEEN $first_day AND $last_day GROUP BY content_hash
    )
    SELECT f.day,
        count(*) FILTER (WHERE w.cached) AS cache_hits,
        count(*) FILTER (WHERE NOT w.cached AND s.status = 'scored') AS scored,
        count(*) FILTER (WHERE NOT w.cached AND s.status <> 'scored') AS failed,
        coalesce(sum(s.prompt_tokens) FILTER (WHERE NOT w.cached), 0) AS prompt_tokens,
        coalesce(sum(s.cached_tokens) FILTER (WHERE NOT w.cached), 0) AS cached_tokens,
        coalesce(sum(s.completion_tokens) FILTER (WHERE NOT w.cached), 0) AS completion_tokens,
        coalesce(sum(s.cost_usd) FILTER (WHERE NOT w.cached), 0) AS cost_usd
    FROM firsts f JOIN wanted w USING (content_hash)
    LEFT JOIN score_cache s ON s.content_hash = f.content_hash
        AND s.scorer = $scorer AND s.scorer_version = $version
    GROUP BY f.day ORDER BY f.day
"""

# One conversation per content to read the turns from; autoresponses are never sent.
_TRANSCRIPTS = """
    WITH one AS (
        SELECT content_hash, min(conversation_id) AS conversation_id
        FROM conversation_facts SEMI JOIN todo USING (content_hash)
        WHERE day BETWEEN $first_day AND $last_day GROUP BY content_hash
    )
    SELECT one.content_hash,
        list(m.sender_role ORDER BY m.sent_at, m.message_key) AS roles,
        list(coalesce(nullif(m.text, ''), '[attachment]') ORDER BY m.sent_at, m.message_key)
            AS texts
    FROM one JOIN messages m USING (conversation_id)
    WHERE NOT m.is_autoresponse
    GROUP BY one.content_hash
"""


# A killed run loses at most this much scoring.
SAVE_EVERY_SECONDS = 5.0
SAVE_ROWS = 50_000


class ScoringConfig(Config):
    force_rescore: bool = False


@dataclass
class ScoresWritten:
    conversations: int
    contents: int
    to_score: int
    stats: ScoringStats
    seconds: float
    per_day: dict[date, dict[str, Any]] = field(default_factory=dict)


def write_scores(
    conn_factory: Callable[[], Any],
    scorer: Scorer,
    first_day: date,
    last_day: date,
    force_rescore: bool = False,
    log: Callable[[str], None] = print,
) -> ScoresWritten:
    """Score what is missing. `conn_factory` opens a connection (a context manager): the
    database is opened only to read the work and to save each batch, never while waiting on
    a scorer, so other writers get their turn."""
    started = time.monotonic()
    days = {"first_day": first_day, "last_day": last_day}
    with conn_factory() as conn:
        ensure_schema(conn)
        # Scored by this scorer's family at any version counts: an upgrade keeps history.
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE wanted AS "
            "SELECT f.content_hash, bool_or(s.status = 'scored') IS TRUE AS cached "
            "FROM (SELECT DISTINCT content_hash FROM conversation_facts "
            "      WHERE day BETWEEN $first_day AND $last_day) f "
            "LEFT JOIN score_cache s ON s.content_hash = f.content_hash "
            f"  AND {scorer_family_sql('s.scorer')} = $family GROUP BY f.content_hash",
            {**days, "family": scorer_family(scorer.name)},
        )
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE todo AS SELECT content_hash FROM wanted "
            + ("" if force_rescore else "WHERE NOT cached")
        )
        if force_rescore:
            conn.execute("UPDATE wanted SET cached = false")
        conversations, contents = one_row(
            conn,
            "SELECT (SELECT count(*) FROM conversation_facts "
            "WHERE day BETWEEN $first_day AND $last_day), (SELECT count(*) FROM wanted)",
            days,
        )
        batch = conn.sql(_TRANSCRIPTS, params=days).to_arrow_table()
        wanted = conn.sql("SELECT * FROM wanted").to_arrow_table()
    transcripts = [
        Transcript(content_hash, tuple(zip(roles, texts, strict=True)))
        for content_hash, roles, texts in zip(
            batch.column("content_hash").to_pylist(),
            batch.column("roles").to_pylist(),
            batch.column("texts").to_pylist(),
            strict=True,
        )
    ]
    log(
        f"{conversations} conversations, {contents} distinct contents, "
        f"{contents - len(transcripts)} already scored, {len(transcripts)} to score"
    )

    pending: list[ScoreRecord] = []
    last_saved = time.monotonic()

    def save(records: list[ScoreRecord]) -> None:
        """Buffer results; write them every SAVE_EVERY_SECONDS (or SAVE_ROWS): opening the
        database for each small batch would cost more than scoring it."""
        nonlocal last_saved
        pending.extend(records)
        if len(pending) >= SAVE_ROWS or time.monotonic() - last_saved >= SAVE_EVERY_SECONDS:
            write(pending)
            pending.clear()
            last_saved = time.monotonic()

    def write(records: list[ScoreRecord]) -> None:
        table = _score_table(records, scorer, datetime.now(UTC))
        with conn_factory() as conn, transaction(conn):
            conn.register("incoming_scores", table)
            try:
                conn.execute(
                    "DELETE FROM score_cache USING incoming_scores i WHERE "
                    "score_cache.content_hash = i.content_hash AND score_cache.scorer = i.scorer "
                    "AND score_cache.scorer_version = i.scorer_version"
                )
                conn.execute("INSERT INTO score_cache BY NAME SELECT * FROM incoming_scores")
            finally:
                conn.unregister("incoming_scores")

    stats = scorer.score_all(transcripts, save, log)
    if pending:
        write(pending)
    with conn_factory() as conn:
        conn.register("wanted", wanted)
        try:
            cursor = conn.execute(
                _PER_DAY, {**days, "scorer": scorer.name, "version": scorer.version}
            )
            columns = [d[0] for d in cursor.description]
            per_day = {
                row[0]: dict(zip(columns[1:], row[1:], strict=True)) for row in cursor.fetchall()
            }
        finally:
            conn.unregister("wanted")
    return ScoresWritten(
        conversations=conversations,
        contents=contents,
        to_score=len(transcripts),
        stats=stats,
        seconds=time.monotonic() - started,
        per_day=per_day,
    )


_RECORD_FIELDS = [name for name in ScoreRecord.__dataclass_fields__ if name != "topics"]


def _score_table(records: list[ScoreRecord], scorer: Scorer, now: datetime) -> pa.Table:
    columns: dict[str, Any] = {name: [getattr(r, name) for r in records] for name in _RECORD_FIELDS}
    columns["topics"] = [list(r.topics) for r in records]
    columns["scorer"] = pa.repeat(pa.scalar(scorer.name), len(records))
    columns["scorer_version"] = pa.repeat(pa.scalar(scorer.version), len(records))
    columns["scored_at"] = pa.repeat(pa.scalar(now, UTC_TS), len(records))
    return pa.table(
        {name: columns[name] for name in SCORE_CACHE.names}, schema=SCORE_CACHE.arrow_schema()
    )


def build_score_cache_asset(daily: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="score_cache",
        deps=["conversation_facts"],
        kinds={"python", "openai"},
        check_specs=[VALID_SCORES.spec("score_cache")],
        metadata={
            "dagster/column_schema": SCORE_CACHE.column_schema(),
            "dagster/table_name": "score_cache",
        },
        description=(
            "Scores each conversation content of the day (sentiment, satisfaction 1-5, "
            "resolved, topics, language, summary) with the configured scorer, saved as they "
            "arrive; unchanged conversations are never scored twice. Runs outside the DuckDB "
            "pool because scoring is the slow part."
        ),
        **daily_defaults(daily),
    )
    def score_cache(
        context: AssetExecutionContext,
        config: ScoringConfig,
        duckdb: DuckDBResource,
        scorer: ScorerResource,
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        active = scorer.build()
        context.log.info(f"scoring with {active.name} (POWERPULSE_SCORER={scorer.mode})")
        written = write_scores(
            duckdb.get_connection,
            active,
            first_day,
            last_day,
            force_rescore=config.force_rescore,
            log=context.log.info,
        )
        for day, figures in written.per_day.items():
            context.add_asset_metadata(
                {
                    **{k: v for k, v in figures.items() if k != "cost_usd"},
                    "cost_usd": MetadataValue.float(round(float(figures["cost_usd"]), 6)),
                },
                partition_key=day.isoformat(),
            )
        with duckdb.get_connection() as conn:
            validity = VALID_SCORES.run(conn, first_day, last_day)
        stats = written.stats
        scored = sum(int(f["scored"]) for f in written.per_day.values())
        return MaterializeResult(
            metadata={
                # Dagster copies run-level entries onto every day of the run; the `run_`
                # prefix keeps them apart from the per-day figures above.
                "dagster/row_count": written.conversations,
                "scorer": active.name,
                "scorer_version": active.version,
                "run_conversations": written.conversations,
                "run_to_score": written.to_score,
                "run_cache_hits": written.contents - written.to_score,
                "run_scored": scored,
                "run_failed": written.to_score - scored,
                "run_requests": stats.requests,
                "run_retries": stats.retries,
                "run_prompt_tokens": stats.prompt_tokens,
                "run_cached_tokens": stats.cached_tokens,
                "run_completion_tokens": stats.completion_tokens,
                "run_cost_usd": MetadataValue.float(round(stats.cost_usd, 6)),
                "run_elapsed_seconds": round(written.seconds, 3),
                **{f"run_{k}": v for k, v in stats.extra.items()},
            },
            check_results=[validity],
        )

    return score_cache
