"""Asset checks as SQL that finds violations: passed when it finds none.

Each check runs over the day range just written (`?` placeholders: first day, last day) or,
for uniqueness, over the whole table, and shows the first offending rows in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from ..markdown import markdown_table
from ..scoring import quality
from ..semantics.dimensions import AGENT_ROWS


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    violations_sql: str  # rows that break the rule; may use ? ? for the day range
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR

    def spec(self, asset: str) -> AssetCheckSpec:
        return AssetCheckSpec(self.name, asset=asset, description=self.description)

    def run(
        self, conn: duckdb.DuckDBPyConnection, first_day: date, last_day: date
    ) -> AssetCheckResult:
        cursor = conn.execute(
            f"SELECT * FROM ({self.violations_sql}) LIMIT 6",
            range_params(self.violations_sql, first_day, last_day),
        )
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        return AssetCheckResult(
            check_name=self.name,
            passed=not rows,
            severity=self.severity,
            metadata={
                "violations_shown": len(rows[:5]),
                "first_violations": MetadataValue.md(
                    markdown_table(columns, rows, limit=5, empty="none")
                ),
            },
        )


def range_params(sql: str, first_day: date, last_day: date) -> list[date]:
    return [first_day if i % 2 == 0 else last_day for i in range(sql.count("?"))]


MESSAGES_CHECKS = (
    Check(
        "no_duplicate_messages",
        "Every distinct message is stored once (chat_id, message_key), across all days.",
        "SELECT chat_id, message_key, count(*) AS copies FROM messages GROUP BY ALL "
        "HAVING count(*) > 1",
    ),
    Check(
        "one_day_per_conversation",
        "All messages of a conversation are stored under that conversation's day.",
        "SELECT conversation_id, count(DISTINCT day) AS days FROM messages GROUP BY ALL "
        "HAVING count(DISTINCT day) > 1",
    ),
)

CONVERSATIONS_CHECKS = (
    Check(
        "no_duplicate_conversations",
        "Each conversation_id appears once across all days.",
        "SELECT conversation_id, count(*) AS copies FROM conversations GROUP BY ALL "
        "HAVING count(*) > 1",
    ),
    Check(
        "values_in_range",
        "satisfaction 1-5, sentiment -1..1, non-negative waits, business time within "
        "calendar time, at least one customer message, scored rows fully scored.",
        "SELECT conversation_id, satisfaction, sentiment, first_response_seconds "
        "FROM conversations WHERE day BETWEEN ? AND ? AND ("
        " customer_messages < 1"
        " OR first_response_seconds < 0 OR avg_response_seconds < 0"
        " OR first_response_business_seconds > first_response_seconds + 0.001"
        " OR (score_status = 'scored' AND (satisfaction NOT BETWEEN 1 AND 5"
        "     OR sentiment NOT BETWEEN -1 AND 1 OR resolved IS NULL OR topics IS NULL))"
        " OR score_status NOT IN ('scored', 'failed'))",
    ),
    Check(
        "matches_messages",
        "The range holds exactly the conversations that `messages` assigns to it.",
        "SELECT coalesce(c.conversation_id, m.conversation_id) AS conversation_id, "
        "c.conversation_id IS NULL AS missing_here FROM "
        "(SELECT conversation_id FROM conversations WHERE day BETWEEN ? AND ?) c FULL JOIN "
        "(SELECT DISTINCT conversation_id FROM messages WHERE day BETWEEN ? AND ?) m "
        "USING (conversation_id) WHERE c.conversation_id IS NULL OR m.conversation_id IS NULL",
    ),
    Check(
        "scoring_coverage",
        "Warns when conversations of the range failed to score (retried on the next run).",
        "SELECT conversation_id, score_error FROM conversations "
        "WHERE day BETWEEN ? AND ? AND score_status = 'failed'",
        AssetCheckSeverity.WARN,
    ),
)

PERCENT_COLUMNS = ("csat_pct", "fcr_pct")


def _out_of_range(table: str, percents: tuple[str, ...], *conditions: str) -> str:
    broken = [f"{c} NOT BETWEEN 0 AND 100" for c in percents] + list(conditions)
    return (
        f"SELECT * FROM {table} WHERE day BETWEEN ? AND ? "
        f"AND (conversations < 1 OR {' OR '.join(broken)})"
    )


DAILY_METRICS_CHECKS = (
    Check(
        "consistent_with_conversations",
        "Each day's counts equal those recomputed from `conversations`; no day missing or extra.",
        "SELECT coalesce(d.day, c.day) AS day, d.conversations AS in_daily, "
        "c.conversations AS in_conversations FROM "
        "(SELECT * FROM daily_metrics WHERE day BETWEEN ? AND ?) d FULL JOIN "
        "(SELECT day, count(*) AS conversations, "
        " count(*) FILTER (WHERE score_status = 'scored') AS scored, "
        " sum(customer_messages) AS customer_messages FROM conversations "
        " WHERE day BETWEEN ? AND ? GROUP BY day) c USING (day) "
        "WHERE d.day IS NULL OR c.day IS NULL OR d.conversations <> c.conversations "
        "OR d.scored_conversations <> c.scored OR d.customer_messages <> c.customer_messages",
    ),
    Check(
        "values_in_range",
        "Percentages within 0-100, satisfaction 1-5, sentiment -1..1, times non-negative.",
        _out_of_range(
            "daily_metrics",
            (*PERCENT_COLUMNS, "observed_fcr_pct"),
            "repeat_window_open NOT BETWEEN 0 AND conversations",
            "avg_satisfaction NOT BETWEEN 1 AND 5",
            "avg_sentiment NOT BETWEEN -1 AND 1",
            "median_first_response_minutes < 0",
            "avg_response_minutes < 0",
            "scored_conversations + failed_conversations <> conversations",
        ),
    ),
)

TOPIC_METRICS_CHECKS = (
    Check(
        "values_in_range",
        "Percentages within 0-100 and every topic row counts at least one conversation.",
        _out_of_range("topic_metrics", (*PERCENT_COLUMNS, "dissatisfied_pct")),
    ),
)

AGENT_METRICS_CHECKS = (
    Check(
        "consistent_with_conversations",
        "Each day's agent rows add up to the conversations with a known, not excluded agent.",
        "SELECT coalesce(a.day, c.day) AS day, a.n AS in_agent_metrics, c.n AS in_conversations "
        "FROM (SELECT day, sum(conversations) AS n FROM agent_metrics WHERE day BETWEEN ? AND ? "
        "GROUP BY day) a FULL JOIN (SELECT day, count(*) AS n FROM conversations "
        f"WHERE day BETWEEN ? AND ? AND {AGENT_ROWS} GROUP BY day) c USING (day) "
        "WHERE a.n IS DISTINCT FROM c.n",
    ),
)

VALID_SCORES = Check(
    "valid_scores",
    "Every stored score keeps to the schema: satisfaction 1-5, sentiment -1..1, resolved set, "
    "at least one topic (whatever the scorer or the model returned).",
    "SELECT content_hash, scorer, satisfaction, sentiment FROM score_cache "
    "WHERE status = 'scored' AND (satisfaction NOT BETWEEN 1 AND 5 "
    "OR sentiment NOT BETWEEN -1 AND 1 OR resolved IS NULL OR topics IS NULL OR len(topics) = 0)",
)

_VERDICT = (
    "CASE p.category "
    + " ".join(f"WHEN '{name}' THEN c.qa_{name}" for name in quality.NAMES)
    + " END"
)

AGENT_COACHING_CHECKS = (
    Check(
        "points_backed_by_evidence",
        "Every conversation cited for a strength passed its category and every one cited for an "
        "improvement failed it; each is the agent's own, from that period; no point uncited.",
        "WITH points AS ("
        " SELECT period, period_start, period_end, agent_name, true AS passed,"
        "  unnest(strength_categories) AS category, unnest(strength_examples) AS examples"
        " FROM agent_coaching WHERE period_end >= ? AND period_start <= ?"
        " UNION ALL"
        " SELECT period, period_start, period_end, agent_name, false,"
        "  unnest(improvement_categories), unnest(improvement_examples)"
        " FROM agent_coaching WHERE period_end >= ? AND period_start <= ?),"
        " cited AS (SELECT *, unnest(CASE WHEN len(examples) = 0 THEN [NULL] ELSE examples END)"
        "  AS conversation_id FROM points)"
        " SELECT p.period, p.period_start, p.agent_name, p.category, p.passed AS strength,"
        "  p.conversation_id FROM cited p LEFT JOIN conversations c USING (conversation_id)"
        " WHERE c.conversation_id IS NULL OR c.agent_name <> p.agent_name"
        " OR c.day NOT BETWEEN p.period_start AND p.period_end"
        f" OR {_VERDICT} IS DISTINCT FROM p.passed",
    ),
    Check(
        "one_to_six_points",
        "Each agent period has 0-3 strengths and 0-3 improvements, at least one point in all.",
        "SELECT period, period_start, agent_name, len(strengths) AS strengths, "
        "len(improvements) AS improvements FROM agent_coaching "
        "WHERE period_end >= ? AND period_start <= ? AND (len(strengths) > 3 "
        "OR len(improvements) > 3 OR len(strengths) + len(improvements) = 0)",
    ),
)

# Over the weeks and months that overlap the day range.
RECURRING_ISSUES_CHECKS = (
    Check(
        "sizes_match_members",
        "Each issue's size is its members' count, of two or more, all of them conversations of "
        "the period with an embedding.",
        "SELECT r.period, r.period_start, r.issue_id, r.conversations, count(m.conversation_id) "
        "AS members, count(e.conversation_id) AS embedded_in_period FROM recurring_issues r "
        "LEFT JOIN recurring_issue_members m USING (period, period_start, issue_id) "
        "LEFT JOIN conversation_embeddings e ON e.conversation_id = m.conversation_id "
        "AND e.day BETWEEN r.period_start AND r.period_end "
        "WHERE r.period_end >= ? AND r.period_start <= ? GROUP BY ALL "
        "HAVING r.conversations <> count(m.conversation_id) OR r.conversations < 2 "
        "OR count(e.conversation_id) <> r.conversations",
    ),
)
