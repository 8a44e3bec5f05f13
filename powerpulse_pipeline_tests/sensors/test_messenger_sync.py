"""The Page sensors on a real Dagster instance, a real local Graph API server and the real
inbox, ingestion and daily runs: no file is dropped, and the tables fill."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from powerpulse_pipeline.pipeline import INGEST_JOB, build_definitions
from powerpulse_pipeline.sensors.messenger import page_asset_key, sensor_name
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline_tests.fake_graph import (
    DETAILS_LIMIT,
    PAGE_ID,
    TOKEN,
    GraphState,
    fake_graph_server,
    generate_page,
)
from powerpulse_pipeline_tests.harness import SensorDriver

FIRST_DAY = datetime(2025, 3, 3, tzinfo=UTC)
OTHER_PAGE = "5647382910"
OTHER_TOKEN = "EAAGotherPageTokenZYXWVU987654SECRET"


def page_settings(tmp_path: Path, url: str, pages: str = PAGE_ID, **env: str) -> Settings:
    token_file = tmp_path / "page-token"
    if not token_file.exists():
        token_file.write_text(f"{TOKEN}\n")
    return Settings.from_env(
        {
            "POWERPULSE_DATA_DIR": str(tmp_path / "data"),
            "POWERPULSE_START_DATE": "2025-01-01",
            "POWERPULSE_EMBEDDING_MODEL": "off",
            "POWERPULSE_FB_PAGE_IDS": pages,
            "POWERPULSE_FB_PAGE_TOKEN_FILE": str(token_file),
            "POWERPULSE_FB_GRAPH_URL": url,
            "POWERPULSE_FB_SYNC_MINUTES": "0.001",
            **env,
        }
    )


def work_rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def sync_and_ingest(driver: SensorDriver, *pages: str) -> None:
    """One tick of each Page's sensor, then the inbox (twice: a new file must hold still
    for a tick) with the ingest and daily runs it leads to."""
    for page in pages:
        driver.tick(sensor_name(page))
    driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
    driver.ingest()


@pytest.fixture
def page() -> Iterator[tuple[GraphState, str]]:
    state = GraphState(conversations=generate_page(120, FIRST_DAY, 14, long_threads=2))
    with fake_graph_server(state) as url:
        yield state, url


def test_a_page_fills_the_tables_and_a_new_message_reaches_daily_metrics(
    page: tuple[GraphState, str],
    tmp_path: Path,
    instance: DagsterInstance,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, url = page
    settings = page_settings(tmp_path, url)
    driver = SensorDriver(build_definitions(settings), instance)
    caplog.set_level(logging.DEBUG)

    sync_and_ingest(driver, PAGE_ID)
    message = driver.skip_reasons[sensor_name(PAGE_ID)] or ""
    assert "up to date" in message and "back to 2025-03-03" in message
    detailed = sum(min(len(c.messages), DETAILS_LIMIT) for c in state.conversations.values())
    stored = work_rows(settings, "SELECT count(*), count(DISTINCT message_id) FROM raw_messages")
    assert stored == [(detailed, detailed)]
    conversations = work_rows(settings, "SELECT count(DISTINCT chat_id) FROM conversations")
    assert conversations == [(120,)]
    # The Page's messages are the business side, the others the customer's: sides come from
    # the Page id, with POWERPULSE_PAGE_NAMES empty.
    sides = dict(work_rows(settings, "SELECT sender_role, count(*) FROM raw_messages GROUP BY 1"))
    expected_agent = sum(
        m.from_page
        for c in state.conversations.values()
        for m in list(reversed(c.messages))[:DETAILS_LIMIT]
    )
    assert sides["agent"] == expected_agent and sides["customer"] == detailed - expected_agent
    observed = instance.get_latest_materialization_event(page_asset_key(PAGE_ID))
    observation = instance.fetch_observations(page_asset_key(PAGE_ID), limit=1).records
    assert observed is None and observation
    metadata = observation[0].asset_observation.metadata
    assert metadata["status"].value == "up to date"
    assert metadata["messages_pulled"].value == detailed

    # A customer writes now: the next sync lands it and today's figures count it.
    conv = next(iter(state.conversations))
    state.add_message(conv, "Hello again, my card still does not work")
    sync_and_ingest(driver, PAGE_ID)
    today = datetime.now(UTC).date()
    assert work_rows(settings, "SELECT count(*) FROM raw_messages")[0][0] == detailed + 1
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        day = conn.execute(
            "SELECT conversations FROM daily_metrics WHERE day = ?", [today]
        ).fetchall()
    assert day and day[0][0] >= 1

    # Nothing new: a sync lands nothing and no ingest run follows.
    runs = len(driver.runs)
    sync_and_ingest(driver, PAGE_ID)
    assert len(driver.runs) == runs

    # The token is nowhere but in its file: not in the data folder (landed files, DuckDB
    # files, the dashboard), Dagster's storage (runs, events, ticks, cursors) or the logs.
    token = TOKEN.encode()
    leaks = [
        path
        for folder in (settings.data_dir, Path(instance.root_directory))
        for path in folder.rglob("*")
        if path.is_file() and token in path.read_bytes()
    ]
    assert leaks == []
    assert TOKEN not in caplog.text
    assert all(TOKEN not in (cursor or "") for cursor in driver.cursors.values())


def test_a_bad_token_stops_the_page_until_the_token_file_changes(
    page: tuple[GraphState, str], tmp_path: Path, instance: DagsterInstance
) -> None:
    state, url = page
    (tmp_path / "page-token").write_text("EAAGexpiredtoken\n")
    settings = page_settings(tmp_path, url)
    driver = SensorDriver(build_definitions(settings), instance)
    name = sensor_name(PAGE_ID)

    driver.tick(name)
    assert "the Page token is invalid or expired" in (driver.skip_reasons[name] or "")
    calls = state.calls
    for _ in range(3):
        driver.tick(name)
        assert state.calls == calls  # stopped: not one more call
    assert "stopped" in (driver.skip_reasons[name] or "")
    (tmp_path / "page-token").write_text(f"{PAGE_ID}={TOKEN}\n")
    driver.tick(name)
    assert state.calls > calls
    assert "up to date" in (driver.skip_reasons[name] or "")


def test_no_token_means_no_call_and_a_plain_reason(
    page: tuple[GraphState, str], tmp_path: Path, instance: DagsterInstance
) -> None:
    state, url = page
    settings = page_settings(tmp_path, url, POWERPULSE_FB_PAGE_TOKEN_FILE=str(tmp_path / "none"))
    driver = SensorDriver(build_definitions(settings), instance)
    driver.tick(sensor_name(PAGE_ID))
    reason = driver.skip_reasons[sensor_name(PAGE_ID)] or ""
    assert "cannot be read" in reason and "POWERPULSE_FB_PAGE_TOKEN_FILE" in reason
    assert state.calls == 0


def test_a_throttled_page_waits_while_the_other_page_syncs(
    page: tuple[GraphState, str], tmp_path: Path, instance: DagsterInstance
) -> None:
    first, _ = page
    first.faults.append("code:613")
    first.regain_minutes = 30
    other = GraphState(
        page_id=OTHER_PAGE,
        conversations=generate_page(40, FIRST_DAY, 7, seed=9, page_id=OTHER_PAGE),
        tokens={OTHER_TOKEN},
    )
    (tmp_path / "page-token").write_text(f"{PAGE_ID}={TOKEN}\n{OTHER_PAGE}={OTHER_TOKEN}\n")
    with fake_graph_server(first, other) as both:
        settings = page_settings(tmp_path, both, pages=f"{PAGE_ID}|{OTHER_PAGE}")
        driver = SensorDriver(build_definitions(settings), instance)
        sync_and_ingest(driver, PAGE_ID, OTHER_PAGE)
        calls = first.calls
        driver.tick(sensor_name(PAGE_ID))
    paused = driver.skip_reasons[sensor_name(PAGE_ID)] or ""
    assert "paused until" in paused and "Graph API error 613" in paused
    assert first.calls == calls == 1
    assert "up to date" in (driver.skip_reasons[sensor_name(OTHER_PAGE)] or "")
    chats = work_rows(settings, "SELECT count(DISTINCT chat_id) FROM raw_messages")
    assert chats == [(40,)]


def test_the_page_is_a_source_asset_upstream_of_raw_messages(tmp_path: Path) -> None:
    settings = page_settings(tmp_path, "http://127.0.0.1:9/")
    graph = build_definitions(settings).resolve_asset_graph()
    assert page_asset_key(PAGE_ID) in graph.get(AssetKey("raw_messages")).parent_keys
    assert build_definitions(settings).get_sensor_def(sensor_name(PAGE_ID))


def test_without_page_ids_there_is_no_sync(tmp_path: Path) -> None:
    settings = Settings.from_env({"POWERPULSE_DATA_DIR": str(tmp_path / "data")})
    names = [s.name for s in build_definitions(settings).sensors]
    assert not [n for n in names if n.startswith("messenger_sync")]


def test_a_page_id_that_is_not_one_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="is not a Page id"):
        Settings.from_env({"POWERPULSE_FB_PAGE_IDS": "123/../conversations"})
    assert timedelta(minutes=Settings.from_env({}).fb_sync_minutes) == timedelta(minutes=15)
