"""A dashboard that cannot be written fails its own step only: the tables and the analysts'
copy are published as usual, and the previous page is never left half-written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_an_unwritable_reports_path_fails_only_the_dashboard(settings, driver) -> None:
    shutil.copytree(SAMPLES, settings.inbox_dir, dirs_exist_ok=True)
    for path in settings.inbox_dir.rglob("*.json"):
        os.utime(path, (0, 0))
    settings.dashboard_path.parent.parent.mkdir(parents=True, exist_ok=True)
    settings.dashboard_path.parent.write_text("a file where the reports folder should be")
    driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
    job = driver.defs.resolve_job_def(DAILY_JOB)
    for request in driver.tick("touched_days_sensor"):
        result = job.execute_in_process(
            instance=driver.instance, tags=request.tags, raise_on_error=False
        )
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        assert failed == ["dashboard"]
        failure = result.failure_data_for_node("dashboard")
        assert failure is not None and str(settings.dashboard_path.parent) in str(failure.error)
    assert settings.duckdb_path.exists()  # published all the same
    assert not list(settings.data_dir.glob("**/.dashboard.html.*"))
