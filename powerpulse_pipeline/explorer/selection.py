"""What the explorer shows for a selection (a date range and filters), as semantic queries:
the dashboard's headline figures, trends and breakdowns, and the conversations behind them.
Every figure is the layer's, so it equals `metrics_between` on the same selection."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ..ask.readonly import run_capped
from ..dashboard.data import HEADLINE, TREND_COLUMNS
from ..semantics.query import SemanticQuery, compile_query

BREAKDOWN_METRICS = (
    "conversations",
    "csat_pct",
    "fcr_pct",
    "median_first_response_minutes",
    "unanswered_conversations",
)
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


def trend(conn: duckdb.DuckDBPyConnection, selection: Selection, grain: str, timezone: str) -> Any:
    import pandas as pd

    frame = _frame(conn, selection.query(metrics=TREND_COLUMNS, dimension=grain), timezone)
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
