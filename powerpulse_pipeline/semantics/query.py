"""A semantic query (metrics x a breakdown x filters x a date range) and its one compiler to
DuckDB SQL. Values are written as escaped literals, so the SQL shown is the SQL that ran and
can be pasted into any DuckDB client on the analysts' copy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from .dimensions import DIMENSION_BY_NAME, FILTER_BY_NAME
from .metrics import BY_NAME, aggregates

LIST_COLUMNS = (
    "conversation_id",
    "day",
    "agent_name",
    "satisfaction",
    "resolved",
    "round(first_response_seconds / 60.0, 1) AS first_response_minutes",
    "topics",
    "language",
    "summary",
)


@dataclass(frozen=True)
class SemanticQuery:
    metrics: tuple[str, ...] = ()
    dimension: str | None = None
    # filter name -> value: a tuple of strings (values), a bool, a (low, high) pair (range)
    # or one of a choice filter's names
    filters: dict[str, Any] = field(default_factory=dict)
    start: date | None = None  # inclusive; None: all stored data
    end: date | None = None
    # compare with the previous period: its (start, end)
    previous: tuple[date, date] | None = None
    listing: bool = False  # the conversations themselves, not figures
    rank: Literal["highest", "lowest"] | None = None  # only the top value of the breakdown
    limit: int | None = None

    def with_filter(self, name: str, value: Any) -> SemanticQuery:
        return replace(self, filters={**self.filters, name: value})

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": list(self.metrics),
            "dimension": self.dimension,
            "filters": {k: list(v) if isinstance(v, tuple) else v for k, v in self.filters.items()},
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "previous": [d.isoformat() for d in self.previous] if self.previous else None,
            "listing": self.listing,
            "rank": self.rank,
            "limit": self.limit,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SemanticQuery:
        filters = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.get("filters", {}).items()
        }
        day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        previous = data.get("previous")
        return cls(
            metrics=tuple(m for m in data.get("metrics", ()) if m in BY_NAME),
            dimension=data.get("dimension") if data.get("dimension") in DIMENSION_BY_NAME else None,
            filters={k: v for k, v in filters.items() if _valid(k, v)},
            start=day(data.get("start")),
            end=day(data.get("end")),
            previous=(day(previous[0]), day(previous[1])) if previous else None,
            listing=bool(data.get("listing")),
            rank=data.get("rank") if data.get("rank") in ("highest", "lowest") else None,
            limit=data["limit"] if isinstance(data.get("limit"), int) else None,
        )


def _valid(name: str, value: Any) -> bool:
    """A filter value as the compiler expects it (a stored session may have been edited)."""
    spec = FILTER_BY_NAME.get(name)
    if spec is None:
        return False
    if spec.kind == "values":
        return isinstance(value, tuple) and bool(value) and all(isinstance(v, str) for v in value)
    if spec.kind == "bool":
        return isinstance(value, bool)
    if spec.kind == "range":
        return (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 for v in value)
        )
    return value in dict(spec.choices)


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def range_condition(start: date | None, end: date | None) -> str | None:
    if start is None or end is None:
        return None
    return f"day BETWEEN {literal(start)} AND {literal(end)}"


def filter_conditions(filters: dict[str, Any]) -> list[str]:
    found = []
    for name, value in filters.items():
        spec = FILTER_BY_NAME[name]
        if spec.kind == "values":
            values = ", ".join(literal(v) for v in value)
            if spec.list_column:
                found.append(f"list_has_any({spec.column}, [{values}])")
            else:
                found.append(f"{spec.column} IN ({values})")
        elif spec.kind == "bool":
            found.append(spec.condition if value else spec.negation)
        elif spec.kind == "range":
            low, high = value
            found.append(f"{spec.column} BETWEEN {int(low)} AND {int(high)}")
        else:
            found.append(dict(spec.choices)[value])
    return found


def where(query: SemanticQuery, start: date | None = None, end: date | None = None) -> str:
    conditions = [c for c in [range_condition(start, end)] if c]
    conditions += filter_conditions(query.filters)
    dimension = DIMENSION_BY_NAME.get(query.dimension or "")
    if dimension and dimension.skip_null:
        # a breakdown by agent leaves out conversations no agent answered, as agent_metrics does
        conditions.append(f"{dimension.sql} IS NOT NULL")
    if dimension and dimension.rows:
        conditions.append(dimension.rows)
    return ("WHERE " + " AND ".join(f"({c})" for c in conditions)) if conditions else ""


def compile_query(query: SemanticQuery, timezone: str = "UTC", row_cap: int = 10_000) -> str:
    """The one SQL statement that answers `query` from the analysts' tables."""
    if query.listing:
        limit = min(query.limit or row_cap, row_cap)
        parts = [
            f"SELECT {', '.join(LIST_COLUMNS)} FROM conversations",
            where(query, query.start, query.end),
            f"ORDER BY day, started_at, conversation_id LIMIT {limit}",
        ]
        return " ".join(part for part in parts if part)
    metrics = list(query.metrics)
    if query.previous:
        parts = []
        for period, (start, end) in (
            ("current", (query.start, query.end)),
            ("previous", query.previous),
        ):
            parts.append(_aggregate(query, metrics, timezone, start, end, period))
        return "\nUNION ALL\n".join(parts)
    return _aggregate(query, metrics, timezone, query.start, query.end, None)


def _aggregate(
    query: SemanticQuery,
    metrics: list[str],
    timezone: str,
    start: date | None,
    end: date | None,
    period: str | None,
) -> str:
    head = []
    if period:
        head = [
            f"{literal(period)} AS period",
            f"{literal(start)} AS start_day",
            f"{literal(end)} AS end_day",
        ]
    source = "conversations"
    group = ""
    order = ""
    dimension = DIMENSION_BY_NAME.get(query.dimension or "")
    if dimension:
        expression = dimension.sql.format(zone=literal(timezone))
        head.append(f"{expression} AS {dimension.name}")
        if dimension.unnests_topics:
            source = "conversations, unnest(topics) AS t(topic)"
        group = "GROUP BY ALL"
        if query.rank:
            metric = BY_NAME[metrics[0]]
            direction = "DESC" if query.rank == "highest" else "ASC"
            order = (
                f"HAVING {metric.name} IS NOT NULL "
                f"ORDER BY {metric.name} {direction}, {dimension.name} LIMIT 1"
            )
        elif not period:
            order = f"ORDER BY {dimension.order or dimension.name} NULLS LAST"
    select = ", ".join([*head, aggregates(metrics)])
    parts = [f"SELECT {select} FROM {source}", where(query, start, end), group, order]
    return " ".join(part for part in parts if part)
