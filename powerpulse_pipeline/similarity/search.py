"""Free-text search over the analysts' copy: "customers who paid but still see the bill as
due" -> the conversations whose customers wrote most like it (DESIGN.md section 11).

The text is embedded in the reader's process by the model the warehouse was embedded with,
then ranked by the same SQL as `similar_conversations`. `register()` adds the same as a
table macro, `search_conversations(text, k)`, to a connection of the reader's own.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..scoring.resource import ScorerResource
from ..settings import Settings
from .embedders import Embedder

MAX_QUERY_CHARS = 2_000

_SEARCH = """
    WITH nearest AS (
        SELECT conversation_id,
            list_cosine_similarity(embedding, $query::FLOAT[])::DOUBLE AS similarity
        FROM conversation_embeddings WHERE model = $model
        ORDER BY similarity DESC, conversation_id LIMIT $k
    )
    SELECT n.conversation_id, n.similarity, c.day, c.summary
    FROM nearest n JOIN conversations c USING (conversation_id)
    ORDER BY n.similarity DESC, n.conversation_id
"""


class SearchUnavailable(RuntimeError):
    """Similarity is off, or the model cannot run here."""


# One embedder per configuration and process: the explorer searches many times.
_EMBEDDERS: dict[str, Embedder] = {}


def embedder_for(settings: Settings) -> Embedder:
    resource = ScorerResource.from_settings(settings)
    key = resource.model_dump_json()
    if key not in _EMBEDDERS:
        try:
            embedder = resource.build_embedder()
        except Exception as exc:
            raise SearchUnavailable(f"the embedding model cannot run here: {exc}") from exc
        if embedder is None:
            raise SearchUnavailable("POWERPULSE_EMBEDDING_MODEL=off: there is nothing to search")
        _EMBEDDERS[key] = embedder
    return _EMBEDDERS[key]


def search_conversations(
    conn: duckdb.DuckDBPyConnection, text: str, k: int, settings: Settings
) -> list[dict[str, Any]]:
    """The k conversations most like `text`, most similar first (ties by id)."""
    text = " ".join(text.split())[:MAX_QUERY_CHARS]
    if not text:
        return []
    embedder = embedder_for(settings)
    vector = embedder.embed_query(text)
    cursor = conn.execute(
        _SEARCH, {"query": vector.tolist(), "model": embedder.name, "k": max(0, int(k))}
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def register(conn: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """`SELECT * FROM search_conversations('router light blinking', 10)` on this connection."""
    embedder = embedder_for(settings)

    def embed(text: str) -> list[float]:
        return embedder.embed_query(" ".join(text.split())[:MAX_QUERY_CHARS]).tolist()

    conn.create_function("powerpulse_embed", embed, ["VARCHAR"], "FLOAT[]")
    model = embedder.name.replace("'", "''")
    conn.execute(
        f"""CREATE OR REPLACE TEMP MACRO search_conversations(query_text, k) AS TABLE
        WITH q AS (SELECT powerpulse_embed(query_text) AS v), nearest AS (
            SELECT e.conversation_id,
                list_cosine_similarity(e.embedding, q.v)::DOUBLE AS similarity
            FROM conversation_embeddings e, q WHERE e.model = '{model}'
            ORDER BY similarity DESC, e.conversation_id LIMIT k
        )
        SELECT n.conversation_id, n.similarity, c.day, c.summary
        FROM nearest n JOIN conversations c USING (conversation_id)
        ORDER BY n.similarity DESC, n.conversation_id"""
    )
