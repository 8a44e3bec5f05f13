"""The DuckDB writer pool, on a persistent instance configured by deploy/dagster.yaml."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, BackfillPolicy, Definitions, instance_for_test

from powerpulse_pipeline.partitions import DUCKDB_POOL
from powerpulse_pipeline.pipeline import DAILY_JOB

DEPLOY_YAML = Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml"
WRITERS = {
    "raw_messages",
    "messages",
    "conversation_facts",
    "conversations",
    "daily_metrics",
    "topic_metrics",
    "agent_metrics",
    "agent_coaching",  # its LLM calls are few (one per agent and period) and cached
    "recurring_issues",  # likewise its naming calls (one per group)
    "dashboard",  # reads the work DB
    "published_warehouse",
}


def test_every_duckdb_writer_is_in_the_pool_and_scoring_is_not(defs: Definitions) -> None:
    assets = defs.get_repository_def().assets_defs_by_key.values()
    pools = {a.key.to_user_string(): a.op.pool for a in assets}
    assert {name for name, pool in pools.items() if pool == DUCKDB_POOL} == WRITERS
    # slow LLM and embedding work stays outside the pool
    assert pools["score_cache"] is None and pools["conversation_embeddings"] is None


@pytest.fixture
def pooled_instance(tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    overrides = yaml.safe_load(DEPLOY_YAML.read_text())
    with instance_for_test(temp_dir=str(home), overrides=overrides) as instance:
        yield instance


def test_instance_config_limits_the_pool_and_frees_crashed_slots(pooled_instance) -> None:
    config = pooled_instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert pooled_instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def test_a_run_waits_for_the_writer_slot_held_by_another_run(
    pooled_instance, defs: Definitions, settings, drop
) -> None:
    drop(
        "a.json", {"T1": [{"timestamp": "2024-06-01T10:00:00Z", "role": "customer", "text": "hi"}]}
    )
    storage = pooled_instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(DUCKDB_POOL)
    assert storage.get_concurrency_info(DUCKDB_POOL).slot_count == 1
    claim = storage.claim_concurrency_slot(DUCKDB_POOL, "other-run", "other-step")
    assert claim.is_claimed

    job = defs.resolve_job_def(DAILY_JOB)
    outcome: dict[str, bool] = {}

    def run() -> None:
        result = job.execute_in_process(instance=pooled_instance, partition_key="2024-06-01")
        outcome["success"] = result.success

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    time.sleep(4)
    assert worker.is_alive(), "the run did not wait for the pool slot"
    assert pooled_instance.get_latest_materialization_event(AssetKey("messages")) is None

    storage.free_concurrency_slots_for_run("other-run")
    worker.join(timeout=120)
    assert outcome == {"success": True}
    assert pooled_instance.get_latest_materialization_event(AssetKey("daily_metrics"))


def test_a_backfill_of_many_days_is_one_run(defs: Definitions) -> None:
    daily = [
        a
        for a in defs.get_repository_def().assets_defs_by_key.values()
        if a.key.to_user_string() not in ("raw_messages", "dashboard")
    ]
    assert len(daily) == 11
    for assets_def in [*daily, defs.get_assets_def("raw_messages")]:
        assert assets_def.backfill_policy is not None
        assert assets_def.backfill_policy == BackfillPolicy.single_run()
