"""File-system trouble in the inbox stays with its entry: the tick goes on and says why.

Unreadable files and folders need a user without root's permission override: `make test`
drops it (see the Makefile); run by hand as root, those tests skip and say so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB

from ..test_end_to_end import thread


def permissions_enforced(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        probe.read_text()
    except PermissionError:
        return True
    finally:
        probe.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return False


def needs_permissions(tmp_path: Path) -> None:
    if not permissions_enforced(tmp_path):
        pytest.skip(
            "this process reads unreadable files (root's permission override); `make test` "
            "runs the suite without it"
        )


class TickLog:
    """What a sensor tick wrote to its log (shown with the tick in the UI)."""

    def __init__(self, capfd: pytest.CaptureFixture[str]) -> None:
        self.capfd = capfd

    def warnings(self) -> str:
        return "\n".join(
            line for line in self.capfd.readouterr().err.splitlines() if " - WARNING - " in line
        )


@pytest.fixture
def tick_log(capfd: pytest.CaptureFixture[str]) -> TickLog:
    return TickLog(capfd)


def test_links_odd_names_and_special_files_never_stop_the_others(
    settings, driver, drop, query, tick_log, tmp_path
) -> None:
    inbox = settings.inbox_dir
    drop("good.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    outside = tmp_path / "outside.json"
    outside.write_text('{"T9": [{"timestamp": "2024-06-09T10:00:00Z", "role": "customer"}]}')
    (inbox / "to_outside.json").symlink_to(outside)
    (inbox / "broken.json").symlink_to(inbox / "nowhere.json")
    (inbox / "loop_a.json").symlink_to(inbox / "loop_b.json")
    (inbox / "loop_b.json").symlink_to(inbox / "loop_a.json")
    (inbox / "linked_dir").symlink_to(tmp_path)
    os.mkfifo(inbox / "pipe.json")
    bad_name = os.path.join(os.fsencode(inbox), b"caf\xe9.json")
    with open(bad_name, "wb") as handle:
        handle.write(b'{"T5": [{"timestamp": "2024-06-05T10:00:00Z", "role": "customer"}]}')
    os.utime(bad_name, (1e9, 1e9))  # long stable
    drop("line\nbreak.json", thread("T6", ("2024-06-06T10:00:00Z", "customer", "hi")))

    driver.ingest()
    assert query("SELECT day::VARCHAR FROM daily_metrics") == [("2024-06-01",)]
    said = tick_log.warnings()
    assert "'to_outside.json': symbolic link to a place outside the inbox" in said
    assert "'broken.json': broken symbolic link" in said
    assert "'loop_a.json': symbolic link that loops" in said
    assert "'linked_dir'" in said
    assert "'pipe.json': not a regular file" in said
    assert "'caf\\xe9.json': file skipped: its name is not valid UTF-8" in said
    assert "'line\\nbreak.json': file skipped: its name holds a line break" in said
    assert outside.exists()  # nothing outside the inbox is touched

    driver.ingest()
    assert tick_log.warnings() == ""  # said once, not on every tick
    assert "8 entries need attention" in driver.skip_reasons["inbox_sensor"]
    os.rename(bad_name, inbox / "cafe.json")  # renamed, it is picked up
    (inbox / "line\nbreak.json").rename(inbox / "linebreak.json")
    driver.ingest()
    assert query("SELECT day::VARCHAR FROM daily_metrics ORDER BY day") == [
        ("2024-06-01",),
        ("2024-06-05",),
        ("2024-06-06",),
    ]


def test_unreadable_folder_and_file_wait_and_are_read_once_readable(
    settings, driver, drop, query, tick_log, tmp_path
) -> None:
    needs_permissions(tmp_path)
    drop("good.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    locked = drop("locked/inside.json", thread("T2", ("2024-06-02T10:00:00Z", "customer", "hi")))
    secret = drop("secret.json", thread("T3", ("2024-06-03T10:00:00Z", "customer", "hi")))
    locked.parent.chmod(0)
    secret.chmod(0)
    try:
        driver.ingest()
        said = tick_log.warnings()
        assert "'locked/': folder cannot be read (permission denied)" in said
        assert "'secret.json': file cannot be read (permission denied)" in said
        assert query("SELECT day::VARCHAR FROM daily_metrics") == [("2024-06-01",)]
    finally:
        locked.parent.chmod(0o755)
    secret.chmod(0o644)
    driver.ingest()
    assert query("SELECT day::VARCHAR FROM daily_metrics ORDER BY day") == [
        ("2024-06-01",),
        ("2024-06-02",),
        ("2024-06-03",),
    ]
    assert sorted(p.name for p in settings.rejected_dir.rglob("*")) == []


def test_a_file_unreadable_when_its_run_starts_is_read_after_it_is_fixed(
    settings, driver, drop, query, tmp_path
) -> None:
    needs_permissions(tmp_path)
    path = drop("late.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    requests = driver.tick("inbox_sensor")
    path.chmod(0)
    driver.execute(INGEST_JOB, requests)  # the run succeeds; the file waits
    assert path.exists() and not settings.rejected_dir.exists()
    path.chmod(0o644)  # changes the file's ctime: the sensor looks again
    driver.ingest()
    assert query("SELECT day::VARCHAR, conversations FROM daily_metrics") == [("2024-06-01", 1)]


def test_new_content_with_the_same_name_size_and_mtime_is_noticed(
    settings, driver, drop, query
) -> None:
    first = thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi"))
    second = thread("T2", ("2024-06-02T10:00:00Z", "customer", "yo"))
    path = drop("same.json", first)
    driver.ingest()
    before = path.stat()
    path.write_text(__import__("json").dumps(second, ensure_ascii=False))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    driver.ingest()
    assert query("SELECT day::VARCHAR FROM daily_metrics ORDER BY day") == [
        ("2024-06-01",),
        ("2024-06-02",),
    ]


def test_a_file_swapped_for_a_link_after_the_tick_is_not_followed(
    settings, driver, drop, query, tmp_path
) -> None:
    content = thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi"))
    path = drop("swap.json", content)
    outside = tmp_path / "private.json"
    outside.write_bytes(path.read_bytes())  # same content: only following it would store it
    requests = driver.tick("inbox_sensor")
    path.unlink()
    path.symlink_to(outside)
    driver.execute(INGEST_JOB, requests)
    assert query("SELECT count(*) FROM raw_messages", work=True) == [(0,)]
    assert query("SELECT status FROM ingested_files", work=True) == [("rejected",)]
    error = (settings.rejected_dir / "swap.json.error.txt").read_text()
    assert "symbolic link" in error and "never followed" in error
    assert outside.exists() and (settings.rejected_dir / "swap.json").is_symlink()


def test_a_second_copy_of_a_rejected_file_gets_its_own_outcome(settings, driver, drop) -> None:
    drop("bad.json", '{"T1": [ {"timestamp": ')
    drop("copy/bad.json", '{"T1": [ {"timestamp": ')
    for _ in range(3):
        driver.ingest()
    assert sorted(
        p.relative_to(settings.rejected_dir).as_posix()
        for p in settings.rejected_dir.rglob("*.txt")
    ) == [
        "bad.json.error.txt",
        "copy/bad.json.error.txt",
    ]
    assert not any(settings.inbox_dir.rglob("*.json"))


def test_a_file_whose_run_died_is_requested_again(
    settings, driver, drop, query, monkeypatch
) -> None:
    from powerpulse_pipeline.sensors import rerequest

    drop("lost.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    assert len(driver.tick("inbox_sensor")) == 1  # its run is lost: never executed
    assert driver.tick("inbox_sensor") == []  # not yet: Dagster's own retry comes first
    monkeypatch.setattr(rerequest, "FIRST_PAUSE_SECONDS", 0.0)
    again = driver.tick("inbox_sensor")
    assert len(again) == 1 and again[0].tags["powerpulse/retry"] == "true"
    driver.execute(INGEST_JOB, again)
    driver.execute(DAILY_JOB, driver.tick("touched_days_sensor"))
    assert query("SELECT conversations FROM daily_metrics") == [(1,)]
    assert driver.tick("inbox_sensor") == []  # stored: nothing more to ask for


def test_a_day_whose_run_died_is_requested_again(
    settings, driver, drop, query, monkeypatch
) -> None:
    from powerpulse_pipeline.sensors import rerequest

    drop("a.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    driver.execute(INGEST_JOB, driver.tick("inbox_sensor"))
    assert len(driver.tick("touched_days_sensor")) == 1  # its run is lost: never executed
    assert driver.tick("touched_days_sensor") == []
    monkeypatch.setattr(rerequest, "FIRST_PAUSE_SECONDS", 0.0)
    again = driver.tick("touched_days_sensor")
    assert [(r.tags["dagster/asset_partition_range_start"]) for r in again] == ["2024-06-01"]
    driver.execute(DAILY_JOB, again)
    assert query("SELECT conversations FROM daily_metrics") == [(1,)]
    assert driver.tick("touched_days_sensor") == []  # built: no longer owed


def test_a_rejected_file_dropped_again_whose_retry_died_is_requested_again(
    settings, driver, drop, monkeypatch
) -> None:
    from powerpulse_pipeline.sensors import rerequest

    drop("bad.json", '{"T1": [ {"timestamp": ')
    driver.ingest()
    drop("bad.json", '{"T1": [ {"timestamp": ')  # dropped again: retried
    retry = driver.tick("inbox_sensor")
    assert len(retry) == 1  # its run is lost; the old (rejected) run must not count as done
    monkeypatch.setattr(rerequest, "FIRST_PAUSE_SECONDS", 0.0)
    again = driver.tick("inbox_sensor")
    assert [r.tags["powerpulse/retry"] for r in again] == ["true"]
    driver.execute(INGEST_JOB, again)
    assert (settings.rejected_dir / "bad.1.json.error.txt").exists()
    assert driver.tick("inbox_sensor") == []


def test_names_with_unusual_but_valid_characters_are_ingested(settings, driver, drop, query):
    # a no-break space (macOS), a zero-width joiner (emoji sequences), a right-to-left mark
    drop("caf\u00e9\u00a0chat.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    drop(
        "\U0001f469\u200d\U0001f4bb/x.json",
        thread("T2", ("2024-06-02T10:00:00Z", "customer", "hi")),
    )
    drop("\u200fnotes.json", thread("T3", ("2024-06-03T10:00:00Z", "customer", "hi")))
    driver.ingest()
    assert query("SELECT count(*) FROM daily_metrics") == [(3,)]
