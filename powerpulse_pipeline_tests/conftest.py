from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import DagsterInstance, Definitions, instance_for_test

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.settings import Settings

from .harness import SensorDriver
from .samples_warehouse import build_sample_warehouse

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    return Settings.from_env({"POWERPULSE_DATA_DIR": str(data)})


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """A real, persistent (sqlite in a temp dir) Dagster instance."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


@pytest.fixture
def defs(settings: Settings) -> Definitions:
    return build_definitions(settings)


@pytest.fixture
def driver(defs: Definitions, instance: DagsterInstance) -> SensorDriver:
    return SensorDriver(defs, instance)


Dropper = Callable[..., Path]


@pytest.fixture
def drop(settings: Settings) -> Dropper:
    """Write a file into the inbox; `age` seconds in the past makes it already stable."""

    def _drop(relpath: str, content: Any, age: float = 120.0) -> Path:
        path = settings.inbox_dir / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
        return path

    return _drop


@pytest.fixture
def query(settings: Settings) -> Callable[..., list[tuple[Any, ...]]]:
    """Read the analysts' copy, or with `work=True` the pipeline's own database."""

    def _query(
        sql: str, params: list[Any] | None = None, work: bool = False
    ) -> list[tuple[Any, ...]]:
        path = settings.work_db_path if work else settings.duckdb_path
        with duckdb.connect(str(path), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    return _query


@pytest.fixture(scope="session")
def samples_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The samples through the real sensors and runs, once: the analysts' copy the ask,
    semantics and explorer tests read (ask/questions.py's dates are the samples')."""
    return build_sample_warehouse(tmp_path_factory.mktemp("samples"))
