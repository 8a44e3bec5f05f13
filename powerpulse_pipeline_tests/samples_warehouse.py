"""The samples through the real sensors and runs: the analysts' copy the ask and explorer
tests read (the dates of powerpulse_pipeline_tests/ask/questions.py are the samples')."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import instance_for_test

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.settings import Settings, project_root

from .harness import SensorDriver


def build_sample_warehouse(root: Path) -> Settings:
    settings = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(root / "data"), "POWERPULSE_START_DATE": "2025-01-01"}
    )
    shutil.copytree(project_root() / "data" / "samples", settings.inbox_dir)
    for path in settings.inbox_dir.rglob("*"):
        os.utime(path, (0, 0))
    home = root / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        SensorDriver(build_definitions(settings), instance).ingest()
    return settings
