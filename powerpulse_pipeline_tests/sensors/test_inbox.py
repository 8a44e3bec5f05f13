"""The drop-folder sensor on a persistent instance, through build_sensor_context."""

from __future__ import annotations

import json
import time

from powerpulse_pipeline.sensors import inbox as inbox_sensor_module
from powerpulse_pipeline.sensors.days import contiguous_ranges

from ..harness import SensorDriver


def message_file(chat: str, text: str) -> dict:
    return {chat: [{"timestamp": "2024-06-01T10:00:00Z", "role": "customer", "text": text}]}


def paths_of(request) -> dict[str, str]:
    return request.run_config["ops"]["raw_messages"]["config"]["paths"]


def test_a_dyi_tree_dropped_as_is_is_picked_up_with_distinct_keys(
    driver: SensorDriver, drop
) -> None:
    for thread in ("alice_1", "bob_2"):
        drop(
            f"messages/inbox/{thread}/message_1.json",
            {
                "participants": [{"name": thread}, {"name": "Page"}],
                "title": thread,
                "messages": [
                    {"sender_name": thread, "timestamp_ms": 1717236000000, "content": thread}
                ],
            },
        )
    drop("messages/inbox/bob_2/photos/readme.txt.tmp", "ignored")
    (request,) = driver.tick("inbox_sensor")
    paths = paths_of(request)
    assert sorted(paths.values()) == [
        "messages/inbox/alice_1/message_1.json",
        "messages/inbox/bob_2/message_1.json",
    ]
    assert all(
        key.startswith(("alice_1_message_1.json-", "bob_2_message_1.json-")) for key in paths
    )
    assert sorted(driver.instance.get_dynamic_partitions("chat_files")) == sorted(paths)


def test_thousands_of_files_are_handled_in_one_tick(driver: SensorDriver, drop) -> None:
    count = 2500
    for index in range(count):
        drop(f"bulk/{index:05d}.json", message_file(f"T{index}", f"message {index}"))
    started = time.monotonic()
    requests = driver.tick("inbox_sensor")
    elapsed = time.monotonic() - started
    limit = inbox_sensor_module.MAX_FILES_PER_RUN
    assert [int(r.tags["powerpulse/files"]) for r in requests] == [limit, limit, count - 2 * limit]
    assert len(driver.instance.get_dynamic_partitions("chat_files")) == count
    assert sum(len(paths_of(r)) for r in requests) == count
    print(f"{count} files in one tick: {elapsed:.2f}s")
    # The cursor remembers them: the next tick hashes nothing and requests nothing.
    assert driver.tick("inbox_sensor") == []
    assert len(json.loads(driver.cursors["inbox_sensor"])["files"]) == count


def test_new_content_under_a_name_seen_before_is_ingested(driver: SensorDriver, drop) -> None:
    drop("daily.json", message_file("T1", "first"))
    (first,) = driver.tick("inbox_sensor")
    drop("daily.json", message_file("T1", "second version"))
    (second,) = driver.tick("inbox_sensor")
    assert list(paths_of(first)) != list(paths_of(second))
    assert list(paths_of(second).values()) == ["daily.json"]


def test_contiguous_ranges() -> None:
    from datetime import date

    days = {date(2024, 1, d) for d in (1, 2, 3, 5, 7, 8)}
    assert contiguous_ranges(days) == [
        (date(2024, 1, 1), date(2024, 1, 3)),
        (date(2024, 1, 5), date(2024, 1, 5)),
        (date(2024, 1, 7), date(2024, 1, 8)),
    ]


def test_days_without_a_partition_are_not_requested(settings, driver, drop, instance) -> None:
    from powerpulse_pipeline.pipeline import INGEST_JOB, build_definitions
    from powerpulse_pipeline.settings import Settings

    drop(
        "two_days.json",
        {
            "T1": [{"timestamp": "2024-06-01T10:00:00Z", "role": "customer", "text": "a"}],
            "T2": [{"timestamp": "2024-06-05T10:00:00Z", "role": "customer", "text": "b"}],
        },
    )
    driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
    # the start date is raised after ingestion: June 1 has no partition any more
    later = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(settings.data_dir), "POWERPULSE_START_DATE": "2024-06-02"}
    )
    requests = SensorDriver(build_definitions(later), instance).tick("touched_days_sensor")
    assert [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in requests
    ] == [("2024-06-05", "2024-06-05")]
