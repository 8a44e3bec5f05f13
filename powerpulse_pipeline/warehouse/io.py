"""One transaction for a delete-then-insert, and reading a single row to the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb


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
