"""Upgrading PowerPulse does not silently re-score history (issue 16): a warehouse scored
before the quality review existed keeps its scores when its days are rebuilt, its review
columns stay NULL ("not reviewed"), no day turns unscored, and `force_rescore` reviews it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, RunRequest

from powerpulse_pipeline.ask.vocabulary import Vocabulary
from powerpulse_pipeline.pipeline import DAILY_JOB, build_definitions
from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.sensors.inbox import PARTITION_RANGE_END, PARTITION_RANGE_START
from powerpulse_pipeline.settings import Settings

from ..fake_openai import fake_openai_server
from ..harness import SensorDriver

# One export is enough (and keeps these runs short): 3-9 March 2025, several agents.
EXPORT = Path(__file__).resolve().parents[2] / "data" / "samples" / "grouped_export_2025-03-03.json"
_REVIEW = (*quality.COLUMNS, "coaching_note")


def _as_before_the_review(work_db: Path, old_version: str) -> None:
    """Make the pipeline's database look as an earlier release left it: scores of an older
    rules or prompt version, and no review columns at all."""
    with duckdb.connect(str(work_db)) as conn:
        conn.execute(f"UPDATE score_cache SET scorer_version = '{old_version}'")
        conn.execute(
            "UPDATE score_cache SET scorer = 'offline:2' WHERE starts_with(scorer, 'offline:')"
        )
        for table in ("score_cache", "conversations"):
            for column in _REVIEW:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("ALTER TABLE conversations DROP COLUMN qa_score")
        conn.execute("DELETE FROM agent_coaching")


def _rebuild(driver: SensorDriver, first: str, last: str, force: bool = False) -> None:
    config = {"ops": {"score_cache": {"config": {"force_rescore": True}}}} if force else None
    driver.execute(
        DAILY_JOB,
        [
            RunRequest(
                run_config=config or {},
                tags={PARTITION_RANGE_START: first, PARTITION_RANGE_END: last},
            )
        ],
    )


def _figures(settings: Settings) -> dict[str, object]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        return {
            "scorers": conn.execute(
                "SELECT scorer, score_status, count(*), count(qa_score) FROM conversations "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall(),
            "scores": conn.execute(
                "SELECT conversation_id, satisfaction, sentiment, resolved FROM conversations "
                "ORDER BY ALL"
            ).fetchall(),
            "daily": conn.execute(
                "SELECT day, scored_conversations, failed_conversations, csat_pct "
                "FROM daily_metrics ORDER BY day"
            ).fetchall(),
            # rounded: a mean's last digit depends on the order DuckDB adds in
            "reviewed": conn.execute(
                "SELECT reviewed_conversations, round(qa_score, 9) FROM "
                "metrics_between('2025-01-01', '2025-12-31')"
            ).fetchone(),
            "coaching": conn.execute("SELECT count(*) FROM agent_coaching").fetchone()[0],
        }


def _settings_with_export(root: Path) -> Settings:
    settings = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(root / "data"), "POWERPULSE_START_DATE": "2025-01-01"}
    )
    settings.inbox_dir.mkdir(parents=True)
    shutil.copy(EXPORT, settings.inbox_dir / EXPORT.name)
    os.utime(settings.inbox_dir / EXPORT.name, (0, 0))
    return settings


def _days(settings: Settings) -> tuple[str, str]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        first, last = conn.execute("SELECT min(day), max(day) FROM conversations").fetchone()
    return first.isoformat(), last.isoformat()


def test_an_offline_warehouse_keeps_its_scores_until_a_rescore(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    settings = _settings_with_export(tmp_path)
    driver = SensorDriver(build_definitions(settings), instance)
    driver.ingest()
    fresh = _figures(settings)
    _as_before_the_review(settings.work_db_path, "2")
    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        cached = conn.execute("SELECT count(*) FROM score_cache").fetchone()[0]

    first, last = _days(settings)
    _rebuild(SensorDriver(build_definitions(settings), instance), first, last)
    kept = _figures(settings)
    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM score_cache").fetchone()[0] == cached  # none
    conversations = len(fresh["scores"])
    assert kept["scorers"] == [("offline:2", "scored", conversations, 0)]  # not reviewed
    assert kept["scores"] == fresh["scores"]
    assert kept["daily"] == fresh["daily"]  # no day turned unscored
    assert kept["reviewed"] == (0, None)
    assert kept["coaching"] == 0  # nothing reviewed, nothing to coach from

    _rebuild(SensorDriver(build_definitions(settings), instance), first, last, force=True)
    rescored = _figures(settings)
    assert rescored["scorers"] == fresh["scorers"]
    assert rescored["reviewed"] == fresh["reviewed"] and rescored["reviewed"][0] > 0
    assert rescored["coaching"] == fresh["coaching"] > 0

    _a_new_layout_is_published_without_waiting_for_a_file(settings, driver)


def test_a_new_prompt_sends_no_request_for_history(
    tmp_path: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_with_export(tmp_path)
    with fake_openai_server() as (url, state):
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-upgrade")
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        SensorDriver(build_definitions(settings), instance).ingest()
        fresh = _figures(settings)
        scored = state.schemas["conversation_score"]
        _as_before_the_review(settings.work_db_path, "conversation_v1-0123abcd")

        first, last = _days(settings)
        _rebuild(SensorDriver(build_definitions(settings), instance), first, last)
        kept = _figures(settings)
        assert state.schemas["conversation_score"] == scored  # history is not re-billed
        assert kept["scores"] == fresh["scores"] and kept["daily"] == fresh["daily"]
        assert kept["scorers"] == [("openai:gpt-4o-mini", "scored", len(fresh["scores"]), 0)]
        # (force_rescore is the same run config as offline, tested above)


def _a_new_layout_is_published_without_waiting_for_a_file(
    settings: Settings, driver: SensorDriver
) -> None:
    """After an upgrade the copy is published again by itself, so the explorer and `powerpulse
    ask` (whose queries name the new columns) work before any new file arrives."""
    with duckdb.connect(str(settings.duckdb_path)) as conn:  # the copy an older release wrote
        conn.execute("ALTER TABLE conversations DROP COLUMN agent_excluded")
        conn.execute("DROP TABLE agent_coaching")
    with (
        duckdb.connect(str(settings.duckdb_path), read_only=True) as conn,
        pytest.raises(duckdb.BinderException),
    ):
        Vocabulary.load(conn)
    cursor = json.loads(driver.cursors["touched_days_sensor"] or "{}")
    driver.cursors["touched_days_sensor"] = json.dumps({**cursor, "schema": "an older layout"})

    (request,) = driver.tick("touched_days_sensor")
    assert {k.to_user_string() for k in request.asset_selection or []} == {
        "published_warehouse",
        "dashboard",
    }
    driver.execute(DAILY_JOB, [request])
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        assert Vocabulary.load(conn).agents  # the new columns are there
        assert conn.execute("SELECT count(*) FROM agent_coaching").fetchone()[0] > 0
    assert driver.tick("touched_days_sensor") == []  # once
