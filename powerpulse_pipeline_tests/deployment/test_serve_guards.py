"""What `make serve` and the code location refuse or set before anything starts."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path


def test_a_second_serve_on_the_same_home_says_so_and_starts_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "serve").mkdir(parents=True)
    with (home / "serve" / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `make serve` holds it
        done = subprocess.run(
            [sys.executable, "-m", "powerpulse_pipeline.deployment.serve"],
            env={**os.environ, "DAGSTER_HOME": str(home), "POWERPULSE_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "another `make serve` is running" in done.stderr
    assert not (tmp_path / "postgres").exists() and not list((home / "serve").glob("*.pid"))


def test_restart_refuses_a_pid_that_is_not_the_service(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "serve").mkdir(parents=True)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (home / "serve" / "webserver.pid").write_text(f"{bystander.pid}\n")
        done = subprocess.run(
            [sys.executable, "-m", "powerpulse_pipeline.deployment.serve", "restart", "webserver"],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1 and "is not running" in done.stderr
        assert bystander.poll() is None  # left alone
    finally:
        bystander.kill()
        bystander.wait()


def test_every_run_worker_writes_its_events_in_batches() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_EVENT_BATCH_SIZE"}
    done = subprocess.run(
        [sys.executable, "-c", "import os, powerpulse_pipeline.definitions; "
         "print(os.environ['DAGSTER_EVENT_BATCH_SIZE'])"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "100", done.stderr[-500:]


def test_services_left_by_a_killed_supervisor_are_stopped_at_the_next_start(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "serve").mkdir(parents=True)
    # a daemon of a supervisor that was killed outright: its own session, its pid file kept
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "dagster-daemon", "run"],
        start_new_session=True,
    )
    try:
        (home / "serve" / "daemon.pid").write_text(f"{leftover.pid}\n")
        done = subprocess.run(
            [sys.executable, "-m", "powerpulse_pipeline.deployment.serve"],
            env={
                **os.environ,
                "DAGSTER_HOME": str(home),
                "POWERPULSE_DATA_DIR": str(tmp_path),
                # no server there: the start ends after the leftovers are stopped
                "POWERPULSE_POSTGRES_URL": "postgresql://pp:pw-x@127.0.0.1:1/dagster",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1 and "cannot be opened" in done.stderr
        assert "left by a supervisor that died" in done.stdout
        assert leftover.wait(timeout=10) == -9
        assert not (home / "serve" / "daemon.pid").exists()
    finally:
        leftover.kill()
        leftover.wait()
