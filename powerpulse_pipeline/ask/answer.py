"""A question -> an answer: understood (offline parser, else the LLM), compiled by the
semantic layer, run on the locked-down connection, and told in one sentence built from the
numbers (no model ever writes a number)."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from ..semantics.dimensions import DIMENSION_BY_NAME, FILTER_BY_NAME
from ..semantics.metrics import BY_NAME, format_value
from ..semantics.query import SemanticQuery, compile_query
from ..settings import Settings
from . import session as sessions
from .dates import Range
from .guard import Refused, check
from .parser import Parsed, parse
from .readonly import ROW_CAP, TIME_LIMIT_SECONDS, Stopped, connect_locked, run_capped
from .vocabulary import Vocabulary

Status = Literal["answered", "cannot_answer", "refused"]

EXAMPLES = (
    "CSAT last 30 days",
    "median first response by agent this month",
    "unanswered conversations by week last month",
)


@dataclass
class Answer:
    status: Status
    question: str
    understood: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    answer: str = ""
    follow_ups: list[str] = field(default_factory=list)
    understood_by: str = "offline"  # offline | llm

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "question": self.question,
            "understood": self.understood,
            "understood_by": self.understood_by,
            "sql": self.sql,
            "columns": self.columns,
            "rows": [[_plain(v) for v in row] for row in self.rows],
            "answer": self.answer,
            "follow_ups": self.follow_ups,
        }

    def frame(self) -> Any:
        """The rows as a pandas DataFrame, for notebooks."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- from parts to a query


def build(parsed: Parsed, previous: sessions.Session | None) -> tuple[SemanticQuery, Range | None]:
    """The semantic query a parsed question asks, refining the previous one when it is a
    follow-up. Returns (query, its range)."""
    prev = previous.query if previous else None
    refine = prev is not None and (
        parsed.follow_up
        or (not parsed.metrics and not parsed.listing)
        or (parsed.listing and not parsed.filters and parsed.range is None)
    )
    found = parsed.range
    if not refine or prev is None or previous is None:
        query = SemanticQuery(
            metrics=tuple(parsed.metrics),
            dimension=parsed.dimension,
            filters=dict(parsed.filters),
            listing=parsed.listing,
            rank=parsed.rank,
        )
        compare = parsed.compare
    else:
        found = parsed.range or previous.range
        # "by week" after a list of conversations counts them by week
        listing = parsed.listing or (prev.listing and not parsed.metrics and not parsed.dimension)
        dimension = parsed.dimension or (prev.dimension if not listing else None)
        query = SemanticQuery(
            metrics=() if listing else tuple(parsed.metrics or prev.metrics or ("conversations",)),
            dimension=dimension,
            filters={**prev.filters, **parsed.filters},
            listing=listing,
            rank=parsed.rank or (prev.rank if not parsed.dimension else None),
        )
        compare = parsed.compare or (prev.previous is not None and not listing)
    if found:
        query = replace(query, start=found.start, end=found.end)
    if compare and found:
        query = replace(query, previous=found.previous())
    return query, found


# ---------------------------------------------------------------- words


def _filter_words(filters: dict[str, Any]) -> list[str]:
    words = []
    for name, value in filters.items():
        spec = FILTER_BY_NAME[name]
        if spec.kind == "values":
            words.append(f"{spec.label} {' or '.join(value)}")
        elif spec.kind == "bool":
            words.append(spec.label if value else f"not {spec.label}")
        elif spec.kind == "range":
            low, high = value
            words.append(f"satisfaction {low}" if low == high else f"satisfaction {low}-{high}")
        else:
            words.append(f"{value}s only")
    return words


def _range_words(found: Range | None, vocabulary: Vocabulary) -> str:
    if found:
        words = f" ({found.words})" if found.words and found.words != found.text() else ""
        return f"{found.text()}{words}"
    if vocabulary.first_day and vocabulary.last_day:
        return f"all stored data ({vocabulary.first_day}..{vocabulary.last_day})"
    return "all stored data (none yet)"


def describe(query: SemanticQuery, found: Range | None, vocabulary: Vocabulary) -> str:
    parts = []
    if query.listing:
        parts.append("the conversations")
    else:
        parts.append(" and ".join(BY_NAME[m].label for m in query.metrics))
    if query.dimension:
        dimension = DIMENSION_BY_NAME[query.dimension].label
        if query.rank:
            parts.append(f"the {dimension} with the {query.rank} value")
        else:
            parts.append(f"by {dimension}")
    parts += _filter_words(query.filters)
    parts.append(_range_words(found, vocabulary))
    if query.previous:
        parts.append(f"vs the previous period {query.previous[0]}..{query.previous[1]}")
    return ", ".join(parts)


def _value(metric: str, value: Any) -> str:
    return format_value(metric, value)


def sentence(query: SemanticQuery, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    text = _sentence(query, columns, rows)
    if query.start and query.end and not query.previous:
        span = (
            f"On {query.start}"
            if query.start == query.end
            else f"From {query.start} to {query.end}"
        )
        text = f"{span}, {text[0].lower() + text[1:] if text.startswith('No ') else text}"
    business = [m for m in query.metrics if "business" in m]
    if (
        business
        and not query.listing
        and all(row[columns.index(m)] is None for row in rows for m in business)
    ):
        text += " Business-hours figures need POWERPULSE_BUSINESS_HOURS set."
    return text


def _sentence(query: SemanticQuery, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    if query.listing:
        if not rows:
            return "No conversation matches."
        shown = len(rows)
        return (
            f"{shown:,} conversation{'s' if shown != 1 else ''} match{'es' if shown == 1 else ''}."
        )
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    metric = query.metrics[0]
    label = BY_NAME[metric].label
    if query.previous:
        by_period = {r["period"]: r for r in records}
        now, before = by_period.get("current", {}), by_period.get("previous", {})
        a, b = now.get(metric), before.get(metric)
        text = (
            f"{label} was {_value(metric, a)} from {query.start} to {query.end}, against "
            f"{_value(metric, b)} from {query.previous[0]} to {query.previous[1]}"
        )
        if a is not None and b is not None:
            delta = a - b
            unit = " points" if BY_NAME[metric].unit == "pct" else ""
            shown = _value(metric, abs(delta)) if not unit else f"{abs(delta):.1f}"
            text += f" ({'up' if delta > 0 else 'down' if delta < 0 else 'no change'}"
            text += f" {shown}{unit})" if delta else ")"
        return text + "."
    if query.dimension:
        dimension = query.dimension
        if not records:
            return "No conversation matches."
        if query.rank:
            top = records[0]
            most = {"highest": "most", "lowest": "fewest"}[query.rank]
            word = most if BY_NAME[metric].unit == "count" else query.rank
            return (
                f"{_plain(top[dimension])} had the {word} {_mid(label)}: "
                f"{_value(metric, top[metric])}."
            )
        known = [r for r in records if r[metric] is not None]
        if not known:
            return f"{label} has no value for any {DIMENSION_BY_NAME[dimension].label}."
        if DIMENSION_BY_NAME[dimension].time_grain:
            first, last = known[0], known[-1]
            return (
                f"{label} went from {_value(metric, first[metric])} ({_plain(first[dimension])}) "
                f"to {_value(metric, last[metric])} ({_plain(last[dimension])}), "
                f"over {len(records)} {dimension}s."
            )
        high = max(known, key=lambda r: r[metric])
        low = min(known, key=lambda r: r[metric])
        if len(known) == 1:
            return f"{label} was {_value(metric, high[metric])} for {high[dimension]}."
        return (
            f"{label} was highest for {high[dimension]} ({_value(metric, high[metric])}) and "
            f"lowest for {low[dimension]} ({_value(metric, low[metric])})."
        )
    record = records[0] if records else {}
    said = [f"{BY_NAME[m].label}: {_value(m, record.get(m))}" for m in query.metrics]
    return "; ".join(said) + "."


def _mid(label: str) -> str:
    """A label inside a sentence: "CSAT" stays, "Conversations" becomes "conversations"."""
    return label if label.split()[0].isupper() else label[0].lower() + label[1:]


def follow_ups(query: SemanticQuery) -> list[str]:
    found: list[str] = []
    if query.listing:
        return ["and by week?", "what about last month?", "and how many were unanswered?"][:3]
    if query.dimension != "week":
        found.append("and by week?")
    if query.dimension != "agent" and "agent" not in query.filters:
        found.append("and by agent?")
    if not query.previous and query.start:
        found.append("and vs the previous period?")
    if not query.previous and not query.start:
        found.append("what about last month?")
    found.append("show me those conversations")
    return found[:3]


# ---------------------------------------------------------------- asking


class Asker:
    """Answers questions from the analysts' copy. One per user: it holds the session."""

    def __init__(
        self,
        settings: Settings,
        session_path: Path | None = None,
        conn: duckdb.DuckDBPyConnection | None = None,
        llm: Any = None,
        row_cap: int = ROW_CAP,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        self.settings = settings
        self.session_path = session_path
        self.session = sessions.load(session_path) if session_path else sessions.Session()
        self._conn = conn
        self.llm = llm
        self.row_cap = row_cap
        self.time_limit = time_limit
        # the query an answer ran, kept as the session's once the answer is given
        self._pending: tuple[SemanticQuery, Range | None] | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._conn = connect_locked(self.settings.duckdb_path)
        return self._conn

    def use(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Answer from this connection from now on (the explorer's, per published copy)."""
        self._conn = conn

    def forget(self) -> None:
        self.session = sessions.Session()

    def ask(self, question: str, as_of: date | None = None, new: bool = False) -> Answer:
        if new:
            self.forget()
        as_of = as_of or datetime.now(self.settings.zone).date()
        conn = self.connection()
        vocabulary = Vocabulary.load(conn)
        topics = self.settings.topics or _default_topics()
        parsed = parse(question[:2000], vocabulary, as_of, topics)
        answer = self._offline(question, parsed, vocabulary)
        if answer.status == "cannot_answer" and self.llm is not None:
            answer = self._with_llm(question, vocabulary, as_of, topics, answer)
        self._remember(question, answer)
        return answer

    # -- offline

    def _offline(self, question: str, parsed: Parsed, vocabulary: Vocabulary) -> Answer:
        query, found = build(parsed, self.session if self.session.query else None)
        if parsed.unknown and not parsed.follow_up:
            query, found = build(parsed, None)  # what this question alone said
        understood = describe(query, found, vocabulary) if (query.metrics or query.listing) else ""
        problems = list(parsed.problems)
        if parsed.unknown:
            problems.append(f"not understood: {' '.join(repr(w) for w in parsed.unknown[:8])}")
        if not query.metrics and not query.listing:
            problems.append("no figure or list named (CSAT, FCR, first response, ...)")
        if query.previous is None and parsed.compare:
            problems.append("a comparison with the previous period needs a date range")
        if problems:
            return self._cannot(question, understood, problems)
        return self._run(question, query, found, understood)

    def _cannot(self, question: str, understood: str, problems: list[str]) -> Answer:
        text = f"Understood: {understood}. " if understood else ""
        return Answer(
            "cannot_answer",
            question,
            text + "; ".join(problems),
            answer="I can't answer that from the warehouse's figures. " + "; ".join(problems),
            follow_ups=list(EXAMPLES),
        )

    def _run(
        self,
        question: str,
        query: SemanticQuery,
        found: Range | None,
        understood: str,
    ) -> Answer:
        sql = compile_query(query, self.settings.timezone, self.row_cap)
        result = run_capped(self.connection(), sql, self.row_cap, self.time_limit)
        answer = Answer(
            "answered",
            question,
            understood,
            sql,
            result.columns,
            [list(r) for r in result.rows],
            sentence(query, result.columns, result.rows),
            follow_ups(query),
        )
        self._pending = (query, found)
        return answer

    # -- with a model

    def _with_llm(
        self,
        question: str,
        vocabulary: Vocabulary,
        as_of: date,
        topics: tuple[str, ...],
        offline: Answer,
    ) -> Answer:
        from .llm import LLMError, to_parsed

        try:
            reply = self.llm.understand(question, self.session.questions, topics)
        except LLMError as exc:
            offline.understood += f"; the model could not be asked: {exc}"
            return offline
        if reply.get("sql"):
            return self._run_model_sql(question, reply["sql"])
        parsed = to_parsed(reply, vocabulary, as_of)
        answer = self._offline(question, parsed, vocabulary)
        answer.understood_by = "llm"
        return answer

    def _run_model_sql(self, question: str, sql: str) -> Answer:
        try:
            checked = check(sql)
            result = run_capped(self.connection(), checked, self.row_cap, self.time_limit)
        except Refused as exc:
            return Answer(
                "refused",
                question,
                "the model wrote SQL that may not run",
                sql,
                answer=f"Refused: {exc}. Nothing ran.",
                follow_ups=list(EXAMPLES),
                understood_by="llm",
            )
        except Stopped as exc:
            return Answer(
                "refused",
                question,
                "the model wrote SQL that ran too long",
                sql,
                answer=f"Stopped: {exc}.",
                follow_ups=list(EXAMPLES),
                understood_by="llm",
            )
        except duckdb.Error as exc:
            return Answer(
                "refused",
                question,
                "the model wrote SQL the warehouse could not run",
                sql,
                answer=f"Refused: {str(exc).splitlines()[0][:300]}.",
                follow_ups=list(EXAMPLES),
                understood_by="llm",
            )
        rows = [list(r) for r in result.rows]
        count = f"{len(rows):,} row{'s' if len(rows) != 1 else ''}"
        return Answer(
            "answered",
            question,
            "the model's own SQL (its filters are in the SQL)",
            checked,
            result.columns,
            rows,
            f"The query returned {count}{' (cut at the row cap)' if result.truncated else ''}.",
            list(EXAMPLES[:2]),
            understood_by="llm",
        )

    def _remember(self, question: str, answer: Answer) -> None:
        self.session.questions.append(question[:2000])
        if answer.status == "answered" and self._pending:
            self.session.query, self.session.range = self._pending
        self._pending = None
        if self.session_path:
            # an unwritable session folder costs the follow-ups, not the answer
            with contextlib.suppress(OSError):
                sessions.save(self.session_path, self.session)


def _default_topics() -> tuple[str, ...]:
    from ..scoring.topics import DEFAULT_TOPICS

    return DEFAULT_TOPICS
