"""Everything the dashboard shows, as one JSON-ready dict computed in DuckDB.

Periods are the last 7, 30 and 90 days up to today (in POWERPULSE_TIMEZONE) and every
calendar month that has conversations; each is compared with the period of the same length
before it (for a month, the calendar month before). Every figure of a period comes from its
conversations with the same aggregates as `metrics_between` and the `*_between` macros, one
set-based query for all periods at once; the page only displays it.

Per agent and period (DESIGN.md section 10), beside the agent's row of `agent_metrics_between`
(quality score and category pass rates included): each category's passed and applicable
counts; the quality score of each whole ISO week overlapping the period (the weeks of the
weekly chart, so a point equals that week's coaching score); the coaching of `agent_coaching`
(`coaching_between`'s rows): for a calendar month, the month's row and every week that
overlaps the month, and for the last 7/30/90 days, each agent's latest week and latest month
overlapping them (still running or not: the newest coaching is what a lead acts on); and the
messages of every conversation a point cites, so each one opens on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ..scoring import quality
from ..semantics.dimensions import agent_rows
from ..semantics.metrics import BY_NAME as METRIC_BY_NAME
from ..semantics.metrics import HEADLINE_METRIC_NAMES, aggregates
from ..warehouse.schema import AGENT_AGGREGATES, METRIC_AGGREGATES, TOPIC_AGGREGATES

ROLLING_DAYS = (7, 30, 90)
DEFAULT_PERIOD = "last-30"
WORST_PER_LIST = 10
MESSAGES_PER_CONVERSATION = 60
TEXT_CHARS = 600

# The headline cards: (column, label), both from the semantic layer.
HEADLINE = tuple((name, METRIC_BY_NAME[name].label) for name in HEADLINE_METRIC_NAMES)
TREND_COLUMNS = (
    "conversations",
    "unanswered_conversations",
    "csat_pct",
    "fcr_pct",
    "observed_fcr_pct",
    "median_first_response_minutes",
    "median_first_response_business_minutes",
)
# The agents' weekly quality trend: the layer's own aggregates.
AGENT_TREND_METRICS = ("qa_score", "reviewed_conversations")
# The review categories as the page names them: the rubric's labels and the layer's metrics.
QUALITY_CATEGORIES = tuple(
    {
        "name": c.name,
        "label": c.label,
        "meaning": c.meaning,
        "metric": f"qa_{c.name}_pct",
        "metric_label": METRIC_BY_NAME[f"qa_{c.name}_pct"].label,
    }
    for c in quality.CATEGORIES
)
# Per category, how many reviews passed it and how many it applied to (the pass rate is the
# layer's qa_<name>_pct, in the agent's row). Split off the agents' rows by _split_counts.
_CATEGORY_COUNTS = aggregates(
    [f"qa_{n}_{count}" for n in quality.NAMES for count in ("passed", "applicable")]
)


@dataclass(frozen=True)
class Period:
    id: str
    label: str
    start: date
    end: date
    previous_start: date
    previous_end: date


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(today: date, months_with_data: list[date]) -> list[Period]:
    found = []
    for days in ROLLING_DAYS:
        start = today - timedelta(days=days - 1)
        found.append(
            Period(
                f"last-{days}",
                f"Last {days} days",
                start,
                today,
                start - timedelta(days=days),
                start - timedelta(days=1),
            )
        )
    for month in sorted(set(months_with_data), reverse=True):
        end = _next_month(month) - timedelta(days=1)
        previous = _month_start(month - timedelta(days=1))
        found.append(
            Period(
                f"month-{month:%Y-%m}",
                f"{month:%B %Y}",
                month,
                end,
                previous,
                month - timedelta(days=1),
            )
        )
    return found


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO strings, a float that is not finite as null (JSON has no
    NaN), everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _by_period(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row.pop("period"), []).append(_plain(row))
    return grouped


def _register_periods(conn: duckdb.DuckDBPyConnection, found: list[Period]) -> None:
    """Temp table `periods` (period, start_day, end_day): each period and, as '<id>/previous',
    the period it is compared with."""
    ids, starts, ends = [], [], []
    for p in found:
        ids += [p.id, f"{p.id}/previous"]
        starts += [p.start, p.previous_start]
        ends += [p.end, p.previous_end]
    table = pa.table(
        {
            "period": pa.array(ids, pa.string()),
            "start_day": pa.array(starts, pa.date32()),
            "end_day": pa.array(ends, pa.date32()),
        }
    )
    conn.register("periods_arrow", table)
    conn.execute("CREATE OR REPLACE TEMP TABLE periods AS SELECT * FROM periods_arrow")
    conn.unregister("periods_arrow")


_IN_PERIOD = "JOIN conversations c ON c.day BETWEEN p.start_day AND p.end_day"

_WORST = f"""
    WITH ranked AS (
        SELECT p.period, c.conversation_id, c.day, c.agent_name, c.summary, c.satisfaction,
            c.sentiment, c.first_response_seconds / 60.0 AS first_response_minutes,
            c.customer_messages + c.agent_messages AS messages, c.started_at,
            row_number() OVER (PARTITION BY p.period ORDER BY c.satisfaction, c.sentiment,
                c.started_at, c.conversation_id) AS lowest_satisfaction,
            row_number() OVER (PARTITION BY p.period ORDER BY c.first_response_seconds DESC
                NULLS LAST, c.started_at, c.conversation_id) AS longest_wait,
            row_number() OVER (PARTITION BY p.period, c.first_response_seconds IS NULL
                ORDER BY c.started_at DESC, c.conversation_id) AS latest
        FROM periods p {_IN_PERIOD}
        WHERE p.period NOT LIKE '%/previous'
    )
    SELECT 'lowest_satisfaction' AS list, lowest_satisfaction AS position,
        * EXCLUDE (lowest_satisfaction, longest_wait, latest)
    FROM ranked WHERE satisfaction IS NOT NULL AND lowest_satisfaction <= $n
    UNION ALL
    SELECT 'longest_wait', longest_wait, * EXCLUDE (lowest_satisfaction, longest_wait, latest)
    FROM ranked WHERE first_response_minutes IS NOT NULL AND longest_wait <= $n
    UNION ALL
    SELECT 'unanswered', latest, * EXCLUDE (lowest_satisfaction, longest_wait, latest)
    FROM ranked WHERE first_response_minutes IS NULL AND latest <= $n
    ORDER BY period, list, position
"""


# Per agent and period, the quality score of each whole ISO week that overlaps the period,
# the same weeks as the page's weekly chart: a week's point equals the week's coaching row.
_AGENT_TREND = f"""
    SELECT p.period, c.agent_name, date_trunc('week', c.day)::DATE AS week_start,
        {aggregates(AGENT_TREND_METRICS)}
    FROM periods p JOIN conversations c ON c.day BETWEEN date_trunc('week', p.start_day)::DATE
        AND date_trunc('week', p.end_day)::DATE + 6
    WHERE {agent_rows("c")} AND p.period NOT LIKE '%/previous'
    GROUP BY ALL ORDER BY p.period, c.agent_name, week_start
"""

# The coaching shown for a period, as the module's docstring says: the month first, then the
# weeks, newest first.
_COACHING = """
    SELECT p.period AS shown_in, k.* EXCLUDE (generated_at)
    FROM periods p JOIN agent_coaching k
        ON k.period_end >= p.start_day AND k.period_start <= p.end_day
    WHERE p.period NOT LIKE '%/previous'
    QUALIFY p.period LIKE 'month-%' OR row_number() OVER (
        PARTITION BY p.period, k.agent_name, k.period ORDER BY k.period_start DESC) = 1
    ORDER BY shown_in, k.agent_name, k.period = 'week', k.period_start DESC
"""

# What the page says about a cited conversation, above its messages.
_CITED = f"""
    SELECT conversation_id, day, agent_name, summary, qa_score, coaching_note,
        {", ".join(quality.COLUMNS)}
    FROM conversations SEMI JOIN listed USING (conversation_id)
"""


# The recurring issues (DESIGN.md section 11) of the latest ISO week and the latest month that
# overlap [$start, $end] (a NULL bound is open), the week first. New issues (none the period
# before) and growing ones come first, then the largest: what a lead looks at this week. One
# query for the dashboard and the explorer, so both list the same rows in the same order;
# `change` and `trend` only restate the table's two counts, and each example comes with its
# day and summary, in the table's order of examples.
RECURRING_ISSUES_SQL = """
    WITH latest AS (
        SELECT period, max(period_start) AS period_start FROM recurring_issues
        WHERE ($start IS NULL OR period_end >= $start) AND ($end IS NULL OR period_start <= $end)
        GROUP BY period
    )
    SELECT r.period, r.period_start, r.period_end, r.issue_id, r.label, r.keywords,
        r.conversations, r.previous_conversations,
        r.conversations - r.previous_conversations AS change,
        CASE WHEN r.previous_conversations = 0 THEN 'new'
            WHEN r.conversations > r.previous_conversations THEN 'growing'
            WHEN r.conversations = r.previous_conversations THEN 'steady'
            ELSE 'shrinking' END AS trend,
        r.csat_pct, r.example_conversation_ids,
        coalesce((
            SELECT list({'conversation_id': c.conversation_id, 'day': c.day,
                    'summary': c.summary}
                ORDER BY list_position(r.example_conversation_ids, c.conversation_id))
            FROM conversations c WHERE list_contains(r.example_conversation_ids, c.conversation_id)
        ), []) AS examples
    FROM recurring_issues r JOIN latest USING (period, period_start)
    ORDER BY r.period = 'month',
        r.previous_conversations = 0 OR r.conversations > r.previous_conversations DESC,
        r.conversations DESC, r.issue_id
"""


def recurring_issues(
    conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """The rows of RECURRING_ISSUES_SQL. On a cursor of its own: the explorer shares one
    connection between the threads of its sessions."""
    cursor = conn.cursor()
    try:
        cursor.execute(RECURRING_ISSUES_SQL, {"start": start, "end": end})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _recurring_panel(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """{"week": {period_start, period_end, issues}, "month": ...} for the page's panel."""
    panel: dict[str, Any] = {}
    for row in rows:
        row = dict(row)
        period = row.pop("period")
        shown = panel.setdefault(
            period,
            {"period_start": row["period_start"], "period_end": row["period_end"], "issues": []},
        )
        shown["issues"].append(row)
    return _plain(panel)


def _split_counts(
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, dict[str, int]]]]]:
    """The agents' rows without the category counts, and the counts as
    {period: {agent: {category: {"passed": n, "applicable": m}}}}."""
    counts: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for row in rows:
        per_category: dict[str, dict[str, int]] = {}
        for name in quality.NAMES:
            per_category[name] = {
                "passed": row.pop(f"qa_{name}_passed"),
                "applicable": row.pop(f"qa_{name}_applicable"),
            }
        counts.setdefault(row["period"], {})[row["agent_name"]] = per_category
    return rows, counts


def _by_period_and_agent(rows: list[dict[str, Any]], key: str = "period") -> dict[str, Any]:
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        period, agent = row.pop(key), row.pop("agent_name")
        grouped.setdefault(period, {}).setdefault(agent, []).append(_plain(row))
    return grouped


def dashboard_data(
    conn: duckdb.DuckDBPyConnection,
    today: date,
    timezone: str,
    generated_at: datetime,
    business_hours: bool = False,
) -> dict[str, Any]:
    """The page's data. `conn` holds the contract tables (the work DB or the analysts' copy)."""
    months = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT date_trunc('month', day)::DATE FROM conversations"
        ).fetchall()
    ]
    found = periods(today, months)
    _register_periods(conn, found)
    try:
        data = _collect(conn, found, today, timezone, generated_at, months)
    finally:
        conn.execute("DROP TABLE periods")
    data["business_hours"] = business_hours
    return data


def _collect(
    conn: duckdb.DuckDBPyConnection,
    found: list[Period],
    today: date,
    timezone: str,
    generated_at: datetime,
    months: list[date],
) -> dict[str, Any]:
    figures = {
        row.pop("period"): _plain(row)
        for row in _rows(
            conn, f"SELECT p.period, {METRIC_AGGREGATES} FROM periods p {_IN_PERIOD} GROUP BY ALL"
        )
    }
    topics = _by_period(
        _rows(
            conn,
            f"SELECT p.period, t.topic, {TOPIC_AGGREGATES} FROM periods p {_IN_PERIOD}, "
            "unnest(c.topics) AS t(topic) WHERE c.score_status = 'scored' "
            "AND p.period NOT LIKE '%/previous' GROUP BY ALL "
            "ORDER BY p.period, conversations DESC, t.topic",
        )
    )
    agent_rows_found, category_counts = _split_counts(
        _rows(
            conn,
            f"SELECT p.period, c.agent_name, {AGENT_AGGREGATES}, {_CATEGORY_COUNTS} "
            f"FROM periods p {_IN_PERIOD} "
            f"WHERE {agent_rows('c')} AND p.period NOT LIKE '%/previous' "
            "GROUP BY ALL "
            "ORDER BY p.period, conversations DESC, c.agent_name",
        )
    )
    agents = _by_period(agent_rows_found)
    agent_trend = _by_period_and_agent(_rows(conn, _AGENT_TREND))
    coaching_rows = _rows(conn, _COACHING)
    cited_ids = {
        cid
        for row in coaching_rows
        for examples in (*row["strength_examples"], *row["improvement_examples"])
        for cid in examples
    } | {cid for row in coaching_rows for cid in row["example_conversation_ids"]}
    coaching = _by_period_and_agent(coaching_rows, key="shown_in")
    daily = _by_period(
        _rows(
            conn,
            f"SELECT p.period, d.day, {', '.join(f'd.{c}' for c in TREND_COLUMNS)} "
            "FROM periods p JOIN daily_metrics d ON d.day BETWEEN p.start_day AND p.end_day "
            "WHERE p.period NOT LIKE '%/previous' ORDER BY p.period, d.day",
        )
    )
    # Whole weeks (Monday to Sunday) that overlap the period, computed from conversations.
    weekly = _by_period(
        _rows(
            conn,
            f"SELECT p.period, w.week_start, {', '.join(f'w.{c}' for c in TREND_COLUMNS)} "
            "FROM periods p JOIN weekly_metrics w "
            "ON w.week_start BETWEEN p.start_day - 6 AND p.end_day "
            "WHERE p.period NOT LIKE '%/previous' ORDER BY p.period, w.week_start",
        )
    )
    coverage = _by_period(
        _rows(
            conn,
            f"SELECT p.period, c.scorer, {METRIC_BY_NAME['scored_conversations'].sql} AS scored, "
            f"{METRIC_BY_NAME['failed_conversations'].sql} AS failed, "
            f"{METRIC_BY_NAME['scoring_cost_usd'].sql} AS cost_usd "
            f"FROM periods p {_IN_PERIOD} WHERE p.period NOT LIKE '%/previous' "
            "GROUP BY ALL ORDER BY p.period, scored DESC, c.scorer",
        )
    )
    worst_rows = _rows(conn, _WORST, {"n": WORST_PER_LIST})
    worst: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in worst_rows:
        period, kind = row.pop("period"), row.pop("list")
        row.pop("started_at")
        row.pop("position")
        worst.setdefault(period, {}).setdefault(kind, []).append(_plain(row))
    # the latest week and month with issues up to today, whatever the period picked
    recurring = recurring_issues(conn, None, today)
    issue_examples = {cid for row in recurring for cid in row["example_conversation_ids"]}
    listed = {r["conversation_id"] for r in worst_rows} | cited_ids | issue_examples
    return {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "timezone": timezone,
        "empty": not months,
        "periods": [
            {
                "id": p.id,
                "label": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "previous_start": p.previous_start.isoformat(),
                "previous_end": p.previous_end.isoformat(),
                "has_data": p.id in figures,
            }
            for p in found
        ],
        "default_period": DEFAULT_PERIOD,
        "latest_month": f"month-{max(months):%Y-%m}" if months else None,
        "headline": [{"column": c, "label": label} for c, label in HEADLINE],
        "figures": figures,
        "daily": daily,
        "weekly": weekly,
        "topics": topics,
        "agents": agents,
        "quality_categories": list(QUALITY_CATEGORIES),
        "agent_categories": category_counts,
        "agent_trend": agent_trend,
        "coaching": coaching,
        "cited": _cited(conn, cited_ids),
        "coverage": coverage,
        "worst": worst,
        "recurring_issues": _recurring_panel(recurring),
        "conversations": _messages(conn, listed, timezone),
    }


def _cited(conn: duckdb.DuckDBPyConnection, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Each conversation a coaching point cites: day, agent, summary, its review."""
    if not ids:
        return {}
    conn.register("listed", pa.table({"conversation_id": pa.array(sorted(ids), pa.string())}))
    try:
        rows = _rows(conn, _CITED)
    finally:
        conn.unregister("listed")
    return {row.pop("conversation_id"): _plain(row) for row in rows}


def _messages(
    conn: duckdb.DuckDBPyConnection, ids: set[str], timezone: str
) -> dict[str, list[list[Any]]]:
    """The messages of the listed conversations: [local time, role, agent, autoresponse,
    text]."""
    if not ids:
        return {}
    conn.register("listed", pa.table({"conversation_id": pa.array(sorted(ids), pa.string())}))
    try:
        rows = conn.execute(
            """
            SELECT conversation_id, list([
                    strftime(sent_at AT TIME ZONE $zone, '%Y-%m-%d %H:%M'), sender_role,
                    agent_name, is_autoresponse::VARCHAR, left(coalesce(text, '[attachment]'), $n)]
                ORDER BY sent_at, message_key)[:$m]
            FROM messages SEMI JOIN listed USING (conversation_id) GROUP BY conversation_id
            """,
            {"n": TEXT_CHARS, "m": MESSAGES_PER_CONVERSATION, "zone": timezone},
        ).fetchall()
    finally:
        conn.unregister("listed")
    return {cid: messages for cid, messages in rows}
