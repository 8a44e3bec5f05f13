"""Every table's columns, once (DESIGN.md section 4). The DDL, the Arrow schema used to insert
and the column descriptions shown in the Dagster UI are all derived from these specs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from ..scoring import quality
from ..semantics.metrics import AGENT_METRIC_NAMES
from ..semantics.metrics import BY_NAME as METRIC_SPECS
from ..semantics.metrics import DAILY_METRICS as DAILY_METRIC_SPECS

if TYPE_CHECKING:
    from dagster import TableSchema

UTC_TS = pa.timestamp("us", tz="UTC")

_ARROW: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": UTC_TS,
    "VARCHAR[]": pa.list_(pa.string()),
    "DATE[]": pa.list_(pa.date32()),
    "VARCHAR[][]": pa.list_(pa.list_(pa.string())),
    "FLOAT[]": pa.list_(pa.float32()),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False  # NOT NULL


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        lines = [f"    {c.name} {c.type}{' NOT NULL' if c.required else ''}" for c in self.columns]
        if self.primary_key:
            lines.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n" + ",\n".join(lines) + "\n)"

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c.name, _ARROW[c.type]) for c in self.columns])

    def column_schema(self) -> TableSchema:
        # Imported here: parsing and the scorer's worker processes use these specs too,
        # and need not load Dagster.
        from dagster import TableColumn, TableSchema

        return TableSchema(
            columns=[TableColumn(c.name, c.type, c.description) for c in self.columns]
        )


def _c(name: str, type_: str, description: str, required: bool = False) -> Column:
    return Column(name, type_, description, required)


RAW_MESSAGES = Table(
    "raw_messages",
    (
        _c("chat_id", "VARCHAR", "Messenger thread id", True),
        _c("message_key", "VARCHAR", "dedup key: message_id, else hash of time, side, text", True),
        _c("message_id", "VARCHAR", "the export's id, when it has one"),
        _c("sent_at", "TIMESTAMPTZ", "when it was sent (UTC)", True),
        _c("sender_role", "VARCHAR", "customer | agent", True),
        _c("sender_name", "VARCHAR", "sender as named in the export"),
        _c("agent_name", "VARCHAR", "the human agent who wrote it, when known"),
        _c("text", "VARCHAR", "message text; NULL for stickers, photos, files"),
        _c("marked_bot", "BOOLEAN", "the export says a bot or an app sent it", True),
        _c("source_file", "VARCHAR", "inbox path of the file that first delivered it"),
        _c("file_key", "VARCHAR", "partition key of that file"),
        _c("ingested_at", "TIMESTAMPTZ", "when it was stored"),
    ),
    primary_key=("chat_id", "message_key"),
)

INGESTED_FILES = Table(
    "ingested_files",
    (
        _c("file_key", "VARCHAR", "partition key: file name + content hash", True),
        _c("content_sha256", "VARCHAR", "hash of the file's bytes", True),
        _c("source_path", "VARCHAR", "path in the inbox", True),
        _c("status", "VARCHAR", "ingested | rejected", True),
        _c("format", "VARCHAR", "grouped | messenger_dyi | graph_api"),
        _c("error", "VARCHAR", "why it was rejected"),
        _c("threads", "INTEGER", "threads in the file"),
        _c("messages_in_file", "INTEGER", "messages read"),
        _c("new_messages", "INTEGER", "messages not stored before"),
        _c("skipped_messages", "INTEGER", "messages skipped, with reasons in skipped_detail"),
        _c("skipped_detail", "VARCHAR[]", "count, reason and first location of each skip"),
        _c("days_touched", "DATE[]", "days whose conversations changed"),
        _c("ingested_at", "TIMESTAMPTZ", "when it was read", True),
    ),
    primary_key=("file_key",),
)

_RAW = {c.name: c for c in RAW_MESSAGES.columns}

MESSAGES = Table(
    "messages",
    (
        _c("conversation_id", "VARCHAR", "`<chat_id>:<UTC start time>`", True),
        *(_RAW[name] for name in ("chat_id", "message_id", "message_key", "sent_at")),
        _c("sender_role", "VARCHAR", "customer | agent (the Page, a human agent or a bot)", True),
        *(_RAW[name] for name in ("sender_name", "agent_name", "text")),
        _c("is_autoresponse", "BOOLEAN", "business-side autoresponse (pattern, bot or app)", True),
        _RAW["source_file"],
        _c(
            "day", "DATE", "the conversation's day (local date of its first customer message)", True
        ),
    ),
)

# The facts of a conversation that come from its messages, computed once per change.
_FACTS = (
    _c("conversation_id", "VARCHAR", "`<chat_id>:<UTC start time>`", True),
    _c("chat_id", "VARCHAR", "Messenger thread id", True),
    _c("day", "DATE", "local date (POWERPULSE_TIMEZONE) of the first customer message", True),
    _c("started_at", "TIMESTAMPTZ", "first message (either side)", True),
    _c("ended_at", "TIMESTAMPTZ", "last message", True),
    _c("customer_messages", "INTEGER", "messages from the customer", True),
    _c("agent_messages", "INTEGER", "human business replies; autoresponses excluded", True),
    _c("autoresponses", "INTEGER", "autoresponses filtered out", True),
    _c(
        "first_response_seconds",
        "DOUBLE",
        "first customer message to first human reply; NULL if unanswered",
    ),
    _c("avg_response_seconds", "DOUBLE", "mean of the closed waits"),
    _c("response_waits", "INTEGER", "closed waits (customer message -> human reply)", True),
    _c("response_seconds_total", "DOUBLE", "sum of the closed waits", True),
    _c(
        "first_response_business_seconds",
        "DOUBLE",
        "first response in business hours; NULL without POWERPULSE_BUSINESS_HOURS",
    ),
    _c("avg_response_business_seconds", "DOUBLE", "mean closed wait in business hours"),
    _c("response_business_seconds_total", "DOUBLE", "sum of closed waits in business hours"),
    _c("agent_name", "VARCHAR", "first human agent who answered"),
)
_CONTENT_HASH = _c("content_hash", "VARCHAR", "hash of the human turns; the score cache key", True)

CONVERSATION_FACTS = Table("conversation_facts", (*_FACTS, _CONTENT_HASH))

_SCORE = (
    _c("sentiment", "DOUBLE", "customer sentiment -1..1 (scored only)"),
    _c("satisfaction", "INTEGER", "1..5; CSAT counts 4 and 5"),
    _c("resolved", "BOOLEAN", "settled within this conversation (FCR)"),
    _c("topics", "VARCHAR[]", "from the closed topic list"),
    _c("language", "VARCHAR", "ISO 639-1 code"),
    _c("summary", "VARCHAR", "one-line summary"),
)

# The quality review (DESIGN.md section 10, scoring/quality.py): NULL is not applicable, or
# not reviewed (no human reply, or scored before the review existed).
_REVIEW = (
    *(
        _c(column, "BOOLEAN", f"quality review: {category.meaning}")
        for column, category in zip(quality.COLUMNS, quality.CATEGORIES, strict=True)
    ),
    _c("coaching_note", "VARCHAR", "one actionable sentence for the agent, or NULL"),
)

SCORE_CACHE = Table(
    "score_cache",
    (
        _CONTENT_HASH,
        _c("scorer", "VARCHAR", "e.g. openai:gpt-4o-mini or offline:3", True),
        _c("scorer_version", "VARCHAR", "rules or prompt version", True),
        _c("status", "VARCHAR", "scored | failed", True),
        *_SCORE,
        *_REVIEW,
        _c("error", "VARCHAR", "why scoring failed"),
        _c("prompt_tokens", "INTEGER", "tokens sent"),
        _c("completion_tokens", "INTEGER", "tokens received"),
        _c("cached_tokens", "INTEGER", "prompt tokens served from the provider's cache"),
        _c("cost_usd", "DOUBLE", "estimated cost"),
        _c("scored_at", "TIMESTAMPTZ", "when", True),
    ),
    primary_key=("content_hash", "scorer", "scorer_version"),
)

CONVERSATIONS = Table(
    "conversations",
    (
        *_FACTS,
        *_SCORE,
        *_REVIEW,
        _c(
            "qa_score",
            "DOUBLE",
            "100 x review categories passed / applicable; NULL when none applies or not reviewed",
        ),
        _c("scorer", "VARCHAR", "e.g. openai:gpt-4o-mini or offline:3"),
        _c(
            "scorer_version",
            "VARCHAR",
            "rules or prompt version of the score; an older one is kept until re-scored",
        ),
        _c("score_status", "VARCHAR", "scored | failed (failed ones are retried next run)", True),
        _c("score_error", "VARCHAR", "why scoring failed"),
        _CONTENT_HASH,
        _c(
            "repeat_contact",
            "BOOLEAN",
            "the customer wrote again within POWERPULSE_REPEAT_CONTACT_DAYS after this ended; "
            "NULL while that window is still open (observed FCR)",
        ),
        _c(
            "score_cost_usd",
            "DOUBLE",
            "estimated USD its content's score cost (0 offline); a content shared by several "
            "conversations was paid once, and counts once in scoring_cost_usd",
        ),
        _c(
            "agent_excluded",
            "BOOLEAN",
            "its agent is in POWERPULSE_EXCLUDED_AGENTS: left out of per-agent figures and "
            "coaching, still counted in the daily ones",
        ),
    ),
)

_DAY = _c("day", "DATE", "local day", True)

# The columns of one figure over a set of conversations (a day, a range, a week, a month):
# the daily metrics of the semantic layer, in its order.
METRIC_COLUMNS = tuple(
    Column(m.name, m.type, m.description, m.required) for m in DAILY_METRIC_SPECS
)

DAILY_METRICS = Table("daily_metrics", (_DAY, *METRIC_COLUMNS))

TOPIC_METRICS = Table(
    "topic_metrics",
    (
        _DAY,
        _c("topic", "VARCHAR", "from the closed topic list", True),
        _c("conversations", "BIGINT", "scored conversations with this topic", True),
        _c("dissatisfied_conversations", "BIGINT", "satisfaction 1-2", True),
        _c("csat_pct", "DOUBLE", "100 x satisfaction >= 4 / conversations"),
        _c("dissatisfied_pct", "DOUBLE", "100 x satisfaction <= 2 / conversations"),
        _c("fcr_pct", "DOUBLE", "100 x resolved / conversations"),
        _c("avg_sentiment", "DOUBLE", "-1..1"),
        _c("avg_satisfaction", "DOUBLE", "1..5"),
    ),
)


AGENT_METRICS = Table(
    "agent_metrics",
    (
        _DAY,
        _c("agent_name", "VARCHAR", "first human agent who answered", True),
        _c("conversations", "BIGINT", "conversations this agent answered first", True),
        *(
            Column(m.name, m.type, m.description, m.required)
            for m in (METRIC_SPECS[name] for name in AGENT_METRIC_NAMES)
            if m.name != "conversations"
        ),
    ),
)

AGENT_COACHING = Table(
    "agent_coaching",
    (
        _c("period", "VARCHAR", "week (ISO, Monday first) | month", True),
        _c("period_start", "DATE", "first day of the period", True),
        _c("period_end", "DATE", "last day of the period (inclusive)", True),
        _c("agent_name", "VARCHAR", "the agent (after POWERPULSE_AGENT_ALIASES)", True),
        _c("conversations", "BIGINT", "conversations this agent answered first", True),
        _c("reviewed_conversations", "BIGINT", "of which with a quality review", True),
        _c("qa_score", "DOUBLE", "mean quality score of the reviewed conversations"),
        _c("strengths", "VARCHAR[]", "0-3 things the agent does well", True),
        _c("improvements", "VARCHAR[]", "0-3 things to do differently (at least one point)", True),
        _c("strength_categories", "VARCHAR[]", "the review category of each strength", True),
        _c("improvement_categories", "VARCHAR[]", "the category of each improvement", True),
        _c(
            "strength_examples",
            "VARCHAR[][]",
            "per strength, conversations of the agent in the period that passed its category",
            True,
        ),
        _c(
            "improvement_examples",
            "VARCHAR[][]",
            "per improvement, conversations of the agent in the period that failed its category",
            True,
        ),
        _c(
            "example_conversation_ids",
            "VARCHAR[]",
            "every conversation cited, strengths' and improvements' together",
            True,
        ),
        _c("generated_by", "VARCHAR", "the coach: offline:<version> or openai:<model>", True),
        _c("generated_at", "TIMESTAMPTZ", "when", True),
    ),
    primary_key=("period", "period_start", "agent_name"),
)

# What an LLM coach wrote, keyed by everything it was shown, so an unchanged period is never
# asked again (the pipeline's own, like score_cache).
COACHING_CACHE = Table(
    "coaching_cache",
    (
        _c("input_hash", "VARCHAR", "sha256 of the request: prompt, model, reviews", True),
        _c("coach", "VARCHAR", "openai:<model>", True),
        _c("points", "VARCHAR", "the checked points as JSON", True),
        _c("prompt_tokens", "INTEGER", "tokens sent"),
        _c("completion_tokens", "INTEGER", "tokens received"),
        _c("cost_usd", "DOUBLE", "estimated cost"),
        _c("created_at", "TIMESTAMPTZ", "when", True),
    ),
    primary_key=("input_hash", "coach"),
)

# Similar conversations and recurring issues (DESIGN.md section 11).
EMBEDDING_CACHE = Table(
    "embedding_cache",
    (
        _c("text_hash", "VARCHAR", "sha256 of the embedded text", True),
        _c("model", "VARCHAR", "offline:<model> or openai:<model>", True),
        _c("embedding", "FLOAT[]", "unit vector", True),
        _c("tokens", "INTEGER", "tokens the model read"),
        _c("cost_usd", "DOUBLE", "estimated cost (0 offline)"),
        _c("created_at", "TIMESTAMPTZ", "when", True),
    ),
    primary_key=("text_hash", "model"),
)

CONVERSATION_EMBEDDINGS = Table(
    "conversation_embeddings",
    (
        _c("conversation_id", "VARCHAR", "conversation", True),
        _c("day", "DATE", "the conversation's day", True),
        _c("model", "VARCHAR", "the embedding model", True),
        _c("text_hash", "VARCHAR", "sha256 of the customer side as embedded", True),
        _c(
            "embedding",
            "FLOAT[]",
            "unit vector of the customer's messages (stickers and attachments left out)",
            True,
        ),
    ),
    primary_key=("conversation_id",),
)

RECURRING_ISSUES = Table(
    "recurring_issues",
    (
        _c("period", "VARCHAR", "week (ISO, Monday first) | month", True),
        _c("period_start", "DATE", "first day of the period", True),
        _c("period_end", "DATE", "last day of the period (inclusive)", True),
        _c("issue_id", "INTEGER", "1 = the period's largest group", True),
        _c("label", "VARCHAR", "a short name: distinctive words, or an LLM's from summaries", True),
        _c("keywords", "VARCHAR[]", "the group's most distinctive words", True),
        _c("conversations", "BIGINT", "conversations in the group", True),
        _c(
            "previous_conversations",
            "BIGINT",
            "conversations of the period before as close to this group's centre as its members",
            True,
        ),
        _c("csat_pct", "DOUBLE", "CSAT of the group's conversations (the semantic layer's)"),
        _c("example_conversation_ids", "VARCHAR[]", "the members nearest the centre", True),
        _c("labelled_by", "VARCHAR", "offline:keywords or openai:<model>", True),
    ),
    primary_key=("period", "period_start", "issue_id"),
)

RECURRING_ISSUE_MEMBERS = Table(
    "recurring_issue_members",
    (
        _c("period", "VARCHAR", "week | month", True),
        _c("period_start", "DATE", "first day of the period", True),
        _c("period_end", "DATE", "last day of the period", True),
        _c("issue_id", "INTEGER", "the group", True),
        _c("conversation_id", "VARCHAR", "in one group of the period at most", True),
        _c("similarity", "DOUBLE", "cosine to the group's centre", True),
    ),
    primary_key=("period", "period_start", "conversation_id"),
)

# What an LLM named a group, keyed by everything it was shown (the pipeline's own).
ISSUE_LABEL_CACHE = Table(
    "issue_label_cache",
    (
        _c("input_hash", "VARCHAR", "sha256 of the request", True),
        _c("labeller", "VARCHAR", "openai:<model>", True),
        _c("label", "VARCHAR", "the label", True),
        _c("prompt_tokens", "INTEGER", "tokens sent"),
        _c("completion_tokens", "INTEGER", "tokens received"),
        _c("cost_usd", "DOUBLE", "estimated cost"),
        _c("created_at", "TIMESTAMPTZ", "when", True),
    ),
    primary_key=("input_hash", "labeller"),
)

ALL_TABLES = (
    RAW_MESSAGES,
    INGESTED_FILES,
    MESSAGES,
    CONVERSATION_FACTS,
    SCORE_CACHE,
    CONVERSATIONS,
    DAILY_METRICS,
    TOPIC_METRICS,
    AGENT_METRICS,
    AGENT_COACHING,
    COACHING_CACHE,
    EMBEDDING_CACHE,
    CONVERSATION_EMBEDDINGS,
    RECURRING_ISSUES,
    RECURRING_ISSUE_MEMBERS,
    ISSUE_LABEL_CACHE,
)
TABLES = {table.name: table for table in ALL_TABLES}
