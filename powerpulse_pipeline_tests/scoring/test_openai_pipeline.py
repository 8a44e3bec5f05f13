"""Dropping files with OPENAI_BASE_URL pointing at a local OpenAI-compatible server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, AssetRecordsFilter, RunConfig

from powerpulse_pipeline.assets.score_cache import ScoringConfig
from powerpulse_pipeline.pipeline import DAILY_JOB, build_definitions
from powerpulse_pipeline.settings import Settings

from ..dashboard.embedded import embedded_data
from ..fake_openai import fake_openai_server
from ..harness import SensorDriver

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
KEY = "sk-dummy-key-for-tests-42"


@pytest.fixture
def openai_env(monkeypatch):
    with fake_openai_server(latency=0.01) as (url, state):
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        yield state


def day_metadata(instance, asset: str) -> dict[str, dict]:
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset)), limit=1000
    ).records
    latest: dict[str, dict] = {}
    for record in records:  # newest first
        latest.setdefault(record.partition_key, record.asset_materialization.metadata)
    return latest


def test_dropped_files_are_scored_by_the_openai_endpoint_with_cost_per_day(
    settings, instance, openai_env, query
) -> None:
    driver = SensorDriver(build_definitions(settings), instance)
    shutil.copytree(SAMPLES, settings.inbox_dir, dirs_exist_ok=True)
    requests = driver.ingest()
    conversations = query("SELECT count(*) FROM conversations")[0][0]
    assert conversations > 30
    assert query("SELECT DISTINCT scorer, score_status FROM conversations") == [
        ("openai:gpt-4o-mini", "scored")
    ]
    # one scoring request per distinct content, one coaching request per agent and period
    assert (
        openai_env.schemas["conversation_score"]
        == query("SELECT count(DISTINCT content_hash) FROM conversations")[0][0]
    )
    assert (
        openai_env.schemas["agent_coaching"]
        == query("SELECT count(*) FROM agent_coaching WHERE generated_by = 'openai:gpt-4o-mini'")[
            0
        ][0]
    )
    assert query("SELECT count(*) FROM agent_coaching")[0][0] > 0
    assert openai_env.requests == sum(openai_env.schemas.values())
    # metrics follow the endpoint's answers: satisfaction 5 iff the customer thanked
    happy = query("SELECT count(*) FROM conversations WHERE satisfaction = 5")[0][0]
    csat = query(
        "SELECT sum(scored_conversations * csat_pct) / sum(scored_conversations) FROM daily_metrics"
    )[0][0]
    assert csat == pytest.approx(100 * happy / conversations)

    # The dashboard's coverage names the scorer and model and costs what score_cache says;
    # the key is nowhere on the page.
    html = settings.dashboard_path.read_text(encoding="utf-8")
    assert KEY not in html
    (coverage,) = embedded_data(html)["coverage"]["month-2025-03"]
    assert coverage["scorer"] == "openai:gpt-4o-mini" and coverage["scored"] == conversations
    assert coverage["cost_usd"] == pytest.approx(
        query("SELECT sum(cost_usd) FROM score_cache", work=True)[0][0]
    )
    assert coverage["cost_usd"] > 0

    # The coaching calls have their own request, retry and cost figures in each run.
    coaching = next(iter(day_metadata(instance, "agent_coaching").values()))
    assert coaching["coach"].value == "openai:gpt-4o-mini"
    assert coaching["run_requests"].value > 0 and coaching["run_cost_usd"].value > 0
    assert coaching["run_retries"].value == 0 and coaching["run_fallbacks"].value == 0

    per_day = day_metadata(instance, "score_cache")
    day = query("SELECT min(day) FROM conversations")[0][0].isoformat()
    assert per_day[day]["cost_usd"].value > 0 and per_day[day]["scored"].value > 0
    everything = repr(day_metadata(instance, "score_cache")) + repr(
        [r.run_config for r in requests]
    )
    assert KEY not in everything

    # With a key, the customer sides are embedded by the endpoint, batched, once per text,
    # with tokens and cost in the run's figures.
    texts = query("SELECT count(DISTINCT text_hash) FROM conversation_embeddings")[0][0]
    assert query("SELECT DISTINCT model, len(embedding) FROM conversation_embeddings") == [
        ("openai:text-embedding-3-small", 64)
    ]
    assert sum(openai_env.embedded_texts.values()) == texts
    assert openai_env.embedding_requests > 0
    embedded = next(iter(day_metadata(instance, "conversation_embeddings").values()))
    assert embedded["embedder"].value == "openai:text-embedding-3-small"
    assert embedded["run_tokens"].value > 0 and embedded["run_cost_usd"].value > 0
    # one naming call per group (from its summaries and words), each label checked
    labels = query("SELECT label, labelled_by, keywords FROM recurring_issues")
    assert labels and openai_env.schemas["issue_label"] == len(labels)
    for label, labelled_by, keywords in labels:
        assert labelled_by == "openai:gpt-4o-mini"
        assert label == "Customers asking about " + " and ".join(keywords)

    # Re-running the days makes zero calls: every content is in the score cache.
    before = openai_env.requests
    embedding_requests = openai_env.embedding_requests
    daily = [
        r
        for r in requests
        if r.tags.get("dagster/asset_partition_range_start", "").startswith("20")
    ]
    driver.execute(DAILY_JOB, daily)
    assert openai_env.requests == before
    assert openai_env.embedding_requests == embedding_requests
    assert day_metadata(instance, "score_cache")[day]["cache_hits"].value > 0

    # force_rescore calls again.
    job = driver.defs.resolve_job_def(DAILY_JOB)
    result = job.execute_in_process(
        instance=instance,
        partition_key=day,
        run_config=RunConfig(ops={"score_cache": ScoringConfig(force_rescore=True)}),
    )
    assert result.success and openai_env.requests > before


def test_failed_scores_are_kept_and_retried_next_time(
    settings, instance, monkeypatch, drop, query
) -> None:
    doc = {
        "T1": [
            {
                "timestamp": "2024-06-01T10:00:00Z",
                "role": "customer",
                "text": "my bill [fault:500,500]",
            }
        ],
        "T2": [{"timestamp": "2024-06-01T11:00:00Z", "role": "customer", "text": "thanks"}],
    }
    drop("a.json", doc)
    with fake_openai_server() as (url, state):
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        tight = Settings.from_env(
            {"POWERPULSE_DATA_DIR": str(settings.data_dir), "POWERPULSE_LLM_MAX_ATTEMPTS": "2"}
        )
        driver = SensorDriver(build_definitions(tight), instance)
        requests = driver.ingest()
        assert dict(query("SELECT chat_id, score_status FROM conversations")) == {
            "T1": "failed",
            "T2": "scored",
        }
        assert "HTTP 500" in query("SELECT score_error FROM conversations WHERE chat_id='T1'")[0][0]
        assert query("SELECT failed_conversations, scored_conversations FROM daily_metrics") == [
            (1, 1)
        ]
        calls = state.schemas["conversation_score"]
        driver.execute(DAILY_JOB, [r for r in requests if "powerpulse/files" not in r.tags])
        # only the failed one is scored again, and now answered (its new summary renames the
        # recurring issues it is in: those calls are not scoring calls)
        assert state.schemas["conversation_score"] == calls + 1
        assert dict(query("SELECT chat_id, score_status FROM conversations")) == {
            "T1": "scored",
            "T2": "scored",
        }
