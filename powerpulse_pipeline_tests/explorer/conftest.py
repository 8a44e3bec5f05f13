"""A copy of the samples' analysts' copy per test, which a test may replace as the pipeline
does (a new file renamed over the old one)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from powerpulse_pipeline.settings import Settings


@pytest.fixture
def explorer_settings(samples_warehouse: Settings, tmp_path: Path) -> Settings:
    settings = Settings.from_env({"POWERPULSE_DATA_DIR": str(tmp_path / "data")})
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copyfile(samples_warehouse.duckdb_path, settings.duckdb_path)
    return settings


def republish_without(settings: Settings, day: str) -> None:
    """Publish a copy with one day's conversations gone, the way the pipeline publishes."""
    staging = settings.duckdb_path.with_name(".staging.duckdb")
    shutil.copyfile(settings.duckdb_path, staging)
    with duckdb.connect(str(staging)) as conn:
        conn.execute("DELETE FROM conversations WHERE day = ?", [day])
    os.replace(staging, settings.duckdb_path)
