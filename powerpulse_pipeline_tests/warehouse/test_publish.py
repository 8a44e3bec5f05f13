"""The analysts' copy: sessions held on it never block a run, and any DuckDB 1.x client reads it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from powerpulse_pipeline.warehouse.publish import PUBLISHED_TABLES, adopt_legacy_warehouse

from ..test_end_to_end import thread


def cli_binary() -> Path:
    spec = importlib.util.find_spec("duckdb_cli")
    if spec is None or spec.origin is None:
        pytest.skip("the duckdb-cli package is not installed (make install adds it)")
    return Path(spec.origin).parent / "duckdb"


def cli(path: Path, sql: str, *flags: str) -> str:
    result = subprocess.run(
        [str(cli_binary()), *flags, "-csv", "-c", sql, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class HeldSession:
    """An analyst's interactive session left open: a process holding the file."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def ask(self, sql: str) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


PY_READER = """
import sys, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(conn.execute(line).fetchone()[0], flush=True)
"""


# A read-write session excludes every other session on the same file (DuckDB's design), so
# the two ways analysts hold the file are tried apart.
@pytest.fixture(params=["read-write CLI", "read-only CLI and Python sessions"])
def sessions(request, settings, driver, drop) -> Iterator[list[HeldSession]]:
    drop("first.json", thread("T1", ("2024-06-01T10:00:00Z", "customer", "hi")))
    driver.ingest()
    path = str(settings.duckdb_path)
    if request.param == "read-write CLI":  # `duckdb file` with no flag
        held = [HeldSession([str(cli_binary()), "-csv", "-noheader", path])]
    else:  # the CLI with -readonly, BI tools and Python with read_only=True
        held = [
            HeldSession([str(cli_binary()), "-readonly", "-csv", "-noheader", path]),
            HeldSession([sys.executable, "-c", PY_READER, path]),
            HeldSession([sys.executable, "-c", PY_READER, path]),
        ]
    for session in held:
        assert session.ask("SELECT count(*) FROM daily_metrics;") == "1"
    yield held
    for session in held:
        session.close()


def test_sessions_held_open_never_block_a_run(settings, driver, drop, query, sessions) -> None:
    drop("second.json", thread("T2", ("2024-06-02T10:00:00Z", "customer", "hello")))
    driver.ingest()  # the harness asserts every run succeeded
    assert query("SELECT day::VARCHAR FROM daily_metrics ORDER BY day") == [
        ("2024-06-01",),
        ("2024-06-02",),
    ]
    # each open session still answers, from the copy it opened
    for session in sessions:
        assert session.ask("SELECT count(*) FROM daily_metrics;") == "1"


@pytest.mark.similarity_off
def test_read_only_queries_during_runs_never_fail_nor_see_half_a_run(
    settings, driver, drop
) -> None:
    drop("day0.json", thread("T0", ("2024-06-01T09:00:00Z", "customer", "hi")))
    driver.ingest()
    stop = threading.Event()
    seen: list[tuple[int, int, int]] = []
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
                    seen.append(
                        conn.execute(
                            "SELECT (SELECT sum(conversations) FROM daily_metrics), "
                            "(SELECT count(*) FROM conversations), "
                            "(SELECT count(DISTINCT conversation_id) FROM messages)"
                        ).fetchone()
                    )
            except duckdb.Error as exc:
                errors.append(str(exc))

    worker = threading.Thread(target=reader)
    worker.start()
    try:
        for day in range(2, 8):
            drop(
                f"day{day}.json",
                thread(f"T{day}", (f"2024-06-0{day}T10:00:00Z", "customer", "hi")),
            )
            driver.ingest()
    finally:
        stop.set()
        worker.join(timeout=30)
    assert errors == []
    assert len(seen) > 20
    # every read saw whole runs: metrics, conversations and messages agree
    assert all(metrics == conversations == threads for metrics, conversations, threads in seen)
    assert {row[0] for row in seen} >= {1, 7}


@pytest.mark.parametrize("mode", [(), ("-readonly",)], ids=["default", "readonly"])
def test_the_duckdb_1x_cli_reads_every_table_macro_and_view(settings, driver, drop, mode) -> None:
    drop(
        "week.json",
        thread(
            "T1",
            ("2024-06-01T10:00:00Z", "customer", "my order is late"),
            ("2024-06-01T10:05:00Z", "agent", "sorry, it ships today"),
        ),
    )
    driver.ingest()
    path = settings.duckdb_path
    assert cli(path, "SELECT version()", *mode).split()[-1].startswith("v1.")
    for table in PUBLISHED_TABLES:
        assert cli(path, f"SELECT count(*) AS n FROM {table}", *mode) != ""
    assert cli(
        path,
        "SELECT conversations, unanswered_conversations, first_response_minutes FROM "
        "(SELECT *, avg_first_response_minutes AS first_response_minutes "
        "FROM metrics_between('2024-06-01', '2024-06-30'))",
        *mode,
    ).splitlines() == ["conversations,unanswered_conversations,first_response_minutes", "1,0,5.0"]
    assert "2024-05-27,1" in cli(
        path, "SELECT week_start, conversations FROM weekly_metrics", *mode
    )
    assert (
        cli(
            path,
            "SELECT count(*) FROM conversation_messages("
            "(SELECT conversation_id FROM conversations LIMIT 1))",
            *mode,
        ).splitlines()[-1]
        == "2"
    )


def test_a_warehouse_from_before_the_split_becomes_the_work_db(tmp_path: Path) -> None:
    legacy = tmp_path / "warehouse" / "powerpulse.duckdb"
    legacy.parent.mkdir()
    with duckdb.connect(str(legacy)) as conn:
        conn.execute("CREATE TABLE raw_messages AS SELECT 1 AS stored")
    work = tmp_path / "pipeline" / "work.duckdb"
    assert adopt_legacy_warehouse(work, legacy)
    with duckdb.connect(str(work), read_only=True) as conn:
        assert conn.execute("SELECT stored FROM raw_messages").fetchall() == [(1,)]
    assert not adopt_legacy_warehouse(work, legacy)  # only ever once
