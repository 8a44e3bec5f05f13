"""One warehouse for the dashboard's tests: generated chats over two months and a half,
through the real sensors and runs, with business hours and named agents."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from dagster import instance_for_test

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.samples.dialogues import generate_threads
from powerpulse_pipeline.samples.formats import dumps, grouped_export
from powerpulse_pipeline.settings import Settings

from ..harness import SensorDriver

FIRST_DAY = datetime(2025, 1, 20, tzinfo=UTC)
# The tests look from here: the last 7/30/90 days hold data, and so do three months.
TODAY = date(2025, 3, 22)
HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`, --dist loadgroup) this package's tests run on one worker,
    one after another: the warehouse below is built once, not on every worker that gets one of
    them (and again each time a worker comes back to the package)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.xdist_group("dashboard_warehouse"))


@pytest.fixture(scope="package")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root = tmp_path_factory.mktemp("dashboard")
    settings = Settings.from_env(
        {
            "POWERPULSE_DATA_DIR": str(root / "data"),
            "POWERPULSE_TIMEZONE": "Europe/Berlin",
            "POWERPULSE_BUSINESS_HOURS": "mon-fri 09:00-17:00",
            "POWERPULSE_START_DATE": "2025-01-01",
        }
    )
    threads = generate_threads(threads=700, first_day=FIRST_DAY, days=60, seed=10)
    settings.inbox_dir.mkdir(parents=True)
    path = settings.inbox_dir / "generated.json"
    path.write_text(dumps(grouped_export(threads)), encoding="utf-8")
    os.utime(path, (0, 0))
    home = root / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        SensorDriver(build_definitions(settings), instance).ingest()
    yield settings


@pytest.fixture(scope="package")
def page(warehouse: Settings) -> Path:
    """The page as the pipeline wrote it, with data as seen on TODAY."""
    import duckdb

    from powerpulse_pipeline.assets.dashboard import write_dashboard

    with duckdb.connect(str(warehouse.work_db_path)) as conn:
        write_dashboard(conn, warehouse, datetime.combine(TODAY, time(12), tzinfo=UTC))
    return warehouse.dashboard_path
