"""`conversation_embeddings`: a vector of every conversation's customer side, for similar
conversations, free-text search and recurring issues (DESIGN.md section 11).

Texts are embedded once per content and model (`embedding_cache`, keyed like the scores), so
re-runs and backfills embed nothing twice; a changed conversation has a new text and is
embedded again. Runs outside the DuckDB pool, like scoring: the database is opened only to
read the work and to save each batch, never while the model runs.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..scoring.resource import ScorerResource
from ..similarity.embedders import Embedder, EmbeddingStats
from ..similarity.texts import CUSTOMER_TEXTS
from ..warehouse.io import one_row, save_rows, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import CONVERSATION_EMBEDDINGS, EMBEDDING_CACHE, UTC_TS
from .daily import daily_defaults, day_range


@dataclass
class EmbeddingsWritten:
    conversations: int
    with_text: int
    to_embed: int
    embedded: int
    stats: EmbeddingStats
    seconds: float


def vectors_to_arrow(vectors: np.ndarray) -> pa.ListArray:
    flat = pa.array(np.ascontiguousarray(vectors, np.float32).ravel())
    offsets = pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, flat)


def write_embeddings(
    conn_factory: Callable[[], Any],
    embedder: Embedder,
    first_day: date,
    last_day: date,
    log: Callable[[str], None] = print,
) -> EmbeddingsWritten:
    started = time.monotonic()
    params = {"first_day": first_day, "last_day": last_day}
    with conn_factory() as conn:
        ensure_schema(conn)
        conn.execute(f"CREATE OR REPLACE TEMP TABLE customer_texts AS {CUSTOMER_TEXTS}", params)
        conversations, with_text = one_row(
            conn,
            "SELECT (SELECT count(*) FROM conversation_facts "
            "WHERE day BETWEEN $first_day AND $last_day), (SELECT count(*) FROM customer_texts)",
            params,
        )
        todo = conn.sql(
            "SELECT text_hash, any_value(text) AS text FROM customer_texts t "
            "WHERE NOT EXISTS (SELECT 1 FROM embedding_cache e "
            "  WHERE e.text_hash = t.text_hash AND e.model = $model) "
            "GROUP BY text_hash ORDER BY text_hash",
            params={"model": embedder.name},
        ).to_arrow_table()
    keys = todo.column("text_hash").to_pylist()
    texts = todo.column("text").to_pylist()
    log(
        f"{conversations:,} conversations, {with_text:,} with customer text, "
        f"{len(keys):,} texts to embed with {embedder.name}"
    )
    embedded = 0

    def save(batch_keys: list[str], vectors: np.ndarray, tokens: list[int]) -> None:
        nonlocal embedded
        table = pa.table(
            {
                "text_hash": batch_keys,
                "model": pa.repeat(pa.scalar(embedder.name), len(batch_keys)),
                "embedding": vectors_to_arrow(vectors),
                "tokens": pa.array(tokens, pa.int32()),
                "cost_usd": pa.array([t * embedder.price_per_million / 1e6 for t in tokens]),
                "created_at": pa.repeat(pa.scalar(datetime.now(UTC), UTC_TS), len(batch_keys)),
            },
            schema=EMBEDDING_CACHE.arrow_schema(),
        )
        save_rows(conn_factory, "embedding_cache", table)
        embedded += len(batch_keys)

    stats = embedder.embed_all(keys, texts, save, log)
    with conn_factory() as conn, transaction(conn):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE customer_texts AS {CUSTOMER_TEXTS}", params)
        # The range's rows, and any row of a conversation now in the range (it moved days).
        conn.execute(
            "DELETE FROM conversation_embeddings WHERE day BETWEEN $first_day AND $last_day "
            "OR conversation_id IN (SELECT conversation_id FROM customer_texts)",
            params,
        )
        conn.execute(
            "INSERT INTO conversation_embeddings BY NAME "
            "SELECT t.conversation_id, t.day, e.model, t.text_hash, e.embedding "
            "FROM customer_texts t JOIN embedding_cache e "
            "ON e.text_hash = t.text_hash AND e.model = $model",
            {"model": embedder.name},
        )
    return EmbeddingsWritten(
        conversations, with_text, len(keys), embedded, stats, time.monotonic() - started
    )


def build_conversation_embeddings_asset(daily: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="conversation_embeddings",
        deps=["conversations"],
        kinds={"python", "duckdb"},
        metadata={
            "dagster/column_schema": CONVERSATION_EMBEDDINGS.column_schema(),
            "dagster/table_name": "conversation_embeddings",
        },
        description=(
            "A unit vector of each conversation's customer messages: the built-in offline "
            "model (all-MiniLM-L6-v2), or the /embeddings endpoint with a key "
            "(POWERPULSE_EMBEDDING_MODEL). Each text is embedded once per model "
            "(embedding_cache). Runs outside the DuckDB pool: embedding is the slow part."
        ),
        **daily_defaults(daily),
    )
    def conversation_embeddings(
        context: AssetExecutionContext, duckdb: DuckDBResource, scorer: ScorerResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        try:
            embedder = scorer.build_embedder()
        except Exception as exc:  # a missing model stops similarity only, never the metrics
            context.log.warning(f"no embeddings for these days: {exc}")
            return MaterializeResult(metadata={"embedder": "unavailable", "reason": str(exc)})
        if embedder is None:
            context.log.info("POWERPULSE_EMBEDDING_MODEL=off: no embeddings")
            return MaterializeResult(metadata={"embedder": "off"})
        context.log.info(f"embedding with {embedder.name}")
        written = write_embeddings(
            duckdb.get_connection, embedder, first_day, last_day, log=context.log.info
        )
        stats = written.stats
        for error in stats.errors[:3]:
            context.log.warning(f"a batch was not embedded (the next run tries again): {error}")
        return MaterializeResult(
            metadata={
                "dagster/row_count": written.with_text,
                "embedder": embedder.name,
                "run_conversations": written.conversations,
                "run_with_customer_text": written.with_text,
                "run_to_embed": written.to_embed,
                "run_embedded": written.embedded,
                "run_cache_hits": written.with_text - written.to_embed,
                "run_failed": stats.failed,
                "run_requests": stats.requests,
                "run_retries": stats.retries,
                "run_tokens": stats.tokens,
                "run_cost_usd": MetadataValue.float(round(stats.cost_usd, 6)),
                "run_elapsed_seconds": round(written.seconds, 3),
            }
        )

    return conversation_embeddings
