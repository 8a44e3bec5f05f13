"""The SQL guard, by example and by property: SQL that reads or writes files or the network,
changes settings, runs several statements or calls query() is refused before anything runs;
what passes runs on the locked-down connection and touches no file."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.ask.guard import Refused, check
from powerpulse_pipeline.ask.readonly import Stopped, connect_locked, run_capped
from powerpulse_pipeline.warehouse.schema import ensure_schema

HOSTILE = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    'SELECT * FROM "/etc/passwd"',
    "SELECT * FROM 'https://example.com/x.csv'",
    "SELECT read_text('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT getenv('OPENAI_API_KEY')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM query('SELECT 42')",
    "SELECT * FROM query_table('conversations')",
    "SELECT * FROM duckdb_settings()",
    "SELECT current_setting('enable_external_access')",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM parquet_scan('/tmp/x.parquet')",
    "SELECT * FROM sqlite_scan('/tmp/x.db', 't')",
    "SELECT * FROM pragma_database_list",
    "COPY conversations TO '/tmp/leak.csv'",
    "COPY (SELECT * FROM conversations) TO '/tmp/leak.csv'",
    "EXPORT DATABASE '/tmp/leak'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "DETACH other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "PRAGMA version",
    "SELECT 1; DROP TABLE conversations",
    "SELECT * FROM conversations; SELECT * FROM messages",
    "DROP TABLE conversations",
    "DELETE FROM conversations",
    "UPDATE conversations SET satisfaction = 5",
    "INSERT INTO conversations SELECT * FROM conversations",
    "CREATE TABLE x AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "ALTER TABLE conversations ADD COLUMN x INT",
    "CALL pragma_version()",
    "USE memory",
    "CHECKPOINT",
    "SELECT * FROM other.main.conversations",
    "SELECT * FROM raw_messages",
    "SELECT * FROM score_cache",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM secret_table",
    "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x",
    "SELECT (SELECT getenv('HOME'))",
    "SELECT * FROM conversations WHERE summary = (SELECT content FROM read_text('/etc/passwd'))",
    "",
    "   ",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_sql_is_refused_with_a_reason(sql: str) -> None:
    with pytest.raises(Refused) as refused:
        check(sql)
    assert str(refused.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM conversations",
        "SELECT * FROM metrics_between('2025-03-01', '2025-03-31')",
        "SELECT agent_name, count(*) FROM conversations GROUP BY ALL",
        "WITH w AS (SELECT * FROM weekly_metrics) SELECT * FROM w",
        "SELECT t, count(*) FROM conversations, unnest(topics) AS u(t) GROUP BY t",
        "SELECT * FROM conversation_messages('x') UNION ALL "
        "SELECT * FROM conversation_messages('y')",
        "SELECT day, avg(satisfaction) OVER (ORDER BY day) FROM conversations",
    ],
)
def test_reads_of_the_analysts_tables_pass(sql: str) -> None:
    assert check(sql)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    path = tmp_path_factory.mktemp("guard") / "copy.duckdb"
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
    return connect_locked(path), path


_FRAGMENTS = st.sampled_from(
    [
        "read_csv('{p}')", "'{p}'", "read_text('{p}')", "glob('{d}/*')", "query('SELECT 1')",
        "read_parquet('{p}')", "duckdb_settings()", "read_json('{p}')", "sniff_csv('{p}')",
    ]
)  # fmt: skip
_STATEMENTS = st.sampled_from(
    [
        "COPY conversations TO '{p}'", "ATTACH '{p}' AS x", "SET threads = 1",
        "INSTALL httpfs", "DROP TABLE conversations", "CREATE TABLE t AS SELECT 1",
        "EXPORT DATABASE '{d}'", "PRAGMA enable_profiling", "DELETE FROM messages",
    ]
)  # fmt: skip


def _case(text: str) -> str:
    return "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(text))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=_FRAGMENTS,
    statement=_STATEMENTS,
    shape=st.integers(0, 5),
    noise=st.sampled_from(["", " /* hi */ ", "\n", "  -- note\n"]),
    flip=st.booleans(),
)
def test_generated_hostile_sql_never_passes(
    locked: tuple[duckdb.DuckDBPyConnection, Path],
    tmp_path_factory: pytest.TempPathFactory,
    source: str,
    statement: str,
    shape: int,
    noise: str,
    flip: bool,
) -> None:
    _, path = locked
    canary = tmp_path_factory.getbasetemp() / "canary"
    fill = {"p": str(canary / "leak.csv"), "d": str(canary)}
    source, statement = source.format(**fill), statement.format(**fill)
    sql = [
        f"SELECT * FROM {source}",
        f"SELECT count(*) FROM conversations c, {source}",
        f"WITH x AS (SELECT * FROM {source}) SELECT * FROM x",
        f"SELECT 1;{noise}{statement}",
        f"{statement}{noise}",
        f"SELECT * FROM conversations WHERE summary IN (SELECT * FROM {source})",
    ][shape]
    sql = _case(sql) if flip else sql
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(Refused):
        check(sql)
    assert not canary.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=120))
def test_any_text_is_refused_or_runs_harmlessly(
    locked: tuple[duckdb.DuckDBPyConnection, Path], text: str
) -> None:
    """Whatever a model returns ends refused with a reason or runs read-only."""
    conn, path = locked
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        checked = check(text)
    except Refused as exc:
        assert str(exc)
        return
    with contextlib.suppress(duckdb.Error, Stopped):
        run_capped(conn, checked, row_cap=10, time_limit=2.0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_query_that_never_finishes_is_stopped(
    locked: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    import time

    conn, _ = locked
    sql = check("SELECT count(*) FROM range(1000000000) a, range(1000000000) b")
    started = time.monotonic()
    with pytest.raises(Stopped):
        run_capped(conn, sql, time_limit=1.0)
    assert time.monotonic() - started < 5
    assert run_capped(conn, "SELECT 1").rows == [(1,)]
