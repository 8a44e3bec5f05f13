"""The dashboard's per-agent quality and coaching equal the analysts' macros and plain SQL:
each agent's quality score, category pass rates and counts (agent_metrics_between and counts
written here), the weekly trend (avg(qa_score) by ISO week, written here, not through the
semantic layer), the coaching shown (coaching_between's rows, chosen as the page says) and
the messages of every conversation a coaching point cites, embedded in the page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.settings import Settings

from .embedded import embedded_data
from .test_data import _rows, _same

CATEGORY_METRICS = tuple(f"qa_{name}_pct" for name in quality.NAMES)


@pytest.fixture(scope="module")
def data(page: Path) -> dict[str, Any]:
    return embedded_data(page.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def conn(warehouse: Settings, page: Path):
    # after the page: writing it opens the warehouse read-write
    with duckdb.connect(str(warehouse.work_db_path), read_only=True) as connection:
        yield connection


def _periods(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in data["periods"] if p["has_data"]]


def test_the_warehouse_has_reviews_and_coaching(conn) -> None:
    # otherwise every comparison below would hold trivially
    reviewed, rows = conn.execute(
        "SELECT (SELECT count(qa_score) FROM conversations), (SELECT count(*) FROM agent_coaching)"
    ).fetchone()
    assert reviewed > 100 and rows > 10


def test_quality_score_and_pass_rates_equal_agent_metrics_between(data, conn) -> None:
    assert [c["name"] for c in data["quality_categories"]] == list(quality.NAMES)
    assert [c["label"] for c in data["quality_categories"]] == [c.label for c in quality.CATEGORIES]
    for period in _periods(data):
        expected = {
            a["agent_name"]: a
            for a in _rows(
                conn,
                "SELECT agent_name, reviewed_conversations, qa_score, "
                f"{', '.join(CATEGORY_METRICS)} FROM agent_metrics_between(?, ?)",
                [period["start"], period["end"]],
            )
        }
        shown = {
            a["agent_name"]: {k: a[k] for k in expected[a["agent_name"]]}
            for a in data["agents"][period["id"]]
        }
        assert _same(shown, expected), period["id"]
        assert any(a["qa_score"] is not None for a in expected.values()), period["id"]
        # the counts behind each pass rate, by hand
        counts = data["agent_categories"][period["id"]]
        assert counts.keys() == expected.keys()
        for agent, row in expected.items():
            for name in quality.NAMES:
                passed, applicable = conn.execute(
                    f"SELECT count_if(qa_{name}), count(qa_{name}) "
                    "FROM agent_conversations(?, ?, ?) WHERE agent_excluded IS NOT TRUE",
                    [period["start"], period["end"], agent],
                ).fetchone()
                assert counts[agent][name] == {"passed": passed, "applicable": applicable}
                pct = row[f"qa_{name}_pct"]
                assert (pct is None) == (applicable == 0)
                if applicable:
                    assert _same(pct, 100.0 * passed / applicable)


def test_the_weekly_trend_is_qa_score_by_week_by_hand(data, conn) -> None:
    coaching_weeks = {
        (r[0], r[1].isoformat()): r[2]
        for r in conn.execute(
            "SELECT agent_name, period_start, qa_score FROM agent_coaching WHERE period = 'week'"
        ).fetchall()
    }
    compared = 0
    for period in _periods(data):
        # every whole ISO week (Monday first) that overlaps the period, as the weekly chart
        rows = _rows(
            conn,
            """
            SELECT agent_name, date_trunc('week', day)::DATE AS week_start,
                avg(qa_score) AS qa_score, count(qa_score) AS reviewed_conversations
            FROM conversations
            WHERE agent_name IS NOT NULL AND agent_excluded IS NOT TRUE
                AND date_trunc('week', day)::DATE + 6 >= ?::DATE
                AND date_trunc('week', day)::DATE <= ?::DATE
            GROUP BY ALL ORDER BY agent_name, week_start
            """,
            [period["start"], period["end"]],
        )
        expected: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            expected.setdefault(row.pop("agent_name"), []).append(row)
        assert _same(data["agent_trend"][period["id"]], expected), period["id"]
        for agent, weeks in expected.items():
            for week in weeks:
                # a week's point is that week's coaching score, when it was coached
                coached = coaching_weeks.get((agent, week["week_start"]))
                if coached is not None:
                    assert abs(coached - week["qa_score"]) < 1e-9
                    compared += 1
    assert compared > 5


def _shown_coaching(conn, period: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """coaching_between's rows for the period, as the page chooses them: a month's row and
    its weeks; for the last N days, each agent's latest week and latest month."""
    rows = _rows(
        conn,
        "SELECT * EXCLUDE (generated_at) FROM coaching_between(?, ?)",
        [period["start"], period["end"]],
    )
    chosen: dict[str, list[dict[str, Any]]] = {}
    for row in rows:  # newest first
        agent = row.pop("agent_name")
        mine = chosen.setdefault(agent, [])
        if period["id"].startswith("last-") and any(r["period"] == row["period"] for r in mine):
            continue
        mine.append(row)
    # the month first, then the weeks, newest first
    order = lambda r: (r["period"] == "week", -date.fromisoformat(r["period_start"]).toordinal())  # noqa: E731
    return {agent: sorted(mine, key=order) for agent, mine in chosen.items()}


def test_the_coaching_shown_is_coaching_between(data, conn) -> None:
    for period in _periods(data):
        expected = _shown_coaching(conn, period)
        shown = data["coaching"].get(period["id"], {})
        assert _same(shown, expected), period["id"]
        assert expected, period["id"]
        for agent, rows in expected.items():
            kinds = [r["period"] for r in rows]
            if period["id"].startswith("month-"):
                assert kinds.count("month") == 1 and rows[0]["period_start"] == period["start"]
            else:
                assert sorted(kinds) == sorted(set(kinds))  # one of each at most
            for row in rows:
                assert row["strengths"] or row["improvements"], (agent, row)
                assert len(row["strength_examples"]) == len(row["strengths"])
                assert len(row["improvement_examples"]) == len(row["improvements"])


def test_every_cited_conversation_opens_on_the_page(data, conn) -> None:
    cited = {
        cid
        for period in data["coaching"].values()
        for rows in period.values()
        for row in rows
        for examples in (*row["strength_examples"], *row["improvement_examples"])
        for cid in examples
    }
    assert cited and cited <= set(data["cited"])
    for cid in sorted(cited):
        texts = conn.execute("SELECT text FROM conversation_messages(?)", [cid]).fetchall()
        shown = data["conversations"][cid]
        assert [m[4] for m in shown] == [(t or "[attachment]")[:600] for (t,) in texts][:60]
        (row,) = _rows(
            conn,
            "SELECT day, agent_name, summary, qa_score, coaching_note, "
            f"{', '.join(quality.COLUMNS)} FROM conversations WHERE conversation_id = ?",
            [cid],
        )
        assert _same(data["cited"][cid], row)


def test_a_strength_cites_passes_and_an_improvement_failures(data) -> None:
    """What the page puts beside a point agrees with it: the cited conversation passed (a
    strength) or failed (an improvement) the point's category."""
    for period in data["coaching"].values():
        for rows in period.values():
            for row in rows:
                for kind, verdict in (("strength", True), ("improvement", False)):
                    for category, examples in zip(
                        row[f"{kind}_categories"], row[f"{kind}_examples"], strict=True
                    ):
                        for cid in examples:
                            assert data["cited"][cid][f"qa_{category}"] is verdict
