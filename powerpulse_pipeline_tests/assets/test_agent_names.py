"""POWERPULSE_AGENT_ALIASES and POWERPULSE_EXCLUDED_AGENTS (DESIGN.md section 10), through the
real sensors and runs: one person under one name everywhere, managers out of the per-agent
figures only, and a change of either setting rebuilding the days it affects by itself."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.settings import Settings, SettingsError

from ..harness import SensorDriver

ALIASES = "maria lopez=Maria Lopez|M. Lopez=Maria Lopez"
EXCLUDED = "Sam Boss"

# 3 and 4 March 2025: Maria under three spellings, and a manager who answered once.
_AGENTS = {"t1": "maria  lopez", "t2": "M. Lopez", "t3": "Maria Lopez", "t4": "Sam Boss"}


def _export() -> dict[str, list[dict[str, object]]]:
    threads: dict[str, list[dict[str, object]]] = {}
    for i, (thread, agent) in enumerate(_AGENTS.items()):
        asked = 1741000000000 + i * 3_600_000 + (86_400_000 if thread == "t4" else 0)
        threads[thread] = [
            {"message_id": f"{thread}q", "timestamp_ms": asked, "role": "user",
             "message": "Hello, my bill is wrong, can you check it?"},
            {"message_id": f"{thread}a", "timestamp_ms": asked + 600_000, "role": "page",
             "agent_name": agent,
             "message": "Hi! Sorry about that. I have corrected the bill. Anything else?"},
        ]  # fmt: skip
    return threads


def _settings(root: Path, **env: str) -> Settings:
    return Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(root / "data"), "POWERPULSE_START_DATE": "2025-01-01", **env}
    )


def _drop(settings: Settings) -> None:
    path = settings.inbox_dir / "export.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_export()), encoding="utf-8")
    os.utime(path, (time.time() - 120, time.time() - 120))


def _read(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _agent_tables(settings: Settings) -> dict[str, object]:
    return {
        "messages": {r[0] for r in _read(settings, "SELECT DISTINCT agent_name FROM messages")}
        - {None},
        "agent_metrics": dict(
            _read(settings, "SELECT agent_name, sum(conversations) FROM agent_metrics GROUP BY 1")
        ),
        "between": dict(
            _read(
                settings,
                "SELECT agent_name, conversations "
                "FROM agent_metrics_between('2025-03-01', '2025-03-31')",
            )
        ),
        "coaching": {
            r[0] for r in _read(settings, "SELECT DISTINCT agent_name FROM agent_coaching")
        },
        "daily": _read(settings, "SELECT sum(conversations) FROM daily_metrics")[0][0],
    }


def test_aliases_and_exclusions_from_the_start(tmp_path: Path, instance: DagsterInstance) -> None:
    settings = _settings(
        tmp_path, POWERPULSE_AGENT_ALIASES=ALIASES, POWERPULSE_EXCLUDED_AGENTS=EXCLUDED
    )
    _drop(settings)
    SensorDriver(build_definitions(settings), instance).ingest()

    tables = _agent_tables(settings)
    assert tables["messages"] == {"Maria Lopez", "Sam Boss"}  # aliases applied when stored
    assert tables["agent_metrics"] == {"Maria Lopez": 3}  # the manager is left out
    assert tables["between"] == {"Maria Lopez": 3}
    assert tables["coaching"] == {"Maria Lopez"}
    assert tables["daily"] == 4  # but the manager's conversation still counts for the day
    excluded = dict(
        _read(settings, "SELECT agent_name, bool_or(agent_excluded) FROM conversations GROUP BY 1")
    )
    assert excluded == {"Maria Lopez": False, "Sam Boss": True}
    # raw_messages (the pipeline's own landing table) keeps the export's spelling, so a
    # change of the setting can be rebuilt from it
    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        raw = {
            r[0] for r in conn.execute("SELECT DISTINCT agent_name FROM raw_messages").fetchall()
        }
    assert raw == {*_AGENTS.values(), None}


def test_changing_the_settings_rebuilds_the_affected_days(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    before = _settings(tmp_path)
    _drop(before)
    first = SensorDriver(build_definitions(before), instance)
    first.ingest()
    assert _agent_tables(before)["agent_metrics"] == {
        "maria  lopez": 1,
        "M. Lopez": 1,
        "Maria Lopez": 1,
        "Sam Boss": 1,
    }

    # The user sets both and restarts: the days sensor notices and rebuilds 3 and 4 March.
    after = _settings(
        tmp_path, POWERPULSE_AGENT_ALIASES=ALIASES, POWERPULSE_EXCLUDED_AGENTS=EXCLUDED
    )
    second = SensorDriver(build_definitions(after), instance, cursors=dict(first.cursors))
    with duckdb.connect(str(after.duckdb_path)):  # an analyst's read-write session
        # the days cannot be read: the tick waits (it does not fail) and tries again
        assert second.tick("touched_days_sensor") == []
    requests = second.tick("touched_days_sensor")
    assert [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in requests
    ] == [("2025-03-03", "2025-03-04")]
    second.execute("daily_metrics_job", requests)
    tables = _agent_tables(after)
    assert tables["agent_metrics"] == {"Maria Lopez": 3}
    assert tables["coaching"] == {"Maria Lopez"}
    assert tables["daily"] == 4
    assert second.tick("touched_days_sensor") == []  # built with these settings: nothing owed

    # Taking the manager off the list brings them back, rebuilding only their day.
    third_settings = _settings(tmp_path, POWERPULSE_AGENT_ALIASES=ALIASES)
    third = SensorDriver(build_definitions(third_settings), instance, cursors=dict(second.cursors))
    requests = third.tick("touched_days_sensor")
    assert [r.tags["dagster/asset_partition_range_start"] for r in requests] == ["2025-03-04"]
    third.execute("daily_metrics_job", requests)
    assert _agent_tables(third_settings)["agent_metrics"] == {"Maria Lopez": 3, "Sam Boss": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Maria Lopez", "is not alias=Canonical Name"),
        ("=Maria Lopez", "is not alias=Canonical Name"),
        ("maria=Maria Lopez|MARIA=Maria L.", "maps 'MARIA' to both"),
        ("M=Maria|Maria=Maria Lopez", "map 'm' to the final name directly"),
    ],
)
def test_a_bad_alias_setting_says_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"POWERPULSE_AGENT_ALIASES": raw})
