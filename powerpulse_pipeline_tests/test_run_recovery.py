"""A run whose worker is killed is detected, failed, its pool slot freed, and run again.

This runs the real Dagster daemon (sensors, run queue, run monitoring, run retries) on a
persistent instance configured by deploy/dagster.yaml, launching runs as `make dev` does, and
kills the daily run's worker process with SIGKILL while it waits on the (local) LLM server.

The case here: the worker and the code server that started it die together (`dagster dev`
killed, a crash): nobody reports it, and only run monitoring asking our launcher about the
worker's pid fails the run; with Dagster's default launcher that run stays STARTED for ever.
The other case, only the worker dies (the OOM killer) and its code server reports the death,
is deployment/test_serve.py's, on PostgreSQL under `make serve`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from powerpulse_pipeline.partitions import DUCKDB_POOL
from powerpulse_pipeline.pipeline import DAILY_JOB
from powerpulse_pipeline.run_launcher import worker_pid

from .fake_openai import fake_openai_server

REPO = Path(__file__).resolve().parents[1]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"


def wait_for(what: str, condition: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Daemon:
    """`dagster-daemon run` on the repository's workspace, as `make dev` runs it."""

    def __init__(self, home: Path, env: dict[str, str], log: Path) -> None:
        self.home, self.env, self.log = home, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
            start_new_session=True,  # its code server and run workers share its group
        )

    def kill_all(self) -> None:
        """As when `dagster dev` is killed: daemon, code server and run workers at once."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_all()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Daemon, DagsterInstance, Path, Any]]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load(DEPLOY_YAML.read_text())
    # Shorter than production so the test is quick; the mechanism is the same.
    config["run_monitoring"].update(poll_interval_seconds=3, free_slots_after_run_end_seconds=2)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    data = tmp_path / "data"
    with fake_openai_server(latency=600.0) as (url, state):
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "POWERPULSE_DATA_DIR": str(data),
            "POWERPULSE_SCORER": "openai",
            "OPENAI_API_KEY": "sk-test-not-a-secret",
            "OPENAI_BASE_URL": url,
            "POWERPULSE_LLM_TIMEOUT_SECONDS": "900",
            "POWERPULSE_EMBEDDING_MODEL": "off",  # about the run's worker, not its steps
        }
        runner = Daemon(home, env, tmp_path / "daemon.log")
        runner.start()
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        try:
            yield runner, instance, data, state
        finally:
            runner.stop()
            instance.dispose()


def test_a_killed_dagster_dev_fails_frees_and_reruns_its_daily_run(daemon) -> None:
    runner, instance, data, llm = daemon
    inbox = data / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    export = inbox / "export.json"
    export.write_text(
        '{"T1": [{"timestamp": "2024-06-01T10:00:00Z", "role": "customer", "text": "hi"},'
        ' {"timestamp": "2024-06-01T10:05:00Z", "role": "agent", "text": "hello"}]}'
    )
    stamp = time.time() - 120
    os.utime(export, (stamp, stamp))

    def daily_runs(*statuses: DagsterRunStatus) -> list:
        return instance.get_runs(RunsFilter(job_name=DAILY_JOB, statuses=list(statuses)))

    # The daily run is stuck waiting on the LLM server: kill its worker as the OOM killer would.
    wait_for("the daily run to call the LLM", lambda: llm.requests >= 1, 150)
    (run,) = daily_runs(DagsterRunStatus.STARTED)
    pid = wait_for("the run worker's pid", lambda: worker_pid(instance, run.run_id), 30)
    assert pid
    runner.kill_all()
    runner.start()
    llm.latency = 0.0  # after the kill: lowering it releases the waiting request

    failed = wait_for(
        "run monitoring to fail the killed run",
        lambda: instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE,
        90,
    )
    assert failed

    def slot_holders() -> set[str]:
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
        return {slot.run_id for slot in info.claimed_slots}

    wait_for("the killed run's pool slot to be freed", lambda: run.run_id not in slot_holders(), 60)

    retried = wait_for(
        "a retry of the killed run to succeed",
        lambda: [
            r
            for r in daily_runs(DagsterRunStatus.SUCCESS)
            if r.tags.get("dagster/parent_run_id") == run.run_id
        ],
        150,
    )
    assert retried[0].tags["dagster/asset_partition_range_start"] == "2024-06-01"
    analyst_copy = data / "warehouse" / "powerpulse.duckdb"
    with duckdb.connect(str(analyst_copy), read_only=True) as conn:
        assert conn.execute(
            "SELECT day::VARCHAR, conversations, scored_conversations FROM daily_metrics"
        ).fetchall() == [("2024-06-01", 1, 1)]


def test_worker_health_from_the_pid() -> None:
    from dagster._core.launcher.base import WorkerStatus

    from powerpulse_pipeline.run_launcher import process_state

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_state(proc.pid, time.time()) == WorkerStatus.RUNNING
        # a process that started long after the run did is another process with a reused pid
        assert process_state(proc.pid, time.time() - 3600) == WorkerStatus.FAILED
        proc.kill()
        time.sleep(0.5)  # killed but not reaped: a zombie is not a worker
        assert process_state(proc.pid, time.time()) == WorkerStatus.FAILED
    finally:
        proc.kill()
        proc.wait()
    assert process_state(proc.pid, time.time()) == WorkerStatus.FAILED
