"""The locked-down connection every answer runs on: the analysts' copy opened read-only,
external access off, extensions never loaded, the configuration locked; and a query run
with a row cap and a time limit (DuckDB's own guidance for untrusted SQL)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

ROW_CAP = 10_000
TIME_LIMIT_SECONDS = 30.0

LOCKED_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}


class NoWarehouse(RuntimeError):
    """There is no analysts' copy to read (yet, or now): said in words for the user."""


class Stopped(RuntimeError):
    """The query ran past its time limit and was interrupted."""


def connect_locked(path: Path, wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open the analysts' copy for answers. Waits a little while an analyst's read-write
    session holds the file; the pipeline itself never does (it replaces the file)."""
    if not path.exists():
        raise NoWarehouse(f"no warehouse at {path} yet: drop chat exports into the inbox first")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=True, config=dict(LOCKED_CONFIG))
            break
        except duckdb.IOException as exc:
            if time.monotonic() > deadline:
                raise NoWarehouse(
                    f"{path} is held open read-write by another session (a `duckdb` CLI "
                    "without -readonly?); it frees with the next publish, or open it read-only"
                ) from exc
            time.sleep(0.5)
        except duckdb.ConnectionException as exc:
            # DuckDB keeps one instance per file and process: a connection opened here
            # without these settings (a notebook's own) cannot be joined by a locked one.
            raise NoWarehouse(
                f"this process already has {path} open with other settings: close that "
                "connection, or open it with powerpulse_pipeline.ask.readonly.connect_locked"
            ) from exc
    try:
        conn.execute("SET lock_configuration = true")
    except duckdb.InvalidInputException:
        # joined an instance this process already opened and locked
        locked = conn.execute("SELECT current_setting('lock_configuration')").fetchone()[0]
        if not locked:
            conn.close()
            raise
    return conn


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than the cap
    seconds: float


def run_capped(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    row_cap: int = ROW_CAP,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> Result:
    """Run one statement; at most `row_cap` rows come back, and it is interrupted after
    `time_limit` seconds (raises Stopped)."""
    started = time.monotonic()
    cursor = conn.cursor()
    timer = threading.Timer(time_limit, cursor.interrupt)
    timer.start()
    try:
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(row_cap + 1)
    except duckdb.InterruptException as exc:
        raise Stopped(f"the query ran for over {time_limit:g} s and was stopped") from exc
    finally:
        timer.cancel()
        cursor.close()
    return Result(columns, rows[:row_cap], len(rows) > row_cap, time.monotonic() - started)
