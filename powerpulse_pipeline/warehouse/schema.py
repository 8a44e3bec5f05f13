"""Creating the tables of warehouse/tables.py, and the shared aggregates, analysts' macros
and views (DESIGN.md section 4). Idempotent: run on every connection."""

from __future__ import annotations

import hashlib

import duckdb

from ..semantics.dimensions import AGENT_ROWS
from ..semantics.metrics import AGENT_METRIC_NAMES, TOPIC_METRIC_NAMES, aggregates
from .tables import ALL_TABLES

# The aggregates come from the semantic layer (semantics/metrics.py): the daily table, the
# range macro, the period views, the dashboard and every answer share them, so a range is
# always computed from conversations and every figure has one definition.
METRIC_AGGREGATES = aggregates()

# Per topic: scored conversations only (topics come from the scorer). A conversation with
# several topics counts once for each.
TOPIC_AGGREGATES = aggregates(TOPIC_METRIC_NAMES)

TOPIC_SOURCE = """
    FROM conversations, unnest(topics) AS t(topic)
    WHERE score_status = 'scored'
"""

# Per agent: the first human agent who answered owns the conversation; excluded agents
# (managers, test accounts) are left out.
AGENT_AGGREGATES = aggregates(AGENT_METRIC_NAMES)

RANGE_FILTER = "day BETWEEN CAST(start_day AS DATE) AND CAST(end_day AS DATE)"

TOPIC_RANGE_MACRO = f"""
CREATE OR REPLACE MACRO topic_metrics_between(start_day, end_day) AS TABLE
    SELECT topic, {TOPIC_AGGREGATES} {TOPIC_SOURCE} AND {RANGE_FILTER}
    GROUP BY topic ORDER BY dissatisfied_conversations DESC, conversations DESC
"""

AGENT_RANGE_MACRO = f"""
CREATE OR REPLACE MACRO agent_metrics_between(start_day, end_day) AS TABLE
    SELECT agent_name, {AGENT_AGGREGATES} FROM conversations
    WHERE {AGENT_ROWS} AND {RANGE_FILTER}
    GROUP BY agent_name ORDER BY conversations DESC
"""

# Coaching of the weeks and months that overlap a range, newest first (agent_coaching holds
# no excluded agent).
COACHING_RANGE_MACRO = """
CREATE OR REPLACE MACRO coaching_between(start_day, end_day) AS TABLE
    SELECT * FROM agent_coaching
    WHERE period_end >= CAST(start_day AS DATE) AND period_start <= CAST(end_day AS DATE)
    ORDER BY period_start DESC, period, agent_name
"""

# Drill-down: from any figure to the conversations behind it, and to their messages.
DRILLDOWN_MACROS = (
    f"""CREATE OR REPLACE MACRO conversations_between(start_day, end_day) AS TABLE
        SELECT * FROM conversations WHERE {RANGE_FILTER} ORDER BY day, started_at""",
    f"""CREATE OR REPLACE MACRO topic_conversations(start_day, end_day, topic_name) AS TABLE
        SELECT * FROM conversations
        WHERE {RANGE_FILTER} AND list_contains(topics, topic_name) ORDER BY day, started_at""",
    f"""CREATE OR REPLACE MACRO agent_conversations(start_day, end_day, agent) AS TABLE
        SELECT * FROM conversations
        WHERE {RANGE_FILTER} AND agent_name = agent ORDER BY day, started_at""",
    """CREATE OR REPLACE MACRO conversation_messages(conversation) AS TABLE
        SELECT sent_at, sender_role, agent_name, is_autoresponse, text, source_file
        FROM messages WHERE conversation_id = conversation ORDER BY sent_at, message_key""",
)

# The k conversations whose customers wrote most like this one's, most similar first (ties by
# id). The copy holds one model's vectors (warehouse/publish.py); the target as a scalar
# subquery, not a join, and no filter on the similarity before the top k (an alias in WHERE
# computes it twice): 150 against 220 ms over 250,000 conversations.
SIMILAR_MACRO = """
CREATE OR REPLACE MACRO similar_conversations(conversation, k) AS TABLE
    WITH nearest AS (
        SELECT conversation_id, list_cosine_similarity(embedding, (
            SELECT embedding FROM conversation_embeddings WHERE conversation_id = conversation
        ))::DOUBLE AS similarity
        FROM conversation_embeddings
        WHERE conversation_id <> conversation
        ORDER BY similarity DESC, conversation_id LIMIT k
    )
    SELECT n.conversation_id, n.similarity, c.day, c.summary
    FROM nearest n JOIN conversations c USING (conversation_id)
    WHERE n.similarity IS NOT NULL  -- NULL for all when the target has no vector
    ORDER BY n.similarity DESC, n.conversation_id
"""

RANGE_MACRO = f"""
CREATE OR REPLACE MACRO metrics_between(start_day, end_day) AS TABLE
    SELECT {METRIC_AGGREGATES}
    FROM conversations
    WHERE day BETWEEN CAST(start_day AS DATE) AND CAST(end_day AS DATE)
"""

WEEKLY_VIEW = f"""
CREATE OR REPLACE VIEW weekly_metrics AS
    SELECT date_trunc('week', day)::DATE AS week_start, {METRIC_AGGREGATES}
    FROM conversations GROUP BY ALL ORDER BY week_start
"""

MONTHLY_VIEW = f"""
CREATE OR REPLACE VIEW monthly_metrics AS
    SELECT date_trunc('month', day)::DATE AS month_start, {METRIC_AGGREGATES}
    FROM conversations GROUP BY ALL ORDER BY month_start
"""

# What analysts call on the published copy (warehouse/publish.py) as well.
ANALYST_MACROS_AND_VIEWS = (
    RANGE_MACRO,
    WEEKLY_VIEW,
    MONTHLY_VIEW,
    TOPIC_RANGE_MACRO,
    AGENT_RANGE_MACRO,
    COACHING_RANGE_MACRO,
    SIMILAR_MACRO,
    *DRILLDOWN_MACROS,
)


def schema_fingerprint() -> str:
    """Changes when a release changes any table, macro or view the analysts' copy holds."""
    layout = "\n".join([*(t.ddl() for t in ALL_TABLES), *ANALYST_MACROS_AND_VIEWS])
    return hashlib.sha256(layout.encode()).hexdigest()[:16]


# Filling a column added to a warehouse created before it, once, when it is added.
_BACKFILLS = {
    ("conversations", "score_cost_usd"): """
        UPDATE conversations c SET score_cost_usd = coalesce(s.cost_usd, 0)
        FROM (SELECT content_hash, scorer, arg_max(cost_usd, scored_at) AS cost_usd
              FROM score_cache GROUP BY ALL) s
        WHERE s.content_hash = c.content_hash AND s.scorer = c.scorer
    """,
}


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing. A column added to a spec after a warehouse was created is
    added in place (NULL until its day is rebuilt), so upgrading never needs a rebuild."""
    existing: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table in ALL_TABLES:
        if table.name not in existing:
            conn.execute(table.ddl())
            continue
        for column in table.columns:
            if column.name not in existing[table.name]:
                conn.execute(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type}")
                backfill = _BACKFILLS.get((table.name, column.name))
                if backfill and "score_cache" in existing:
                    conn.execute(backfill)
    for statement in ANALYST_MACROS_AND_VIEWS:
        conn.execute(statement)
