"""Column descriptions of the analyst-facing tables, shown as column schemas in the UI."""

from __future__ import annotations

from dagster import TableColumn, TableSchema

_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "messages": [
        ("conversation_id", "VARCHAR", "`<chat_id>:<UTC start time>`"),
        ("chat_id", "VARCHAR", "Messenger thread id"),
        ("message_id", "VARCHAR", "the export's id, when it has one"),
        ("message_key", "VARCHAR", "dedup key: message_id, else hash of time, side and text"),
        ("sent_at", "TIMESTAMPTZ", "when it was sent (UTC)"),
        ("sender_role", "VARCHAR", "customer | agent (the Page, a human agent or a bot)"),
        ("sender_name", "VARCHAR", "sender as named in the export"),
        ("agent_name", "VARCHAR", "the human agent who wrote it, when known"),
        ("text", "VARCHAR", "message text; NULL for stickers, photos, files"),
        ("is_autoresponse", "BOOLEAN", "business-side autoresponse (pattern, bot or app)"),
        ("source_file", "VARCHAR", "inbox path of the file that first delivered it"),
        ("day", "DATE", "the conversation's day (local date of its first customer message)"),
    ],
    "conversations": [
        ("conversation_id", "VARCHAR", "`<chat_id>:<UTC start time>`"),
        ("chat_id", "VARCHAR", "Messenger thread id"),
        ("day", "DATE", "local date (POWERPULSE_TIMEZONE) of the first customer message"),
        ("started_at", "TIMESTAMPTZ", "first message (either side)"),
        ("ended_at", "TIMESTAMPTZ", "last message"),
        ("customer_messages", "INTEGER", "messages from the customer"),
        ("agent_messages", "INTEGER", "human business replies; autoresponses excluded"),
        ("autoresponses", "INTEGER", "autoresponses filtered out"),
        (
            "first_response_seconds",
            "DOUBLE",
            "first customer message to first human reply; NULL if unanswered",
        ),
        ("avg_response_seconds", "DOUBLE", "mean of the closed waits"),
        ("response_waits", "INTEGER", "closed waits (customer message -> human reply)"),
        ("response_seconds_total", "DOUBLE", "sum of the closed waits"),
        (
            "first_response_business_seconds",
            "DOUBLE",
            "first response in business hours; NULL without POWERPULSE_BUSINESS_HOURS",
        ),
        ("avg_response_business_seconds", "DOUBLE", "mean closed wait in business hours"),
        ("response_business_seconds_total", "DOUBLE", "sum of closed waits in business hours"),
        ("agent_name", "VARCHAR", "first human agent who answered"),
        ("sentiment", "DOUBLE", "customer sentiment -1..1 (scored only)"),
        ("satisfaction", "INTEGER", "1..5; CSAT counts 4 and 5"),
        ("resolved", "BOOLEAN", "settled within this conversation (FCR)"),
        ("topics", "VARCHAR[]", "from the closed topic list"),
        ("language", "VARCHAR", "ISO 639-1 code"),
        ("summary", "VARCHAR", "one-line summary"),
        ("scorer", "VARCHAR", "e.g. openai:gpt-4o-mini or offline:2"),
        ("score_status", "VARCHAR", "scored | failed (failed ones are retried next run)"),
        ("score_error", "VARCHAR", "why scoring failed"),
        ("content_hash", "VARCHAR", "hash of the human turns; the score cache key"),
    ],
    "daily_metrics": [
        ("day", "DATE", "local day"),
        ("conversations", "BIGINT", "conversations of the day"),
        ("scored_conversations", "BIGINT", "with a score"),
        ("failed_conversations", "BIGINT", "scoring failed"),
        ("customer_messages", "BIGINT", "messages from customers"),
        ("agent_messages", "BIGINT", "human business replies"),
        ("autoresponses_filtered", "BIGINT", "autoresponses left out"),
        ("unanswered_conversations", "BIGINT", "no human reply after the first customer message"),
        ("csat_pct", "DOUBLE", "100 x scored with satisfaction >= 4 / scored"),
        ("fcr_pct", "DOUBLE", "100 x scored and resolved / scored"),
        ("avg_satisfaction", "DOUBLE", "over scored conversations"),
        ("avg_sentiment", "DOUBLE", "over scored conversations"),
        ("avg_first_response_minutes", "DOUBLE", "over answered conversations"),
        ("median_first_response_minutes", "DOUBLE", "over answered conversations"),
        ("avg_response_minutes", "DOUBLE", "over all closed waits of the day"),
        ("avg_first_response_business_minutes", "DOUBLE", "business hours"),
        ("median_first_response_business_minutes", "DOUBLE", "business hours"),
        ("avg_response_business_minutes", "DOUBLE", "business hours, over closed waits"),
    ],
    "topic_metrics": [
        ("day", "DATE", "local day"),
        ("topic", "VARCHAR", "from the closed topic list"),
        ("conversations", "BIGINT", "scored conversations with this topic"),
        ("dissatisfied_conversations", "BIGINT", "satisfaction 1-2"),
        ("csat_pct", "DOUBLE", "100 x satisfaction >= 4 / conversations"),
        ("dissatisfied_pct", "DOUBLE", "100 x satisfaction <= 2 / conversations"),
        ("fcr_pct", "DOUBLE", "100 x resolved / conversations"),
        ("avg_sentiment", "DOUBLE", "-1..1"),
        ("avg_satisfaction", "DOUBLE", "1..5"),
    ],
    "agent_metrics": [
        ("day", "DATE", "local day"),
        ("agent_name", "VARCHAR", "first human agent who answered"),
        ("conversations", "BIGINT", "conversations this agent answered first"),
        ("scored_conversations", "BIGINT", "of which scored"),
        ("avg_first_response_minutes", "DOUBLE", "calendar time"),
        ("median_first_response_minutes", "DOUBLE", "calendar time"),
        ("avg_first_response_business_minutes", "DOUBLE", "business hours"),
        ("avg_response_minutes", "DOUBLE", "over closed waits"),
        ("csat_pct", "DOUBLE", "over scored conversations"),
        ("fcr_pct", "DOUBLE", "over scored conversations"),
        ("avg_satisfaction", "DOUBLE", "over scored conversations"),
    ],
}


def column_schema(table: str) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(name, kind, description) for name, kind, description in _COLUMNS[table]
        ]
    )
