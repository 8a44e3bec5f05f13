"""Every dimension (what a figure can be broken down by) and every filter, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Dimension:
    name: str
    sql: str  # over `conversations`; {zone} is the report's time zone as a SQL literal
    label: str
    words: tuple[str, ...]  # "week" matches "by week", "per week", "each week"
    adverbs: tuple[str, ...] = ()  # "weekly"
    order: str | None = None  # how its values sort, when not by themselves
    time_grain: bool = False
    unnests_topics: bool = False  # one row per topic of a conversation
    skip_null: bool = False  # conversations without a value are left out of the breakdown
    rows: str = ""  # a condition on the conversations a breakdown by it counts


# The conversations per-agent figures count (agent_metrics, agent_coaching, every breakdown by
# agent): answered by a known agent who is not in POWERPULSE_EXCLUDED_AGENTS. Excluded agents'
# conversations still count everywhere else.
def agent_rows(table: str = "") -> str:
    """That condition, its columns qualified by `table` (e.g. "c") when given."""
    prefix = f"{table}." if table else ""
    return f"{prefix}agent_name IS NOT NULL AND {prefix}agent_excluded IS NOT TRUE"


AGENT_ROWS = agent_rows()


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("day", "day", "day", ("day", "date"), ("daily", "per day"), time_grain=True),
    Dimension(
        "week",
        "date_trunc('week', day)::DATE",
        "ISO week (Monday)",
        ("week", "iso week"),
        ("weekly",),
        time_grain=True,
    ),
    Dimension(
        "month",
        "date_trunc('month', day)::DATE",
        "month",
        ("month",),
        ("monthly",),
        time_grain=True,
    ),
    Dimension(
        "quarter",
        "date_trunc('quarter', day)::DATE",
        "quarter",
        ("quarter",),
        ("quarterly",),
        time_grain=True,
    ),
    Dimension(
        "weekday",
        "dayname(day)",
        "weekday",
        ("weekday", "day of week", "day of the week", "weekdays"),
        order="min(isodow(day))",
    ),
    Dimension(
        "hour",
        "hour(started_at AT TIME ZONE {zone})",
        "hour of day (local)",
        ("hour", "hour of day", "hour of the day", "time of day"),
        ("hourly",),
    ),
    Dimension(
        "agent",
        "agent_name",
        "agent (first human to answer)",
        ("agent", "agents"),
        rows=AGENT_ROWS,  # leaves out conversations no agent answered, as agent_metrics does
    ),
    Dimension("topic", "topic", "topic", ("topic", "topics"), unnests_topics=True),
    Dimension("language", "language", "language", ("language", "languages"), skip_null=True),
    Dimension(
        "day_type",
        "CASE WHEN isodow(day) >= 6 THEN 'weekend' ELSE 'weekday' END",
        "weekend or weekday",
        ("weekend or weekday",),
    ),
)
DIMENSION_BY_NAME = {d.name: d for d in DIMENSIONS}

FilterKind = Literal["values", "bool", "range", "choice"]


@dataclass(frozen=True)
class Filter:
    name: str
    kind: FilterKind
    label: str
    # values: a column compared with a list; bool: a condition that is true (or, negated,
    # false); range: a column between two bounds; choice: one SQL condition per value.
    column: str = ""
    list_column: bool = False  # values: the column is a list holding any of the values
    condition: str = ""
    negation: str = ""
    choices: tuple[tuple[str, str], ...] = ()


FILTERS: tuple[Filter, ...] = (
    Filter("agent", "values", "agent", column="agent_name"),
    Filter("topic", "values", "topic", column="topics", list_column=True),
    Filter("language", "values", "language", column="language"),
    Filter(
        "answered",
        "bool",
        "answered",
        condition="first_response_seconds IS NOT NULL",
        negation="first_response_seconds IS NULL",
    ),
    Filter(
        "resolved",
        "bool",
        "resolved (model)",
        condition="score_status = 'scored' AND resolved",
        negation="score_status = 'scored' AND NOT resolved",
    ),
    Filter(
        "repeat_contact",
        "bool",
        "came back (repeat contact)",
        condition="repeat_contact",
        negation="NOT repeat_contact",
    ),
    Filter(
        "day_type",
        "choice",
        "weekend or weekday",
        choices=(("weekend", "isodow(day) >= 6"), ("weekday", "isodow(day) <= 5")),
    ),
    Filter("satisfaction", "range", "satisfaction (1-5)", column="satisfaction"),
)
FILTER_BY_NAME = {f.name: f for f in FILTERS}
