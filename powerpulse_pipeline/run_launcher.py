"""A run launcher that lets Dagster's run monitoring see a run whose worker process died.

`dagster dev` launches each run as a local process (DefaultRunLauncher), and that launcher
cannot tell run monitoring whether the process is alive: a run whose worker is killed (the
OOM killer, a reboot of the machine without the daemon) stays STARTED for ever, holding its
DuckDB pool slot. This launcher launches runs exactly as the default one does and answers
the health check from the run worker's process id, recorded by Dagster in the run's
RUN_START event. deploy/dagster.yaml selects it; with `max_resume_run_attempts: 0` run
monitoring then marks such a run failed, frees its slot, and run retries start it again.

It assumes what `dagster dev` does: the daemon and the run workers on one machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterEventType, DagsterRun, DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus

# A process that started this long after the run did is not the run's worker (pid reuse).
START_SLACK_SECONDS = 30.0


def worker_pid(instance: object, run_id: str) -> int | None:
    """The pid of the process that started executing the run, from its latest RUN_START."""
    records = instance.get_records_for_run(  # type: ignore[attr-defined]
        run_id, of_type=DagsterEventType.RUN_START, ascending=False, limit=1
    ).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event else None


def process_state(pid: int, started_by: float | None) -> WorkerStatus:
    """RUNNING while the pid is a live process old enough to be the run's worker."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.parent.exists():  # no procfs: ask the kernel whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return WorkerStatus.FAILED
        except PermissionError:
            pass
        return WorkerStatus.RUNNING
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return WorkerStatus.FAILED
    if fields[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return WorkerStatus.FAILED
    if (
        started_by is not None
        and _process_start(int(fields[19])) > started_by + START_SLACK_SECONDS
    ):
        return WorkerStatus.FAILED
    return WorkerStatus.RUNNING


def _process_start(start_ticks: int) -> float:
    boot = next(
        float(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return boot + start_ticks / os.sysconf("SC_CLK_TCK")


class LocalProcessRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher plus a worker health check from the run worker's pid."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        pid = worker_pid(self._instance, run.run_id)
        if pid is None:
            # Not executing yet: run monitoring's start timeout covers a launch that hangs.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker has started yet")
        record = self._instance.get_run_record_by_id(run.run_id)
        started = record.start_time if record else None
        status = process_state(pid, started)
        if status == WorkerStatus.FAILED:
            return CheckRunHealthResult(
                status, f"run worker process {pid} is gone (killed or crashed)"
            )
        return CheckRunHealthResult(status, f"run worker process {pid} is alive")
