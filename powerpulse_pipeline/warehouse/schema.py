"""DuckDB tables and macros (DESIGN.md section 4). Created idempotently on every connection."""

from __future__ import annotations

import duckdb

RAW_MESSAGES = """
CREATE TABLE IF NOT EXISTS raw_messages (
    chat_id VARCHAR NOT NULL,
    message_key VARCHAR NOT NULL,
    message_id VARCHAR,
    sent_at TIMESTAMPTZ NOT NULL,
    sender_role VARCHAR NOT NULL,
    sender_name VARCHAR,
    agent_name VARCHAR,
    text VARCHAR,
    marked_bot BOOLEAN NOT NULL,
    source_file VARCHAR,
    file_key VARCHAR,
    ingested_at TIMESTAMPTZ,
    PRIMARY KEY (chat_id, message_key)
)"""

INGESTED_FILES = """
CREATE TABLE IF NOT EXISTS ingested_files (
    file_key VARCHAR PRIMARY KEY,
    content_sha256 VARCHAR NOT NULL,
    source_path VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    format VARCHAR,
    error VARCHAR,
    threads INTEGER,
    messages_in_file INTEGER,
    new_messages INTEGER,
    skipped_messages INTEGER,
    skipped_detail VARCHAR[],
    days_touched DATE[],
    ingested_at TIMESTAMPTZ NOT NULL
)"""

MESSAGES = """
CREATE TABLE IF NOT EXISTS messages (
    conversation_id VARCHAR NOT NULL,
    chat_id VARCHAR NOT NULL,
    message_id VARCHAR,
    message_key VARCHAR NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    sender_role VARCHAR NOT NULL,
    sender_name VARCHAR,
    agent_name VARCHAR,
    text VARCHAR,
    is_autoresponse BOOLEAN NOT NULL,
    source_file VARCHAR,
    day DATE NOT NULL
)"""

SCORE_CACHE = """
CREATE TABLE IF NOT EXISTS score_cache (
    content_hash VARCHAR NOT NULL,
    scorer VARCHAR NOT NULL,
    scorer_version VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    sentiment DOUBLE,
    satisfaction INTEGER,
    resolved BOOLEAN,
    topics VARCHAR[],
    language VARCHAR,
    summary VARCHAR,
    error VARCHAR,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cached_tokens INTEGER,
    cost_usd DOUBLE,
    scored_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (content_hash, scorer, scorer_version)
)"""

CONVERSATIONS = """
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id VARCHAR NOT NULL,
    chat_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    customer_messages INTEGER NOT NULL,
    agent_messages INTEGER NOT NULL,
    autoresponses INTEGER NOT NULL,
    first_response_seconds DOUBLE,
    avg_response_seconds DOUBLE,
    response_waits INTEGER NOT NULL,
    response_seconds_total DOUBLE NOT NULL,
    first_response_business_seconds DOUBLE,
    avg_response_business_seconds DOUBLE,
    response_business_seconds_total DOUBLE,
    agent_name VARCHAR,
    sentiment DOUBLE,
    satisfaction INTEGER,
    resolved BOOLEAN,
    topics VARCHAR[],
    language VARCHAR,
    summary VARCHAR,
    scorer VARCHAR,
    score_status VARCHAR NOT NULL,
    score_error VARCHAR,
    content_hash VARCHAR NOT NULL
)"""

# One list of aggregates over `conversations`, shared by the daily table, the range macro
# and the weekly/monthly views, so a range is always computed from conversations.
METRIC_AGGREGATES = """
    count(*)::BIGINT AS conversations,
    count(*) FILTER (WHERE score_status = 'scored')::BIGINT AS scored_conversations,
    count(*) FILTER (WHERE score_status = 'failed')::BIGINT AS failed_conversations,
    coalesce(sum(customer_messages), 0)::BIGINT AS customer_messages,
    coalesce(sum(agent_messages), 0)::BIGINT AS agent_messages,
    coalesce(sum(autoresponses), 0)::BIGINT AS autoresponses_filtered,
    count(*) FILTER (WHERE first_response_seconds IS NULL)::BIGINT AS unanswered_conversations,
    100.0 * count(*) FILTER (WHERE score_status = 'scored' AND satisfaction >= 4)
        / nullif(count(*) FILTER (WHERE score_status = 'scored'), 0) AS csat_pct,
    100.0 * count(*) FILTER (WHERE score_status = 'scored' AND resolved)
        / nullif(count(*) FILTER (WHERE score_status = 'scored'), 0) AS fcr_pct,
    avg(satisfaction) FILTER (WHERE score_status = 'scored') AS avg_satisfaction,
    avg(sentiment) FILTER (WHERE score_status = 'scored') AS avg_sentiment,
    avg(first_response_seconds) / 60.0 AS avg_first_response_minutes,
    median(first_response_seconds) / 60.0 AS median_first_response_minutes,
    sum(response_seconds_total) / nullif(sum(response_waits), 0) / 60.0 AS avg_response_minutes,
    avg(first_response_business_seconds) / 60.0 AS avg_first_response_business_minutes,
    median(first_response_business_seconds) / 60.0 AS median_first_response_business_minutes,
    sum(response_business_seconds_total)
        / nullif(sum(response_waits) FILTER (WHERE response_business_seconds_total IS NOT NULL), 0)
        / 60.0 AS avg_response_business_minutes
"""

DAILY_METRICS = """
CREATE TABLE IF NOT EXISTS daily_metrics (
    day DATE NOT NULL,
    conversations BIGINT NOT NULL,
    scored_conversations BIGINT NOT NULL,
    failed_conversations BIGINT NOT NULL,
    customer_messages BIGINT NOT NULL,
    agent_messages BIGINT NOT NULL,
    autoresponses_filtered BIGINT NOT NULL,
    unanswered_conversations BIGINT NOT NULL,
    csat_pct DOUBLE,
    fcr_pct DOUBLE,
    avg_satisfaction DOUBLE,
    avg_sentiment DOUBLE,
    avg_first_response_minutes DOUBLE,
    median_first_response_minutes DOUBLE,
    avg_response_minutes DOUBLE,
    avg_first_response_business_minutes DOUBLE,
    median_first_response_business_minutes DOUBLE,
    avg_response_business_minutes DOUBLE
)"""

# Columns added after a warehouse may already exist: created in place, NULL until rebuilt.
MIGRATIONS = tuple(
    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} DOUBLE"
    for table, column in [
        ("conversations", "first_response_business_seconds"),
        ("conversations", "avg_response_business_seconds"),
        ("conversations", "response_business_seconds_total"),
        ("daily_metrics", "avg_first_response_business_minutes"),
        ("daily_metrics", "median_first_response_business_minutes"),
        ("daily_metrics", "avg_response_business_minutes"),
    ]
)

# Per topic: scored conversations only (topics come from the scorer). A conversation with
# several topics counts once for each.
TOPIC_AGGREGATES = """
    count(*)::BIGINT AS conversations,
    count(*) FILTER (WHERE satisfaction <= 2)::BIGINT AS dissatisfied_conversations,
    100.0 * count(*) FILTER (WHERE satisfaction >= 4) / count(*) AS csat_pct,
    100.0 * count(*) FILTER (WHERE satisfaction <= 2) / count(*) AS dissatisfied_pct,
    100.0 * count(*) FILTER (WHERE resolved) / count(*) AS fcr_pct,
    avg(sentiment) AS avg_sentiment,
    avg(satisfaction) AS avg_satisfaction
"""

TOPIC_METRICS = """
CREATE TABLE IF NOT EXISTS topic_metrics (
    day DATE NOT NULL,
    topic VARCHAR NOT NULL,
    conversations BIGINT NOT NULL,
    dissatisfied_conversations BIGINT NOT NULL,
    csat_pct DOUBLE,
    dissatisfied_pct DOUBLE,
    fcr_pct DOUBLE,
    avg_sentiment DOUBLE,
    avg_satisfaction DOUBLE
)"""

TOPIC_SOURCE = """
    FROM conversations, unnest(topics) AS t(topic)
    WHERE score_status = 'scored'
"""

# Per agent: the first human agent who answered owns the conversation.
AGENT_AGGREGATES = """
    count(*)::BIGINT AS conversations,
    count(*) FILTER (WHERE score_status = 'scored')::BIGINT AS scored_conversations,
    avg(first_response_seconds) / 60.0 AS avg_first_response_minutes,
    median(first_response_seconds) / 60.0 AS median_first_response_minutes,
    avg(first_response_business_seconds) / 60.0 AS avg_first_response_business_minutes,
    sum(response_seconds_total) / nullif(sum(response_waits), 0) / 60.0 AS avg_response_minutes,
    100.0 * count(*) FILTER (WHERE score_status = 'scored' AND satisfaction >= 4)
        / nullif(count(*) FILTER (WHERE score_status = 'scored'), 0) AS csat_pct,
    100.0 * count(*) FILTER (WHERE score_status = 'scored' AND resolved)
        / nullif(count(*) FILTER (WHERE score_status = 'scored'), 0) AS fcr_pct,
    avg(satisfaction) FILTER (WHERE score_status = 'scored') AS avg_satisfaction
"""

AGENT_METRICS = """
CREATE TABLE IF NOT EXISTS agent_metrics (
    day DATE NOT NULL,
    agent_name VARCHAR NOT NULL,
    conversations BIGINT NOT NULL,
    scored_conversations BIGINT NOT NULL,
    avg_first_response_minutes DOUBLE,
    median_first_response_minutes DOUBLE,
    avg_first_response_business_minutes DOUBLE,
    avg_response_minutes DOUBLE,
    csat_pct DOUBLE,
    fcr_pct DOUBLE,
    avg_satisfaction DOUBLE
)"""

RANGE_FILTER = "day BETWEEN CAST(start_day AS DATE) AND CAST(end_day AS DATE)"

TOPIC_RANGE_MACRO = f"""
CREATE OR REPLACE MACRO topic_metrics_between(start_day, end_day) AS TABLE
    SELECT topic, {TOPIC_AGGREGATES} {TOPIC_SOURCE} AND {RANGE_FILTER}
    GROUP BY topic ORDER BY dissatisfied_conversations DESC, conversations DESC
"""

AGENT_RANGE_MACRO = f"""
CREATE OR REPLACE MACRO agent_metrics_between(start_day, end_day) AS TABLE
    SELECT agent_name, {AGENT_AGGREGATES} FROM conversations
    WHERE agent_name IS NOT NULL AND {RANGE_FILTER}
    GROUP BY agent_name ORDER BY conversations DESC
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
    *DRILLDOWN_MACROS,
)

_STATEMENTS = (
    RAW_MESSAGES,
    INGESTED_FILES,
    MESSAGES,
    SCORE_CACHE,
    CONVERSATIONS,
    DAILY_METRICS,
    TOPIC_METRICS,
    AGENT_METRICS,
    *MIGRATIONS,
    *ANALYST_MACROS_AND_VIEWS,
)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in _STATEMENTS:
        conn.execute(statement)
