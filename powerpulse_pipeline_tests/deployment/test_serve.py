"""`make serve` on a real PostgreSQL: every service its own process, supervised.

The supervisor (deployment/serve.py) runs the code server, webserver, daemon and explorer
against a fresh database. Three exports dropped at once go through the sensors and the runs
(three ingest runs at once, then the daily run), whose worker is killed while it waits on the
LLM server: run monitoring fails that run and a retry fills the tables. The DuckDB writer pool
never let two steps write at once, one service restarts alone, the database password and the
API key are in no log, file, command line or the UI's instance page, and stopping the
supervisor stops everything.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from powerpulse_pipeline.deployment import instance as instance_file
from powerpulse_pipeline.pipeline import DAILY_JOB, INGEST_JOB
from powerpulse_pipeline.run_launcher import worker_pid

from ..fake_openai import fake_openai_server
from ..test_instance_pool import WRITERS
from ..test_run_recovery import wait_for
from .conftest import free_port, new_database

API_KEY = "sk-test-serve-key-never-shown"


class Serve:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.home = tmp / "dagster_home"
        self.data = Path(env["POWERPULSE_DATA_DIR"])
        self.out = tmp / "serve.out"
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "powerpulse_pipeline.deployment.serve"],
            env=env,
            stdout=self.out.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pids(self) -> dict[str, int]:
        folder = self.home / "serve"
        return {p.stem: int(p.read_text()) for p in folder.glob("*.pid")} if folder.exists() else {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pid in self.pids().values():  # a service left behind is this test's to kill
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def served(
    postgres_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Serve, DagsterInstance, Any, str]]:
    url = new_database(postgres_server, "serve")
    home = tmp_path / "dagster_home"
    home.mkdir()
    # Shorter than production so the test is quick; the mechanism is the same.
    (home / instance_file.LOCAL_YAML).write_text(
        "run_monitoring:\n  poll_interval_seconds: 3\n  free_slots_after_run_end_seconds: 2\n"
    )
    with fake_openai_server(latency=600.0) as (llm_url, llm):
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "POWERPULSE_DATA_DIR": str(tmp_path / "data"),
            # the bare scheme: SQLAlchemy takes psycopg 3 for it (DESIGN section 13)
            instance_file.POSTGRES_URL_VAR: url.replace("postgresql+psycopg2://", "postgresql://"),
            "POWERPULSE_CODE_SERVER_PORT": str(free_port()),
            "POWERPULSE_WEBSERVER_PORT": str(free_port()),
            "POWERPULSE_EXPLORER_PORT": str(free_port()),
            "POWERPULSE_SCORER": "openai",
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": llm_url,
            "POWERPULSE_LLM_TIMEOUT_SECONDS": "900",
            "POWERPULSE_EMBEDDING_MODEL": "off",  # about the services, not the steps
        }
        serve = Serve(tmp_path, env)
        monkeypatch.setenv(instance_file.POSTGRES_URL_VAR, url)  # this process reads it too
        try:
            wait_for("the services to start", lambda: len(serve.pids()) == 4, 120)
            opened = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
            try:
                yield serve, opened, llm, url
            finally:
                opened.dispose()
        finally:
            serve.stop()


def _export(day: str, thread: str) -> str:
    return json.dumps(
        {
            thread: [
                {"timestamp": f"{day}T10:00:00Z", "role": "customer", "text": "my card is stuck"},
                {"timestamp": f"{day}T10:04:00Z", "role": "agent", "text": "unlocked it now"},
            ]
        }
    )


def _graphql(port: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)["data"]


def _pool_steps(opened: DagsterInstance) -> list[tuple[float, float, str, str]]:
    """(start, end, run, step) of every step of the writer pool, across all runs."""
    kinds = {
        DagsterEventType.STEP_START,
        DagsterEventType.STEP_SUCCESS,
        DagsterEventType.STEP_FAILURE,
    }
    spans: list[tuple[float, float, str, str]] = []
    for run in opened.get_runs():
        record = opened.get_run_record_by_id(run.run_id)
        run_end = record.end_time if record and record.end_time else time.time()
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        for event in opened.get_records_for_run(run.run_id, of_type=kinds).records:
            entry = event.event_log_entry
            step = entry.step_key or ""
            if step.split("[")[0] not in WRITERS:
                continue
            if entry.dagster_event.event_type == DagsterEventType.STEP_START:
                starts[step] = entry.timestamp
            else:
                ends[step] = entry.timestamp
        spans += [(t, ends.get(s, run_end), run.run_id, s) for s, t in starts.items()]
    return sorted(spans)


def test_make_serve_on_postgres(served, tmp_path: Path) -> None:
    serve, opened, llm, url = served
    assert type(opened.run_storage).__name__ == "PostgresRunStorage"
    inbox = serve.data / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    stamp = time.time() - 120
    for name, day in (("a.json", "2024-06-01"), ("b.json", "2024-06-02"), ("c.json", "2024-06-02")):
        (inbox / name).write_text(_export(day, f"T-{name}"))
        os.utime(inbox / name, (stamp, stamp))

    def runs(job: str, *statuses: DagsterRunStatus) -> list:
        return opened.get_runs(RunsFilter(job_name=job, statuses=list(statuses)))

    # sensors and jobs: the inbox sensor's runs, then the days sensor's run, which calls the LLM
    wait_for("the daily run to call the LLM", lambda: llm.requests >= 1, 180)
    assert len(runs(INGEST_JOB, DagsterRunStatus.SUCCESS)) == 1  # three files, one run
    (run,) = runs(DAILY_JOB, DagsterRunStatus.STARTED)
    pid = wait_for("the run worker's pid", lambda: worker_pid(opened, run.run_id), 30)
    # a new day arrives while the daily run waits: its ingest run wants the writer too
    (inbox / "d.json").write_text(_export("2024-06-03", "T-d"))
    os.utime(inbox / "d.json", (stamp, stamp))
    wait_for("the new file's run", lambda: len(runs(INGEST_JOB, DagsterRunStatus.SUCCESS)) == 2, 90)
    os.kill(pid, signal.SIGKILL)
    llm.latency = 0.0  # after the kill: lowering it releases the waiting requests
    wait_for(
        "run monitoring to fail the killed run",
        lambda: opened.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE,
        90,
    )
    wait_for(
        "a retry of the killed run to succeed",
        lambda: [
            r
            for r in runs(DAILY_JOB, DagsterRunStatus.SUCCESS)
            if r.tags.get("dagster/parent_run_id") == run.run_id
        ],
        150,
    )
    analysts = serve.data / "warehouse" / "powerpulse.duckdb"
    wait_for("the new day's numbers", lambda: _days(analysts) == 3, 150)
    with duckdb.connect(str(analysts), read_only=True) as conn:
        assert conn.execute(
            "SELECT day::VARCHAR, conversations FROM daily_metrics ORDER BY day"
        ).fetchall() == [("2024-06-01", 1), ("2024-06-02", 2), ("2024-06-03", 1)]

    # the pool: runs ran at once, yet no two writer steps overlapped
    spans = _pool_steps(opened)
    assert len({run_id for _, _, run_id, _ in spans}) >= 4
    assert _runs_at_once(opened) >= 2
    latest = spans[0]
    for span in spans[1:]:
        assert latest[1] <= span[0], f"{latest[3]} ({latest[2]}) overlapped {span[3]} ({span[2]})"
        latest = max(latest, span, key=lambda s: s[1])

    # one service restarts alone
    before = serve.pids()
    subprocess.run(
        [sys.executable, "-m", "powerpulse_pipeline.deployment.serve", "restart", "webserver"],
        env=serve.env,
        check=True,
        capture_output=True,
    )
    wait_for(
        "the webserver to start again",
        lambda: serve.pids().get("webserver", before["webserver"]) != before["webserver"],
        60,
    )
    after = serve.pids()
    assert {k: v for k, v in after.items() if k != "webserver"} == {
        k: v for k, v in before.items() if k != "webserver"
    }
    port = serve.env["POWERPULSE_WEBSERVER_PORT"]

    def instance_page() -> str | None:
        try:
            return _graphql(port, "{ instance { info } }")["instance"]["info"]
        except OSError:
            return None

    info = wait_for("the webserver to answer", instance_page, 90)
    assert "PostgresRunStorage" in info or "postgres" in info.lower()

    # secrets: nowhere the deployment writes or shows
    password = url.split(":", 2)[2].split("@", 1)[0]
    assert len(password) > 10
    for secret in (password, API_KEY):
        assert secret not in info
        for path in [*serve.home.rglob("*"), *serve.data.rglob("*"), serve.out]:
            if path.is_file() and path.suffix not in (".duckdb", ".wal"):
                assert secret.encode() not in path.read_bytes(), f"{secret[:4]}… in {path}"
        for pid in _all_pids():
            cmdline = Path(f"/proc/{pid}/cmdline")
            try:
                command = cmdline.read_bytes()
            except OSError:
                continue
            assert secret.encode() not in command, f"in the command line of pid {pid}"

    # stopping the supervisor stops every service and the runs' workers with them
    services = list(serve.pids().values())
    serve.stop()
    assert serve.proc.returncode == 0
    for pid in services:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"service {pid} still runs"
    assert "all services stopped" in serve.out.read_text()


def _days(path: Path) -> int:
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            return int(conn.execute("SELECT count(*) FROM daily_metrics").fetchone()[0])
    except duckdb.Error:
        return 0


def _runs_at_once(opened: DagsterInstance) -> int:
    """The most runs that were in progress at one moment."""
    moments: list[tuple[float, int]] = []
    for run in opened.get_runs():
        record = opened.get_run_record_by_id(run.run_id)
        if record and record.start_time and record.end_time:
            moments += [(record.start_time, 1), (record.end_time, -1)]
    most = now = 0
    for _, step in sorted(moments, key=lambda m: (m[0], m[1])):
        now += step
        most = max(most, now)
    return most


def _all_pids() -> list[int]:
    """Every process on the machine: the services, their runs, and anything they started."""
    return [int(p.name) for p in Path("/proc").glob("[0-9]*")]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
