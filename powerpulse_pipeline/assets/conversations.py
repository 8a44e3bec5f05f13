"""`conversations`: each conversation's facts joined to the current scorer's result, and
whether the customer came back (observed FCR, NULL while the window is open), in SQL."""

from datetime import date, timedelta

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
)
from dagster_duckdb import DuckDBResource

from ..partitions import DUCKDB_POOL
from ..scoring import quality
from ..scoring.base import scorer_family, scorer_family_sql
from ..scoring.quality import quality_score_sql
from ..scoring.resource import ScorerResource
from ..settings import Settings, agent_key
from ..warehouse.checks import CONVERSATIONS_CHECKS
from ..warehouse.io import one_row, transaction
from ..warehouse.repeat_contact import WINDOW_CLOSED, WINDOW_END, window_params
from ..warehouse.schema import ensure_schema
from ..warehouse.sessions import AGENT_KEY
from ..warehouse.tables import CONVERSATION_FACTS, CONVERSATIONS
from .daily import daily_defaults, day_range

NOT_SCORED_YET = "not scored yet: score_cache has not run for this content"

_SCORE_COLUMNS = (
    "sentiment",
    "satisfaction",
    "resolved",
    "topics",
    "language",
    "summary",
    *quality.COLUMNS,
    "coaching_note",
)

_JOIN = f"""
    WITH range_facts AS (
        SELECT * FROM conversation_facts WHERE day BETWEEN $first_day AND $last_day
    ),
    -- Per content, the score to show: a success before a failure, this version before an
    -- older one of the same family (kept until a re-score), the newest last.
    score AS (
        SELECT s.* FROM score_cache s SEMI JOIN range_facts f USING (content_hash)
        WHERE {scorer_family_sql("s.scorer")} = $family
        QUALIFY row_number() OVER (
            PARTITION BY s.content_hash ORDER BY s.status = 'scored' DESC,
            s.scorer = $scorer AND s.scorer_version = $version DESC, s.scored_at DESC) = 1
    )
    SELECT {", ".join(f"f.{name}" for name in CONVERSATION_FACTS.names)},
        {", ".join(f"CASE WHEN s.status = 'scored' THEN s.{c} END AS {c}" for c in _SCORE_COLUMNS)},
        CASE WHEN s.status = 'scored' THEN {quality_score_sql("s.")} END AS qa_score,
        coalesce(s.scorer, $scorer) AS scorer,
        coalesce(s.scorer_version, $version) AS scorer_version,
        CASE WHEN s.status = 'scored' THEN 'scored' ELSE 'failed' END AS score_status,
        CASE WHEN s.status IS NULL THEN $not_scored
            WHEN s.status <> 'scored' THEN s.error END AS score_error,
        CASE WHEN s.status IS NOT NULL THEN coalesce(s.cost_usd, 0) END AS score_cost_usd,
        CASE WHEN f.{WINDOW_CLOSED}
            THEN coalesce(r.sent_at <= f.{WINDOW_END}, false) END AS repeat_contact,
        coalesce(list_contains($excluded, {AGENT_KEY.format("f.agent_name")}), false)
            AS agent_excluded
    FROM range_facts f LEFT JOIN score s USING (content_hash)
    -- the chat's next customer message after this conversation ended
    ASOF LEFT JOIN (SELECT chat_id, sent_at FROM raw_messages WHERE sender_role = 'customer') r
        ON r.chat_id = f.chat_id AND r.sent_at > f.ended_at
"""


def write_conversations(
    conn: duckdb.DuckDBPyConnection,
    scorer: str,
    version: str,
    first_day: date,
    last_day: date,
    repeat_window: timedelta,
    excluded_agents: tuple[str, ...] = (),
) -> tuple[int, int]:
    """Replace the range; returns (conversations, of which without a score)."""
    with transaction(conn):
        conn.execute("DELETE FROM conversations WHERE day BETWEEN ? AND ?", [first_day, last_day])
        conn.execute(
            f"INSERT INTO conversations BY NAME {_JOIN}",
            {
                "scorer": scorer,
                "version": version,
                "family": scorer_family(scorer),
                "excluded": [agent_key(name) for name in excluded_agents],
                "not_scored": NOT_SCORED_YET,
                "first_day": first_day,
                "last_day": last_day,
                **window_params(repeat_window),
            },
        )
    written, failed = one_row(
        conn,
        "SELECT count(*), count(*) FILTER (WHERE score_status <> 'scored') FROM conversations "
        "WHERE day BETWEEN ? AND ?",
        [first_day, last_day],
    )
    return int(written), int(failed)


def build_conversations_asset(
    settings: Settings, daily: DailyPartitionsDefinition
) -> AssetsDefinition:
    @asset(
        name="conversations",
        deps=["score_cache"],
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        check_specs=[check.spec("conversations") for check in CONVERSATIONS_CHECKS],
        metadata={
            "dagster/column_schema": CONVERSATIONS.column_schema(),
            "dagster/table_name": "conversations",
        },
        description=(
            "One row per conversation: its facts from `conversation_facts` joined to the "
            "current scorer's result in `score_cache`. A conversation whose scoring failed is "
            "kept with score_status = 'failed' and retried on the next materialization. "
            "repeat_contact: did the chat start another conversation within "
            "POWERPULSE_REPEAT_CONTACT_DAYS (NULL while that window is open)."
        ),
        **daily_defaults(daily),
    )
    def conversations(
        context: AssetExecutionContext, duckdb: DuckDBResource, scorer: ScorerResource
    ) -> MaterializeResult:
        first_day, last_day = day_range(context)
        active = scorer.build()
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            written, failed = write_conversations(
                conn,
                active.name,
                active.version,
                first_day,
                last_day,
                settings.repeat_contact_window,
                settings.excluded_agents,
            )
            checks = [check.run(conn, first_day, last_day) for check in CONVERSATIONS_CHECKS]
        if failed:
            context.log.warning(f"{failed} conversations have no score (score_status=failed)")
        return MaterializeResult(
            metadata={
                "dagster/row_count": written,
                "scored": written - failed,
                "failed": failed,
                "scorer": active.name,
            },
            check_results=checks,
        )

    return conversations
