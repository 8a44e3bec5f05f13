"""When to ask again for a file or day whose run ended without storing or building it.

Dagster's own run retry (deploy/dagster.yaml) comes first; after that the sensors ask again,
with doubling pauses so that a persistent failure does not start a run every few seconds.
"""

from __future__ import annotations

from dagster import DagsterRunStatus

FIRST_PAUSE_SECONDS = 120.0
LONGEST_PAUSE_SECONDS = 3600.0

ACTIVE_RUN_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def pause_over(requested_at: float, attempts: int, now: float) -> bool:
    """Whether the pause after the `attempts`-th request made at `requested_at` is over."""
    pause = min(FIRST_PAUSE_SECONDS * 2**attempts, LONGEST_PAUSE_SECONDS)
    return now - requested_at >= pause
