"""Bulk writes through Arrow, and the delete-then-insert of a day range in one transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[dict[str, Any]],
    schema: pa.Schema,
) -> int:
    """Insert dict rows by column name."""
    if not rows:
        return 0
    incoming = pa.Table.from_pylist(list(rows), schema=schema)
    conn.register("incoming", incoming)
    try:
        result = conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming").fetchone()
    finally:
        conn.unregister("incoming")
    return int(result[0]) if result else 0


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
