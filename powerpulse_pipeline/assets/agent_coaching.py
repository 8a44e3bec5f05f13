"""`agent_coaching`: per agent, per ISO week and per month, the quality score and up to three
strengths and three improvements, each backed by that agent's conversations of the period.

A run rebuilds every week and month its days fall in, from all of the period's conversations
(not only the run's days). The category counts and the evidence are SQL over `conversations`;
the points come from the offline coach (rules over the counts) or, with a key, from one LLM
call per agent and period over its reviews, cached by everything the call was shown.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..coaching.points import (
    MAX_EXAMPLES,
    OFFLINE_COACH,
    AgentPeriod,
    CategoryStats,
    Point,
    Review,
    offline_points,
)
from ..partitions import DUCKDB_POOL
from ..scoring import quality
from ..scoring.resource import ScorerResource
from ..semantics.dimensions import agent_rows
from ..warehouse.checks import AGENT_COACHING_CHECKS
from ..warehouse.io import registered, save_rows, transaction
from ..warehouse.schema import ensure_schema
from ..warehouse.tables import AGENT_COACHING, COACHING_CACHE
from .daily import daily_defaults, day_range

if TYPE_CHECKING:
    from ..coaching.openai_coach import OpenAICoach

# Reviews an LLM coach reads per agent and period: those with most failures first.
MAX_REVIEWS = 40

_PERIODS = """
    CREATE OR REPLACE TEMP TABLE coaching_periods AS
    WITH days AS (SELECT d::DATE AS day FROM range($first_day::DATE, $last_day::DATE + 1,
        INTERVAL 1 DAY) t(d))
    SELECT DISTINCT 'week' AS period, date_trunc('week', day)::DATE AS period_start,
        (date_trunc('week', day) + INTERVAL 6 DAY)::DATE AS period_end FROM days
    UNION
    SELECT DISTINCT 'month', date_trunc('month', day)::DATE,
        (date_trunc('month', day) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE FROM days
"""

_ROWS = f"""
    CREATE OR REPLACE TEMP TABLE coaching_rows AS
    SELECT p.period, p.period_start, p.period_end, c.agent_name, c.conversation_id, c.day,
        c.qa_score, c.summary, c.coaching_note, {", ".join(f"c.{col}" for col in quality.COLUMNS)}
    FROM coaching_periods p JOIN conversations c ON c.day BETWEEN p.period_start AND p.period_end
    WHERE {agent_rows("c")}
"""

# Agents with at least one review in the period: without one there is nothing to coach from.
_AGENTS = """
    SELECT period, period_start, any_value(period_end) AS period_end, agent_name,
        count(*) AS conversations, count(qa_score) AS reviewed, avg(qa_score) AS qa_score
    FROM coaching_rows GROUP BY period, period_start, agent_name HAVING count(qa_score) > 0
"""

_VERDICTS = f"""
    CREATE OR REPLACE TEMP TABLE coaching_verdicts AS
    SELECT period, period_start, agent_name, conversation_id, day,
        substr(category, 4) AS category, verdict
    FROM coaching_rows UNPIVOT (verdict FOR category IN ({", ".join(quality.COLUMNS)}))
"""

_CATEGORIES = f"""
    SELECT period, period_start, agent_name, category,
        count(*) FILTER (WHERE verdict) AS passed,
        count(*) FILTER (WHERE NOT verdict) AS failed,
        list(conversation_id ORDER BY day DESC, conversation_id) FILTER (WHERE verdict)
            [1:{MAX_EXAMPLES}] AS pass_examples,
        list(conversation_id ORDER BY day DESC, conversation_id) FILTER (WHERE NOT verdict)
            [1:{MAX_EXAMPLES}] AS fail_examples
    FROM coaching_verdicts GROUP BY ALL
"""

_REVIEWS = f"""
    WITH per_conversation AS (
        SELECT period, period_start, agent_name, conversation_id, any_value(day) AS day,
            list(category ORDER BY category) FILTER (WHERE verdict) AS passed,
            list(category ORDER BY category) FILTER (WHERE NOT verdict) AS failed
        FROM coaching_verdicts GROUP BY ALL
    )
    SELECT v.*, r.summary, r.coaching_note
    FROM per_conversation v JOIN coaching_rows r
        USING (period, period_start, agent_name, conversation_id)
    QUALIFY row_number() OVER (
        PARTITION BY v.period, v.period_start, v.agent_name
        ORDER BY len(coalesce(v.failed, [])) DESC, v.day DESC, v.conversation_id) <= {MAX_REVIEWS}
"""


@dataclass
class CoachingWritten:
    periods: int
    rows: int
    coach: str
    requests: int = 0
    retries: int = 0
    fallbacks: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)


Key = tuple[str, date, str]


def _key(row: dict[str, Any]) -> Key:
    return (row["period"], row["period_start"], row["agent_name"])


def read_agent_periods(
    conn: duckdb.DuckDBPyConnection, first_day: date, last_day: date, with_reviews: bool
) -> list[AgentPeriod]:
    """Every agent period the day range falls in, with its category counts and evidence."""
    params = {"first_day": first_day, "last_day": last_day}
    conn.execute(_PERIODS, params)
    conn.execute(_ROWS)
    conn.execute(_VERDICTS)
    categories: dict[Key, list[CategoryStats]] = {}
    for row in conn.sql(_CATEGORIES).to_arrow_table().to_pylist():
        categories.setdefault(_key(row), []).append(
            CategoryStats(
                row["category"],
                row["passed"],
                row["failed"],
                tuple(row["pass_examples"] or ()),
                tuple(row["fail_examples"] or ()),
            )
        )
    reviews: dict[Key, list[Review]] = {}
    if with_reviews:
        for row in conn.sql(_REVIEWS).to_arrow_table().to_pylist():
            reviews.setdefault(_key(row), []).append(
                Review(
                    row["conversation_id"],
                    tuple(row["passed"] or ()),
                    tuple(row["failed"] or ()),
                    row["summary"],
                    row["coaching_note"],
                )
            )
    order = {name: i for i, name in enumerate(quality.NAMES)}
    agents = [
        AgentPeriod(
            row["period"],
            row["period_start"],
            row["period_end"],
            row["agent_name"],
            row["conversations"],
            row["reviewed"],
            row["qa_score"],
            tuple(sorted(categories.get(_key(row), []), key=lambda s: order[s.category])),
            tuple(reviews.get(_key(row), [])),
        )
        for row in conn.sql(_AGENTS).to_arrow_table().to_pylist()
    ]
    agents.sort(key=lambda a: (a.period, a.period_start, a.agent_name))
    return agents


def _llm_points(
    conn_factory: Callable[[], Any],
    coach: "OpenAICoach",
    agents: list[AgentPeriod],
    written: CoachingWritten,
    log: Callable[[str], None],
) -> dict[Key, list[Point]]:
    """Points from the cache or the LLM; a period it could not coach is left out (offline)."""
    hashes = {coach.input_hash(a): a for a in agents}
    with conn_factory() as conn:
        cached = dict(
            conn.execute(
                "SELECT input_hash, points FROM coaching_cache "
                "WHERE coach = $coach AND list_contains($hashes, input_hash)",
                {"coach": coach.name, "hashes": list(hashes)},
            ).fetchall()
        )
    points: dict[Key, list[Point]] = {}
    for input_hash, raw in cached.items():
        agent = hashes[input_hash]
        points[(agent.period, agent.period_start, agent.agent_name)] = [
            Point(p["kind"], p["category"], p["text"], tuple(p["examples"]))
            for p in json.loads(raw)
        ]
    todo_hashes = [h for h in hashes if h not in cached]
    todo = [hashes[h] for h in todo_hashes]
    written.cache_hits = len(cached)
    results, stats = coach.coach_all(todo, log)
    written.requests, written.retries, written.fallbacks = (
        stats.requests,
        stats.retries,
        stats.failures,
    )
    written.prompt_tokens, written.completion_tokens = stats.prompt_tokens, stats.completion_tokens
    written.cost_usd, written.errors = stats.cost_usd, stats.errors
    fresh = []
    for input_hash, agent, result in zip(todo_hashes, todo, results, strict=True):
        if result.points is None:
            continue
        points[(agent.period, agent.period_start, agent.agent_name)] = result.points
        fresh.append(
            {
                "input_hash": input_hash,
                "coach": coach.name,
                "points": json.dumps(
                    [p.__dict__ | {"examples": list(p.examples)} for p in result.points]
                ),
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "cost_usd": result.cost_usd,
                "created_at": datetime.now(UTC),
            }
        )
    if fresh:
        save_rows(
            conn_factory,
            "coaching_cache",
            pa.Table.from_pylist(fresh, schema=COACHING_CACHE.arrow_schema()),
        )
    return points


def _row(agent: AgentPeriod, points: list[Point], coach: str, now: datetime) -> dict[str, Any]:
    strengths = [p for p in points if p.kind == "strength"]
    improvements = [p for p in points if p.kind == "improvement"]
    return {
        "period": agent.period,
        "period_start": agent.period_start,
        "period_end": agent.period_end,
        "agent_name": agent.agent_name,
        "conversations": agent.conversations,
        "reviewed_conversations": agent.reviewed,
        "qa_score": agent.qa_score,
        "strengths": [p.text for p in strengths],
        "improvements": [p.text for p in improvements],
        "strength_categories": [p.category for p in strengths],
        "improvement_categories": [p.category for p in improvements],
        "strength_examples": [list(p.examples) for p in strengths],
        "improvement_examples": [list(p.examples) for p in improvements],
        "example_conversation_ids": list(dict.fromkeys(c for p in points for c in p.examples)),
        "generated_by": coach,
        "generated_at": now,
    }


def write_agent_coaching(
    conn_factory: Callable[[], Any],
    coach: "OpenAICoach | None",
    first_day: date,
    last_day: date,
    log: Callable[[str], None] = print,
) -> CoachingWritten:
    """Rebuild the coaching of every week and month the day range falls in."""
    with conn_factory() as conn:
        ensure_schema(conn)
        agents = read_agent_periods(conn, first_day, last_day, with_reviews=coach is not None)
        periods = conn.execute("SELECT period, period_start FROM coaching_periods").fetchall()
    written = CoachingWritten(len(periods), len(agents), coach.name if coach else OFFLINE_COACH)
    llm = _llm_points(conn_factory, coach, agents, written, log) if coach and agents else {}
    now = datetime.now(UTC)
    rows = []
    for agent in agents:
        key = (agent.period, agent.period_start, agent.agent_name)
        if key in llm:
            rows.append(_row(agent, llm[key], written.coach, now))
        else:
            rows.append(_row(agent, offline_points(agent), OFFLINE_COACH, now))
    table = pa.Table.from_pylist(rows, schema=AGENT_COACHING.arrow_schema())
    new_periods = pa.table(
        {
            "period": [p for p, _ in periods],
            "period_start": pa.array([s for _, s in periods], pa.date32()),
        }
    )
    with (
        conn_factory() as conn,
        transaction(conn),
        registered(conn, new_periods=new_periods, new_coaching=table),
    ):
        conn.execute(
            "DELETE FROM agent_coaching USING new_periods n "
            "WHERE agent_coaching.period = n.period "
            "AND agent_coaching.period_start = n.period_start"
        )
        conn.execute("INSERT INTO agent_coaching BY NAME SELECT * FROM new_coaching")
    return written


def build_agent_coaching_asset(daily: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="agent_coaching",
        deps=["conversations"],
        pool=DUCKDB_POOL,
        kinds={"duckdb", "openai"},
        check_specs=[check.spec("agent_coaching") for check in AGENT_COACHING_CHECKS],
        metadata={
            "dagster/column_schema": AGENT_COACHING.column_schema(),
            "dagster/table_name": "agent_coaching",
        },
        description=(
            "Per agent and ISO week, and per agent and month: conversations, quality score, "
            "up to 3 strengths and 3 improvements, each citing conversations of that agent "
            "in that period that show it. Offline from the review categories passed or "
            "failed most; with a key, one LLM call per agent and period over its reviews "
            "(summaries and coaching notes, never transcripts), cached. Agents in "
            "POWERPULSE_EXCLUDED_AGENTS are left out."
        ),
        **daily_defaults(daily),
    )
    def agent_coaching(
        context: AssetExecutionContext, duckdb: DuckDBResource, scorer: ScorerResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        coach = scorer.build_coach()
        written = write_agent_coaching(
            duckdb.get_connection, coach, first_day, last_day, log=context.log.info
        )
        for error in written.errors[:3]:
            context.log.warning(f"an agent period fell back to the offline coach: {error}")
        with duckdb.get_connection() as conn:
            checks = [check.run(conn, first_day, last_day) for check in AGENT_COACHING_CHECKS]
        return MaterializeResult(
            metadata={
                "dagster/row_count": written.rows,
                "coach": written.coach,
                "run_periods": written.periods,
                "run_requests": written.requests,
                "run_retries": written.retries,
                "run_fallbacks": written.fallbacks,
                "run_cache_hits": written.cache_hits,
                "run_prompt_tokens": written.prompt_tokens,
                "run_completion_tokens": written.completion_tokens,
                "run_cost_usd": MetadataValue.float(round(written.cost_usd, 6)),
            },
            check_results=checks,
        )

    return agent_coaching
