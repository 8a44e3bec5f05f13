"""One transaction for a delete-then-insert, Arrow tables seen by SQL for one block, saving
rows into a cache, and reading a single row to the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a killed run leaves the previous good state."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def one_row(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The single row of a query, with the result consumed: DuckDB 2 refuses the next
    statement on a connection whose last result was not read to the end."""
    rows = (
        conn.execute(sql, params).fetchall() if params is not None else conn.execute(sql).fetchall()
    )
    return rows[0]


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """Each Arrow table queryable by its name inside the block, and only there."""
    for name, table in tables.items():
        conn.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            conn.unregister(name)


def save_rows(conn_factory: Callable[[], Any], table: str, rows: pa.Table) -> None:
    """Insert or replace rows of a keyed cache table, in a connection of their own."""
    with conn_factory() as conn, transaction(conn), registered(conn, incoming=rows):
        conn.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM incoming")
