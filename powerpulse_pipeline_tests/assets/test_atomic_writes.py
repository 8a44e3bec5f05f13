"""A killed writer leaves the previous good state: the day-range replace is one transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from powerpulse_pipeline.warehouse.io import transaction
from powerpulse_pipeline.warehouse.schema import ensure_schema

REPO = Path(__file__).resolve().parents[2]


def seed(path: Path) -> None:
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        conn.execute(
            "INSERT INTO daily_metrics (day, conversations, scored_conversations, "
            "failed_conversations, customer_messages, agent_messages, autoresponses_filtered, "
            "unanswered_conversations, reviewed_conversations, csat_pct) "
            "VALUES ('2024-06-01', 5, 5, 0, 9, 7, 1, 0, 0, 80)"
        )


def test_exception_inside_the_replace_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    seed(path)
    with duckdb.connect(str(path)) as conn:
        try:
            with transaction(conn):
                conn.execute("DELETE FROM daily_metrics WHERE day = '2024-06-01'")
                raise RuntimeError("step failed half-way")
        except RuntimeError:
            pass
        assert conn.execute("SELECT conversations, csat_pct FROM daily_metrics").fetchall() == [
            (5, 80.0)
        ]


def test_process_killed_mid_replace_leaves_previous_rows(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    seed(path)
    marker = tmp_path / "deleted"
    script = textwrap.dedent(f"""
        import time, duckdb
        from powerpulse_pipeline.warehouse.io import transaction
        conn = duckdb.connect({str(path)!r})
        with transaction(conn):
            conn.execute("DELETE FROM daily_metrics WHERE day = '2024-06-01'")
            open({str(marker)!r}, "w").close()
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT conversations, csat_pct FROM daily_metrics").fetchall() == [
            (5, 80.0)
        ]
