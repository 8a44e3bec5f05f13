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

# The long tests, in seconds on the 2-core machine with the suite run serially (--durations),
# by the start of their node id below this folder. `make test` runs the suite on 2 workers
# (pytest-xdist, --dist loadgroup) that each take the next test when they finish one: the long
# ones go first, so that the short ones fill in around them rather than one long test running
# alone at the end. Only the order matters; a test not listed runs after these, in collection
# order.
LONG_TESTS = {
    "ingest/test_hostile_input_property.py": 45,
    "deployment/test_serve.py": 56,
    "test_end_to_end.py::test_a_90_day_export": 64,
    "warehouse/test_publish.py::test_read_only_queries": 56,
    "warehouse/test_publish.py": 10,
    "test_run_recovery.py": 26,
    "assets/test_upgrade_keeps_scores.py": 45,
    "assets/test_agent_names.py": 30,
    "assets/test_agent_coaching.py": 12,
    "similarity/test_similar_conversations.py": 20,
    "dashboard/": 40,  # one unit: its warehouse is built once (dashboard/conftest.py)
    "test_same_numbers.py::test_contract_tables_match_the_row_by_row_pipeline[generated": 25,
    "scoring/test_openai_pipeline.py": 21,
    "explorer/test_browser.py": 13,
    "assets/test_sql_matches_reference.py": 12,
    "ingest/test_inbox.py": 11,
    "test_end_to_end.py": 10,
    "test_business_hours_pipeline.py": 10,
    "assets/test_metrics_range_property.py": 10,
    "test_instance_pool.py": 9,
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (LONG_TESTS), each module's tests kept together, so that a serial
    run still builds a module's or a package's fixtures once."""
    here = Path(__file__).parent

    def seconds(item: pytest.Item) -> int:
        if not item.path.is_relative_to(here):
            return 0
        name = item.path.relative_to(here).as_posix() + "".join(item.nodeid.partition("::")[1:])
        return max((s for start, s in LONG_TESTS.items() if name.startswith(start)), default=0)

    own = {item.nodeid: seconds(item) for item in items}
    module: dict[Path, int] = {}
    for item in items:
        module[item.path] = max(module.get(item.path, 0), own[item.nodeid])
    first = {path: index for index, path in enumerate(dict.fromkeys(i.path for i in items))}
    # a stable sort: the others keep their order
    items.sort(key=lambda i: (-module[i.path], first[i.path], -own[i.nodeid]))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "similarity_off: POWERPULSE_EMBEDDING_MODEL=off in the `settings` fixture, for the long "
        "tests about something else (ingestion, sessions): the embedding model is the costliest "
        "step on generated data, and similarity/ tests it",
    )


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    data = tmp_path / "data"
    env = {"POWERPULSE_DATA_DIR": str(data)}
    if request.node.get_closest_marker("similarity_off"):
        env["POWERPULSE_EMBEDDING_MODEL"] = "off"
    return Settings.from_env(env)


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
