"""What the explorer shows for a selection (a date range and filters), as semantic queries:
the dashboard's headline figures, trends and breakdowns, and the conversations behind them.
Every figure is the layer's, so it equals `metrics_between` on the same selection.

An agent's coaching: the quality score by week and the category pass rates (the layer's
metrics with the agent as filter), the coaching of `coaching_between` and the conversations
it cites (read from the analysts' macros, no metric SQL of its own).

Similar conversations and recurring issues (DESIGN.md section 11): `similar_conversations`
as the macro returns it, free text through `search_conversations`, and the recurring issues
of the dashboard's own query (`dashboard.data.recurring_issues`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ..ask.readonly import run_capped
from ..dashboard.data import HEADLINE, TREND_COLUMNS, recurring_issues
from ..scoring import quality
from ..semantics.metrics import BY_NAME
from ..semantics.query import SemanticQuery, compile_query

BREAKDOWN_METRICS = (
    "conversations",
    "csat_pct",
    "fcr_pct",
    "median_first_response_minutes",
    "unanswered_conversations",
)
QUALITY_METRICS = ("qa_score", "reviewed_conversations")
CATEGORY_METRICS = tuple(f"qa_{name}_pct" for name in quality.NAMES)
SIMILAR = 5
# Drill-down: which conversations a figure stands for.
DRILLDOWNS: dict[str, dict[str, Any]] = {
    "all": {},
    "unanswered": {"answered": False},
    "dissatisfied (satisfaction 1-2)": {"satisfaction": (1, 2)},
    "satisfied (satisfaction 4-5)": {"satisfaction": (4, 5)},
    "not resolved": {"resolved": False},
    "came back (repeat contact)": {"repeat_contact": True},
}


@dataclass(frozen=True)
class Selection:
    start: date
    end: date
    agents: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def query(self, **parts: Any) -> SemanticQuery:
        filters: dict[str, Any] = {}
        if self.agents:
            filters["agent"] = self.agents
        if self.topics:
            filters["topic"] = self.topics
        if self.languages:
            filters["language"] = self.languages
        filters.update(self.extra)
        return replace(SemanticQuery(start=self.start, end=self.end, filters=filters), **parts)


def identity(path: Path) -> tuple[int, int] | None:
    """Changes whenever the pipeline publishes a new copy (it replaces the file)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _frame(conn: duckdb.DuckDBPyConnection, query: SemanticQuery, timezone: str) -> Any:
    import pandas as pd

    result = run_capped(conn, compile_query(query, timezone))
    return pd.DataFrame(result.rows, columns=result.columns)


def headline(conn: duckdb.DuckDBPyConnection, selection: Selection, timezone: str) -> dict:
    names = tuple(name for name, _ in HEADLINE)
    frame = _frame(conn, selection.query(metrics=names), timezone)
    return frame.iloc[0].to_dict()


def trend(
    conn: duckdb.DuckDBPyConnection,
    selection: Selection,
    grain: str,
    timezone: str,
    metrics: tuple[str, ...] = TREND_COLUMNS,
) -> Any:
    import pandas as pd

    frame = _frame(conn, selection.query(metrics=metrics, dimension=grain), timezone)
    # as timestamps: a column of Python dates reaches the chart as text with no extent
    frame[grain] = pd.to_datetime(frame[grain])
    return frame


def breakdown(
    conn: duckdb.DuckDBPyConnection, selection: Selection, dimension: str, timezone: str
) -> Any:
    return _frame(conn, selection.query(metrics=BREAKDOWN_METRICS, dimension=dimension), timezone)


def conversations(
    conn: duckdb.DuckDBPyConnection, selection: Selection, timezone: str, limit: int = 500
) -> Any:
    return _frame(conn, selection.query(listing=True, limit=limit), timezone)


def messages(conn: duckdb.DuckDBPyConnection, conversation_id: str) -> Any:
    import pandas as pd

    cursor = conn.cursor()
    try:
        cursor.execute("SELECT * FROM conversation_messages(?)", [conversation_id])
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def _macro_rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict]:
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


def quality_trend(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, agent: str, timezone: str
) -> Any:
    """The agent's quality score and reviews by ISO week (clipped to the range, as every
    breakdown by week)."""
    return trend(conn, Selection(start, end, (agent,)), "week", timezone, QUALITY_METRICS)


def quality_categories(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, agent: str, timezone: str
) -> tuple[dict[str, Any], Any]:
    """The agent's quality score and reviews, and one row per review category: its label,
    pass rate (the layer's qa_<name>_pct) and what passing means."""
    import pandas as pd

    query = Selection(start, end, (agent,)).query(
        metrics=(*QUALITY_METRICS, *CATEGORY_METRICS), dimension="agent"
    )
    frame = _frame(conn, query, timezone)
    found = frame.iloc[0].to_dict() if len(frame) else {}
    rows = [
        {
            "category": c.label,
            "passed %": found.get(f"qa_{c.name}_pct"),
            "what passing means": c.meaning,
        }
        for c in quality.CATEGORIES
    ]
    totals = {name: found.get(name) for name in QUALITY_METRICS}
    return totals, pd.DataFrame(rows)


def coaching(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, agent: str
) -> list[dict[str, Any]]:
    """The agent's rows of `coaching_between` (weeks and months overlapping the range),
    newest first."""
    return _macro_rows(
        conn, "SELECT * FROM coaching_between(?, ?) WHERE agent_name = ?", [start, end, agent]
    )


def coaching_label(row: dict[str, Any]) -> str:
    when = (
        f"{row['period_start']:%B %Y}"
        if row["period"] == "month"
        else f"week of {row['period_start']:%Y-%m-%d}"
    )
    score = "-" if row["qa_score"] is None else f"{row['qa_score']:.1f}%"
    return f"{when}: quality score {score} over {row['reviewed_conversations']} reviewed"


def coaching_points(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each point of a coaching row with the conversations it cites, strengths first."""
    points = []
    for kind, texts, categories, examples in (
        ("strength", row["strengths"], row["strength_categories"], row["strength_examples"]),
        (
            "improvement",
            row["improvements"],
            row["improvement_categories"],
            row["improvement_examples"],
        ),
    ):
        for text, category, cited in zip(texts, categories, examples, strict=False):
            label = quality.BY_NAME[category].label if category in quality.BY_NAME else category
            points.append(
                {"kind": kind, "category": label, "point": text, "examples": list(cited or [])}
            )
    return points


def cited_conversations(
    conn: duckdb.DuckDBPyConnection, row: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The conversations a coaching row cites: day, summary and the review of each."""
    columns = ", ".join(("conversation_id", "day", "summary", "qa_score", *quality.COLUMNS))
    found = _macro_rows(
        conn,
        f"SELECT {columns}, coaching_note FROM agent_conversations(?, ?, ?) "
        "WHERE list_contains(?, conversation_id)",
        [
            row["period_start"],
            row["period_end"],
            row["agent_name"],
            list(row["example_conversation_ids"]),
        ],
    )
    return {r.pop("conversation_id"): r for r in found}


def review_text(review: dict[str, Any]) -> str:
    """A cited conversation's review in words: the categories passed and failed."""
    passed = [c.label for c in quality.CATEGORIES if review.get(f"qa_{c.name}") is True]
    failed = [c.label for c in quality.CATEGORIES if review.get(f"qa_{c.name}") is False]
    score = review.get("qa_score")
    return (
        f"{BY_NAME['qa_score'].label} {'-' if score is None else f'{score:.1f}%'}; "
        f"passed: {', '.join(passed) or 'none'}; failed: {', '.join(failed) or 'none'}"
    )


def similar(
    conn: duckdb.DuckDBPyConnection, conversation_id: str, k: int = SIMILAR
) -> tuple[list[dict[str, Any]], str | None]:
    """The k conversations of `similar_conversations`, most similar first, or why there are
    none, in words: the macro returns nothing for a conversation without an embedding, and a
    lead must not read that as "no conversation is like this one"."""
    try:
        rows = _macro_rows(conn, "SELECT * FROM similar_conversations(?, ?)", [conversation_id, k])
        if rows:
            return rows, None
        (found,) = _macro_rows(
            conn,
            "SELECT count_if(conversation_id = ?) > 0 AS embedded, count(*) > 0 AS any_embedded "
            "FROM conversation_embeddings",
            [conversation_id],
        )
    except duckdb.CatalogException:  # a copy published before similarity existed
        return [], "This copy of the warehouse has no similarity data yet."
    if not found["any_embedded"]:
        return [], (
            "No similar conversations: no conversation has an embedding (similarity is turned "
            "off with POWERPULSE_EMBEDDING_MODEL=off, or has not run yet)."
        )
    if not found["embedded"]:
        return [], (
            "No similar conversations: this conversation has no embedding, because its "
            "customer wrote no text to compare (only stickers, attachments or nothing)."
        )
    return [], "No similar conversations: no other conversation has an embedding to compare."


def similar_frame(rows: list[dict[str, Any]]) -> Any:
    """Similar conversations as a table: similarity as a percentage (the macro's cosine x 100),
    day, summary and the id that opens it."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "similarity %": 100.0 * r["similarity"],
                "day": r["day"],
                "summary": r["summary"],
                "conversation_id": r["conversation_id"],
            }
            for r in rows
        ],
        columns=["similarity %", "day", "summary", "conversation_id"],
    )


def similar_label(row: dict[str, Any]) -> str:
    summary = row["summary"] or row["conversation_id"]
    return f"{100.0 * row['similarity']:.1f}% · {row['day']} · {summary}"


def issues(
    conn: duckdb.DuckDBPyConnection, start: date, end: date
) -> tuple[list[dict[str, Any]], str | None]:
    """The recurring issues of the latest ISO week and month overlapping the range, as the
    dashboard lists them, or why there are none."""
    try:
        rows = recurring_issues(conn, start, end)
    except duckdb.CatalogException:
        return [], "This copy of the warehouse has no recurring issues yet."
    if not rows:
        return [], (
            "No recurring issues in these days: they are groups of similar conversations, "
            "found when similarity is on (POWERPULSE_EMBEDDING_MODEL) and at least two "
            "conversations of a week or month are alike."
        )
    return rows, None


def issue_period_label(row: dict[str, Any]) -> str:
    if row["period"] == "month":
        return f"{row['period_start']:%B %Y} ({row['period_start']} to {row['period_end']})"
    return f"Week of {row['period_start']} ({row['period_start']} to {row['period_end']})"


def issues_frame(rows: list[dict[str, Any]]) -> Any:
    """One period's issues as the table shows them; every figure is the table's."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "issue": r["label"],
                "trend": r["trend"],
                "conversations": r["conversations"],
                "previous": r["previous_conversations"],
                "change": r["change"],
                "CSAT %": r["csat_pct"],
                "keywords": ", ".join(r["keywords"] or []),
            }
            for r in rows
        ],
        columns=["issue", "trend", "conversations", "previous", "change", "CSAT %", "keywords"],
    )
