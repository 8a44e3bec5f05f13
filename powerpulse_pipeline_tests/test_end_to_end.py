"""Files dropped into a temporary inbox, the real sensors ticked on a real Dagster instance,
the runs they request executed, and the DuckDB tables checked."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance

from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB, build_definitions
from powerpulse_pipeline.samples.dialogues import generate_threads
from powerpulse_pipeline.samples.formats import grouped_export
from powerpulse_pipeline.settings import Settings

from .canonical import canonical
from .harness import SensorDriver

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def thread(chat: str, *messages: tuple[str, str, str]) -> dict:
    """messages: (iso time, role, text)."""
    return {
        chat: [
            {"message_id": f"{chat}-{at}", "timestamp": at, "role": role, "text": text}
            for at, role, text in messages
        ]
    }


def table_snapshot(query, table: str, order: str) -> list[Any]:
    """Rows in order; sums of floats may differ in their last bit from run to run (SQL
    aggregates run in parallel), so floats compare to 7 significant digits."""
    return [canonical(list(row)) for row in query(f"SELECT * FROM {table} ORDER BY {order}")]


def test_samples_become_daily_metrics_hands_free(settings, driver, query) -> None:
    shutil.copytree(SAMPLES, settings.inbox_dir, dirs_exist_ok=True)
    for path in settings.inbox_dir.rglob("*.json"):
        path.touch()  # freshly copied, as a user would: whole JSON, so read on the first tick
    requests = driver.ingest()
    ingest = [r for r in requests if r.tags.get("powerpulse/files")]
    assert len(ingest) == 1 and ingest[0].tags["powerpulse/files"] == "3"
    formats = dict(query("SELECT format, count(*) FROM ingested_files GROUP BY format"))
    assert formats == {"grouped": 1, "graph_api": 1, "messenger_dyi": 1}

    days = [r[0] for r in query("SELECT day FROM daily_metrics ORDER BY day")]
    assert days[0] == date(2025, 3, 3) and len(days) >= 7
    day_runs = [r for r in requests if r.tags.get(RANGE_START, "").startswith("20")]
    assert len(day_runs) == 1  # one run for the contiguous range
    assert (day_runs[0].tags[RANGE_START], day_runs[0].tags[RANGE_END]) == (
        days[0].isoformat(),
        days[-1].isoformat(),
    )
    totals = query(
        "SELECT sum(conversations), sum(scored_conversations), "
        "sum(autoresponses_filtered), sum(unanswered_conversations) FROM daily_metrics"
    )
    conversations, scored, autoresponses, unanswered = totals[0]
    assert conversations == scored == query("SELECT count(*) FROM conversations")[0][0]
    assert autoresponses > 0 and unanswered > 0
    assert query("SELECT count(*) - count(DISTINCT conversation_id) FROM conversations") == [(0,)]
    assert query("SELECT count(*) - count(DISTINCT (chat_id, message_key)) FROM messages") == [(0,)]
    assert query(
        "SELECT count(*) FROM messages WHERE is_autoresponse AND sender_role = 'customer'"
    ) == [(0,)]
    # every message of a conversation is stored under the conversation's day
    assert query(
        "SELECT count(*) FROM messages m JOIN conversations c USING (conversation_id) "
        "WHERE m.day <> c.day"
    ) == [(0,)]
    # a second tick finds nothing new
    assert driver.tick("inbox_sensor") == []
    assert driver.tick("touched_days_sensor") == []


def test_same_content_again_under_any_name_changes_nothing(settings, driver, drop, query) -> None:
    doc = thread(
        "T1", ("2024-06-01T10:00:00Z", "customer", "hi"), ("2024-06-01T10:05:00Z", "agent", "hello")
    )
    drop("first.json", doc)
    driver.ingest()
    before = table_snapshot(query, "conversations", "conversation_id")
    drop("copies/renamed.json", doc)
    assert driver.tick("inbox_sensor") == []
    assert driver.tick("touched_days_sensor") == []
    assert table_snapshot(query, "conversations", "conversation_id") == before
    assert query("SELECT count(*) FROM raw_messages", work=True) == [(2,)]


def test_overlapping_export_extends_a_conversation_in_place(settings, driver, drop, query) -> None:
    drop(
        "week1.json",
        thread(
            "T1",
            ("2024-06-01T10:00:00Z", "customer", "no internet"),
            ("2024-06-01T10:10:00Z", "agent", "resetting your line"),
        ),
    )
    driver.ingest()
    drop(
        "week1b.json",
        thread(
            "T1",
            ("2024-06-01T10:00:00Z", "customer", "no internet"),
            ("2024-06-01T10:10:00Z", "agent", "resetting your line"),
            ("2024-06-01T11:00:00Z", "customer", "works now, thanks"),
        ),
    )
    requests = driver.ingest()
    day_runs = [r for r in requests if r.tags.get(RANGE_START) == "2024-06-01"]
    assert len(day_runs) == 1 and day_runs[0].tags[RANGE_END] == "2024-06-01"
    rows = query("SELECT conversation_id, customer_messages, agent_messages FROM conversations")
    assert rows == [("T1:2024-06-01T10:00:00Z", 2, 1)]
    assert query("SELECT count(*) FROM messages") == [(3,)]
    assert query("SELECT conversations, customer_messages FROM daily_metrics") == [(1, 2)]


def test_new_message_merging_two_days_moves_the_conversation(settings, driver, drop, query) -> None:
    # 34 h of silence: two conversations, on June 1 and June 2.
    drop(
        "a.json",
        thread(
            "T1",
            ("2024-06-01T10:00:00Z", "customer", "meter broken"),
            ("2024-06-02T20:00:00Z", "customer", "hello??"),
        ),
    )
    driver.ingest()
    assert query("SELECT day FROM daily_metrics ORDER BY day") == [
        (date(2024, 6, 1),),
        (date(2024, 6, 2),),
    ]
    # A reply at 08:00 on June 2 bridges both gaps (22 h and 12 h): one conversation, June 1.
    drop("b.json", thread("T1", ("2024-06-02T08:00:00Z", "agent", "technician booked")))
    requests = driver.ingest()
    ranges = {
        (r.tags[RANGE_START], r.tags[RANGE_END])
        for r in requests
        if RANGE_END in r.tags and r.tags[RANGE_START].startswith("2024")
    }
    assert ranges == {("2024-06-01", "2024-06-02")}
    assert query("SELECT conversation_id, day, customer_messages FROM conversations") == [
        ("T1:2024-06-01T10:00:00Z", date(2024, 6, 1), 2)
    ]
    assert query("SELECT day, conversations FROM daily_metrics") == [(date(2024, 6, 1), 1)]
    assert query("SELECT count(*), count(DISTINCT day) FROM messages") == [(3, 1)]


def test_malformed_files_are_rejected_without_blocking_others(
    settings, driver, drop, query, instance: DagsterInstance
) -> None:
    drop("good.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    drop("broken.json", '{"T1": [ {"timestamp": ')
    drop("shape.json", [1, 2, 3])
    drop("empty.json", b"")
    drop("sub/notime.json", {"T9": [{"text": "when?", "role": "customer"}]})
    file_runs = driver.tick("inbox_sensor")
    assert len(file_runs) == 1
    driver.execute(INGEST_JOB, file_runs)
    driver.execute(DAILY_JOB, driver.tick("touched_days_sensor"))

    assert query("SELECT day, conversations FROM daily_metrics") == [(date(2024, 6, 1), 1)]
    remaining = sorted(p.name for p in settings.inbox_dir.rglob("*") if p.is_file())
    assert remaining == ["good.json"]
    rejected = settings.rejected_dir
    assert (
        "not valid JSON: Expecting value at line 1 column"
        in (rejected / "broken.json.error.txt").read_text()
    )
    assert "top level is a JSON array" in (rejected / "shape.json.error.txt").read_text()
    assert "empty" in (rejected / "empty.json.error.txt").read_text()
    assert "no usable time" in (rejected / "sub" / "notime.json.error.txt").read_text()
    assert (rejected / "sub" / "notime.json").exists()
    statuses = dict(query("SELECT source_path, status FROM ingested_files"))
    assert statuses["broken.json"] == "rejected" and statuses["good.json"] == "ingested"
    # visible in the UI: a failed (warning) check and per-file partition metadata
    check_key = next(iter(driver.defs.get_assets_def("raw_messages").check_keys))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key([check_key])
    evaluation = latest[check_key].event.dagster_event.event_specific_data
    assert evaluation.passed is False
    assert "broken.json" in evaluation.metadata["rejected"].value
    key = next(k for k in instance.get_dynamic_partitions("chat_files") if k.startswith("broken"))
    record = instance.fetch_materializations(AssetKey("raw_messages"), limit=10).records
    by_partition = {r.partition_key: r.asset_materialization.metadata for r in record}
    assert by_partition[key]["status"].value == "rejected"
    assert "not valid JSON" in by_partition[key]["error"].value


def test_files_still_being_written_wait_until_whole_or_stable(settings, driver, drop) -> None:
    def paths(requests: list) -> list[str]:
        return [
            p
            for r in requests
            for p in r.run_config["ops"]["raw_messages"]["config"]["paths"].values()
        ]

    drop("upload.json.part", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    drop(".hidden.json", thread("T2", ("2024-06-01T10:00:00Z", "customer", "hi")))
    growing = drop("growing.json", '{"T3": [', age=0)
    slow = drop("slow.json", '{"T5": [', age=0)
    assert driver.tick("inbox_sensor") == []  # both cut off inside their document
    growing.write_text(
        '{"T3": [{"timestamp": "2024-06-01T10:00:00Z", "role": "customer", "text": "x"}]}'
    )
    slow.write_text('{"T5": [{"timestamp": "2024-06-01T10:00:00Z",')
    # growing.json is one whole JSON document now: read at once, without waiting a tick;
    # slow.json changed since the last tick and is still cut off: not read
    assert paths(driver.tick("inbox_sensor")) == ["growing.json"]
    # unchanged for a tick: stable, so read (and rejected by its run as cut-off JSON)
    assert paths(driver.tick("inbox_sensor")) == ["slow.json"]


def test_rejected_file_is_retried_when_dropped_again_after_a_fix(
    settings: Settings, instance, drop, query, tmp_path
) -> None:
    dyi = {
        "participants": [{"name": "Ann"}, {"name": "Acme"}],
        "title": "Support chat",
        "messages": [
            {"sender_name": "Acme", "timestamp_ms": 1717236000000, "content": "a"},
            {"sender_name": "Ann", "timestamp_ms": 1717235000000, "content": "q"},
        ],
    }
    drop("message_1.json", dyi)
    SensorDriver(build_definitions(settings), instance).ingest()
    assert query("SELECT status FROM ingested_files") == [("rejected",)]
    assert (
        "POWERPULSE_PAGE_NAMES" in (settings.rejected_dir / "message_1.json.error.txt").read_text()
    )

    fixed = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(settings.data_dir), "POWERPULSE_PAGE_NAMES": "Acme"}
    )
    drop("message_1.json", dyi)
    SensorDriver(build_definitions(fixed), instance).ingest()
    assert query("SELECT status FROM ingested_files") == [("ingested",)]
    assert query("SELECT customer_messages, agent_messages FROM conversations") == [(1, 1)]


@pytest.mark.similarity_off
def test_a_90_day_export_is_one_ingest_run_and_one_daily_run(settings, driver, drop, query) -> None:
    threads = generate_threads(threads=1500, first_day=datetime(2024, 2, 1, tzinfo=UTC), days=90)
    drop("quarter.json", grouped_export(threads))
    requests = driver.ingest()
    assert len(requests) == 2
    daily = requests[1]
    assert (daily.tags[RANGE_START], daily.tags[RANGE_END]) == ("2024-02-01", "2024-05-05")
    assert query("SELECT count(*) FROM daily_metrics WHERE day < '2024-05-01'") == [(90,)]
    before = {
        t: table_snapshot(query, t, order)
        for t, order in [
            ("messages", "chat_id, message_key"),
            ("conversations", "conversation_id"),
            ("daily_metrics", "day"),
        ]
    }
    driver.execute(DAILY_JOB, [daily])  # re-running yields identical tables
    after = {
        t: table_snapshot(query, t, order)
        for t, order in [
            ("messages", "chat_id, message_key"),
            ("conversations", "conversation_id"),
            ("daily_metrics", "day"),
        ]
    }
    assert after == before


def test_messages_outside_the_configured_dates_are_skipped_and_counted(
    settings, driver, drop, query
) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    drop(
        "mixed.json",
        thread(
            "T1",
            ("2023-12-31T10:00:00Z", "customer", "old"),
            ("2024-06-01T10:00:00Z", "customer", "ok"),
            (future, "customer", "later"),
        ),
    )
    driver.ingest()
    assert query("SELECT messages_in_file, new_messages, skipped_messages FROM ingested_files") == [
        (3, 1, 2)
    ]
    detail = query("SELECT skipped_detail FROM ingested_files")[0][0]
    assert any("POWERPULSE_START_DATE=2024-01-01" in line for line in detail)
    drop("old.json", thread("T2", ("2023-05-01T10:00:00Z", "customer", "old")))
    driver.ingest()
    assert "POWERPULSE_START_DATE" in (settings.rejected_dir / "old.json.error.txt").read_text()


def test_a_file_partition_rematerialized_from_the_ui_finds_its_file_by_content(
    settings, driver, drop, query, instance
) -> None:
    path = drop("sub/week.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    driver.ingest()
    (key,) = instance.get_dynamic_partitions("chat_files")
    job = driver.defs.resolve_job_def(INGEST_JOB)
    # no run config: as when a user clicks Materialize on the partition
    assert job.execute_in_process(instance=instance, partition_key=key).success
    # already stored: the run reports what the first one stored (so its days are rebuilt)
    latest = instance.fetch_materializations(AssetKey("raw_messages"), limit=1).records[0]
    assert latest.asset_materialization.metadata["days_touched"].value == ["2024-06-01"]
    assert query("SELECT status, new_messages FROM ingested_files") == [("ingested", 1)]
    path.unlink()
    assert job.execute_in_process(instance=instance, partition_key=key).success
    latest = instance.fetch_materializations(AssetKey("raw_messages"), limit=1).records[0]
    assert latest.asset_materialization.metadata["status"].value == "missing"
    assert query("SELECT count(*) FROM raw_messages", work=True) == [(1,)]  # nothing lost


def test_a_message_repeated_inside_one_file_is_stored_once(settings, driver, drop, query) -> None:
    message = {
        "message_id": "m1",
        "timestamp": "2024-06-01T10:00:00Z",
        "role": "customer",
        "text": "hi",
    }
    drop("twice.json", {"T1": [message, message, {**message, "message_id": None}]})
    driver.ingest()
    # m1 twice is one message; the copy without an id is told apart by time + side + text
    assert query("SELECT messages_in_file, new_messages FROM ingested_files") == [(3, 2)]
    assert query("SELECT count(*) FROM raw_messages", work=True) == [(2,)]
