"""Business hours and a non-whole-hour time zone, through the real sensors and runs."""

from __future__ import annotations

from datetime import date

import pytest

from powerpulse_pipeline.pipeline import build_definitions
from powerpulse_pipeline.settings import Settings

from .harness import SensorDriver


def test_business_hours_in_kathmandu(tmp_path, instance, drop, query) -> None:
    settings = Settings.from_env(
        {
            "POWERPULSE_DATA_DIR": str(tmp_path / "data"),
            "POWERPULSE_TIMEZONE": "Asia/Kathmandu",  # UTC+05:45
            # With the default 24 h gap: the gap counts business time, so the weekend does
            # not split the Friday question from its Monday answer.
            "POWERPULSE_BUSINESS_HOURS": "mon-fri 10:00-18:00",
        }
    )
    driver = SensorDriver(build_definitions(settings), instance)
    drop(
        "chats.json",
        {
            # Friday 17:30 local, answered Monday 10:15 local: 30 + 15 business minutes
            "T1": [
                {"timestamp": "2024-05-03T11:45:00Z", "role": "customer", "text": "no power"},
                {
                    "timestamp": "2024-05-06T04:30:00Z",
                    "role": "agent",
                    "text": "fixed",
                    "agent_name": "Maria",
                },
            ],
            # Monday 18:30 UTC is Tuesday 00:15 local: Tuesday's conversation, answered at night
            "T2": [
                {"timestamp": "2024-05-06T18:30:00Z", "role": "customer", "text": "bill?"},
                {
                    "timestamp": "2024-05-06T19:00:00Z",
                    "role": "agent",
                    "text": "sent",
                    "agent_name": "Tom",
                },
            ],
        },
    )
    requests = driver.ingest()
    ranges = sorted(
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in requests
        if "powerpulse/files" not in r.tags
    )
    assert ranges == [("2024-05-03", "2024-05-03"), ("2024-05-07", "2024-05-07")]
    got = dict(
        (cid.split(":")[0], (day, first, business))
        for cid, day, first, business in query(
            "SELECT conversation_id, day, first_response_seconds, "
            "first_response_business_seconds FROM conversations"
        )
    )
    assert got == {
        "T1": (date(2024, 5, 3), 233_100.0, 2_700.0),
        "T2": (date(2024, 5, 7), 1_800.0, 0.0),
    }
    daily = dict(
        (day, (cal, biz))
        for day, cal, biz in query(
            "SELECT day, median_first_response_minutes, median_first_response_business_minutes "
            "FROM daily_metrics"
        )
    )
    assert daily[date(2024, 5, 3)] == pytest.approx((3885.0, 45.0))
    assert daily[date(2024, 5, 7)] == pytest.approx((30.0, 0.0))
    week = query(
        "SELECT median_first_response_business_minutes FROM metrics_between("
        "'2024-05-01', '2024-05-07')"
    )
    assert week[0][0] == pytest.approx(22.5)
    agents = dict(
        (a, b)
        for a, b in query(
            "SELECT agent_name, avg_first_response_business_minutes FROM agent_metrics"
        )
    )
    assert agents == pytest.approx({"Maria": 45.0, "Tom": 0.0})


def test_without_a_schedule_business_columns_are_null(settings, driver, drop, query) -> None:
    drop(
        "a.json",
        {
            "T1": [
                {"timestamp": "2024-05-03T11:45:00Z", "role": "customer", "text": "hi"},
                {"timestamp": "2024-05-03T12:00:00Z", "role": "agent", "text": "hello"},
            ]
        },
    )
    driver.ingest()
    assert query(
        "SELECT first_response_seconds, first_response_business_seconds FROM conversations"
    ) == [(900.0, None)]
    assert query("SELECT median_first_response_business_minutes FROM daily_metrics") == [(None,)]
