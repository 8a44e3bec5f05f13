"""`recurring_issues` and `recurring_issue_members`: per ISO week and per month, groups of
similar conversations with a label, size, the size of the same issue in the period before,
CSAT and examples (DESIGN.md section 11).

A run rebuilds every week and month its days fall in, and the week and month after each
(their "previous" counts read this period), from all of the period's conversations. Work is
proportional to the periods changed, never to the history.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..partitions import DUCKDB_POOL
from ..scoring.resource import ScorerResource
from ..semantics.metrics import aggregates
from ..similarity.issues import EXAMPLES, Group, find_groups
from ..similarity.openai_labels import MAX_SUMMARIES, IssueInput, LabelStats, OpenAILabeller
from ..similarity.texts import CUSTOMER_TEXTS
from ..warehouse.checks import RECURRING_ISSUES_CHECKS
from ..warehouse.io import registered, save_rows, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import ISSUE_LABEL_CACHE, RECURRING_ISSUE_MEMBERS, RECURRING_ISSUES
from .daily import daily_defaults, day_range

OFFLINE_LABELS = "offline:keywords"

# The weeks and months the days fall in, and the one after each.
_PERIODS = """
    WITH days AS (SELECT d::DATE AS day FROM range($first_day::DATE, $last_day::DATE + 1,
        INTERVAL 1 DAY) t(d)),
    touched AS (
        SELECT DISTINCT 'week' AS period, date_trunc('week', day)::DATE AS period_start FROM days
        UNION SELECT DISTINCT 'month', date_trunc('month', day)::DATE FROM days
    ),
    periods AS (
        SELECT * FROM touched
        UNION SELECT period, CASE period WHEN 'week' THEN period_start + INTERVAL 7 DAY
            ELSE period_start + INTERVAL 1 MONTH END::DATE FROM touched
    )
    SELECT period, period_start,
        CASE period WHEN 'week' THEN period_start + INTERVAL 6 DAY
            ELSE period_start + INTERVAL 1 MONTH - INTERVAL 1 DAY END::DATE AS period_end,
        CASE period WHEN 'week' THEN period_start - INTERVAL 7 DAY
            ELSE period_start - INTERVAL 1 MONTH END::DATE AS previous_start
    FROM periods ORDER BY period, period_start
"""

_PERIOD_ROWS = f"""
    SELECT e.conversation_id, e.embedding, t.text, c.summary
    FROM conversation_embeddings e JOIN ({CUSTOMER_TEXTS}) t USING (conversation_id)
    LEFT JOIN conversations c USING (conversation_id)
    WHERE e.model = $model AND e.day BETWEEN $first_day AND $last_day
    ORDER BY e.conversation_id
"""

_PREVIOUS = """
    SELECT embedding FROM conversation_embeddings
    WHERE model = $model AND day BETWEEN $first_day AND $last_day
"""

# CSAT of each group, by the semantic layer's one definition.
_CSAT = f"""
    UPDATE recurring_issues r SET csat_pct = g.csat_pct FROM (
        SELECT m.period, m.period_start, m.issue_id, {aggregates(["csat_pct"])}
        FROM recurring_issue_members m JOIN conversations USING (conversation_id)
        WHERE (m.period, m.period_start) IN (SELECT (period, period_start) FROM new_periods)
        GROUP BY ALL
    ) g
    WHERE r.period = g.period AND r.period_start = g.period_start AND r.issue_id = g.issue_id
"""


@dataclass
class IssuesWritten:
    periods: int
    issues: int
    members: int
    seconds: float
    labeller: str = OFFLINE_LABELS
    label_stats: LabelStats = field(default_factory=LabelStats)
    label_cache_hits: int = 0


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    if len(column) == 0:
        return np.zeros((0, 0), np.float32)
    lists = column.combine_chunks()
    width = len(lists[0])
    return lists.values.to_numpy(zero_copy_only=False).reshape(-1, width).astype(np.float32)


def write_recurring_issues(
    conn_factory: Callable[[], Any],
    model: str,
    first_day: date,
    last_day: date,
    log: Callable[[str], None] = print,
    labeller: OpenAILabeller | None = None,
) -> IssuesWritten:
    started = time.monotonic()
    issues: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    inputs: list[IssueInput] = []
    with conn_factory() as conn:
        ensure_schema(conn)
        periods = conn.execute(_PERIODS, {"first_day": first_day, "last_day": last_day}).fetchall()
        for period, start, end, previous_start in periods:
            rows = conn.sql(
                _PERIOD_ROWS, params={"model": model, "first_day": start, "last_day": end}
            ).to_arrow_table()
            if rows.num_rows == 0:
                continue
            before = conn.sql(
                _PREVIOUS,
                params={
                    "model": model,
                    "first_day": previous_start,
                    "last_day": start - timedelta(days=1),
                },
            ).to_arrow_table()
            ids = rows.column("conversation_id").to_pylist()
            summaries = rows.column("summary").to_pylist()
            groups = find_groups(
                _matrix(rows.column("embedding")),
                rows.column("text").to_pylist(),
                ids,
                _matrix(before.column("embedding")),
            )
            for number, group in enumerate(groups, start=1):
                issues.append(_issue(period, start, end, number, group, ids))
                inputs.append(
                    IssueInput(
                        tuple(group.keywords),
                        tuple(summaries[i] for i in group.members[:MAX_SUMMARIES] if summaries[i]),
                    )
                )
                members.extend(
                    {
                        "period": period,
                        "period_start": start,
                        "period_end": end,
                        "issue_id": number,
                        "conversation_id": ids[i],
                        "similarity": float(s),
                    }
                    for i, s in zip(group.members, group.similarities, strict=True)
                )
    written = IssuesWritten(len(periods), len(issues), len(members), 0.0)
    if labeller is not None and issues:
        _llm_labels(conn_factory, labeller, issues, inputs, written)
    tables = {
        "new_periods": pa.table(
            {
                "period": [p[0] for p in periods],
                "period_start": pa.array([p[1] for p in periods], pa.date32()),
            }
        ),
        "new_issues": pa.Table.from_pylist(issues, schema=RECURRING_ISSUES.arrow_schema()),
        "new_members": pa.Table.from_pylist(members, schema=RECURRING_ISSUE_MEMBERS.arrow_schema()),
    }
    with conn_factory() as conn, transaction(conn), registered(conn, **tables):
        for table in ("recurring_issues", "recurring_issue_members"):
            conn.execute(
                f"DELETE FROM {table} USING new_periods n WHERE {table}.period = n.period "
                f"AND {table}.period_start = n.period_start"
            )
        conn.execute("INSERT INTO recurring_issues BY NAME SELECT * FROM new_issues")
        conn.execute("INSERT INTO recurring_issue_members BY NAME SELECT * FROM new_members")
        conn.execute(_CSAT)
    written.seconds = time.monotonic() - started
    log(
        f"{written.issues} recurring issues ({written.members} conversations) in "
        f"{written.periods} weeks and months, {written.seconds:.1f} s"
    )
    return written


def _llm_labels(
    conn_factory: Callable[[], Any],
    labeller: OpenAILabeller,
    issues: list[dict[str, Any]],
    inputs: list[IssueInput],
    written: IssuesWritten,
) -> None:
    """Labels from the cache or one call per group; a group the LLM could not name keeps its
    distinctive words."""
    hashes = [labeller.input_hash(i) for i in inputs]
    with conn_factory() as conn:
        cached = dict(
            conn.execute(
                "SELECT input_hash, label FROM issue_label_cache "
                "WHERE labeller = $labeller AND list_contains($hashes, input_hash)",
                {"labeller": labeller.name, "hashes": hashes},
            ).fetchall()
        )
    todo = [n for n, h in enumerate(hashes) if h not in cached and inputs[n].summaries]
    results, stats = labeller.label_all([inputs[n] for n in todo])
    fresh = []
    for n, result in zip(todo, results, strict=True):
        if result.label is None:
            continue
        cached[hashes[n]] = result.label
        fresh.append(
            {
                "input_hash": hashes[n],
                "labeller": labeller.name,
                "label": result.label,
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "cost_usd": result.cost_usd,
                "created_at": datetime.now(UTC),
            }
        )
    for issue, input_hash in zip(issues, hashes, strict=True):
        if input_hash in cached:
            issue["label"] = cached[input_hash]
            issue["labelled_by"] = labeller.name
    written.labeller = labeller.name
    written.label_stats = stats
    written.label_cache_hits = len(hashes) - len(todo)
    if fresh:
        save_rows(
            conn_factory,
            "issue_label_cache",
            pa.Table.from_pylist(fresh, schema=ISSUE_LABEL_CACHE.arrow_schema()),
        )


def _issue(
    period: str, start: date, end: date, number: int, group: Group, ids: list[str]
) -> dict[str, Any]:
    return {
        "period": period,
        "period_start": start,
        "period_end": end,
        "issue_id": number,
        "label": group.label,
        "keywords": group.keywords,
        "conversations": group.size,
        "previous_conversations": group.previous,
        "csat_pct": None,
        "example_conversation_ids": [ids[i] for i in group.members[:EXAMPLES]],
        "labelled_by": OFFLINE_LABELS,
    }


def build_recurring_issues_asset(daily: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="recurring_issues",
        deps=["conversation_embeddings", "conversations"],
        pool=DUCKDB_POOL,
        kinds={"python", "duckdb"},
        check_specs=[check.spec("recurring_issues") for check in RECURRING_ISSUES_CHECKS],
        metadata={
            "dagster/column_schema": RECURRING_ISSUES.column_schema(),
            "dagster/table_name": "recurring_issues",
        },
        description=(
            "Per ISO week and month: groups of conversations whose customers wrote about the "
            "same thing (k-means on their embeddings), each with a label, its size, the same "
            "issue's size in the period before, CSAT and examples; members in "
            "recurring_issue_members."
        ),
        **daily_defaults(daily),
    )
    def recurring_issues(
        context: AssetExecutionContext, duckdb: DuckDBResource, scorer: ScorerResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        model = scorer.embedding_name()
        if model is None:
            return MaterializeResult(
                metadata={"embedder": "off"},
                check_results=[
                    AssetCheckResult(check_name=c.name, passed=True, metadata={"skipped": "off"})
                    for c in RECURRING_ISSUES_CHECKS
                ],
            )
        written = write_recurring_issues(
            duckdb.get_connection,
            model,
            first_day,
            last_day,
            log=context.log.info,
            labeller=scorer.build_labeller(),
        )
        with duckdb.get_connection() as conn:
            checks = [check.run(conn, first_day, last_day) for check in RECURRING_ISSUES_CHECKS]
        labels = written.label_stats
        for error in labels.errors[:3]:
            context.log.warning(f"a group kept its words for a label: {error}")
        return MaterializeResult(
            metadata={
                "dagster/row_count": written.issues,
                "labelled_by": written.labeller,
                "run_label_requests": labels.requests,
                "run_label_retries": labels.retries,
                "run_label_fallbacks": labels.failures,
                "run_label_cache_hits": written.label_cache_hits,
                "run_label_cost_usd": MetadataValue.float(round(labels.cost_usd, 6)),
                "run_periods": written.periods,
                "run_issues": written.issues,
                "run_grouped_conversations": written.members,
                "run_elapsed_seconds": round(written.seconds, 3),
            },
            check_results=checks,
        )

    return recurring_issues
