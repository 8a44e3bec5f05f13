"""Each table is spelled once (warehouse/tables.py): the tables DuckDB creates, the Arrow
schemas inserts use and the UI's column descriptions all come from that spec; a warehouse
created before a column existed gets the column on the next run."""

from __future__ import annotations

import duckdb
import pytest

from powerpulse_pipeline.warehouse.schema import ensure_schema
from powerpulse_pipeline.warehouse.tables import ALL_TABLES, MESSAGES, TABLES


def created_columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table, []).append((column, kind))
    return found


@pytest.mark.parametrize("table", [t.name for t in ALL_TABLES])
def test_created_tables_arrow_schemas_and_ui_columns_follow_the_spec(table: str) -> None:
    spec = TABLES[table]
    with duckdb.connect() as conn:
        ensure_schema(conn)
        assert [name for name, _ in created_columns(conn)[table]] == spec.names
        # an empty Arrow table of the spec's schema inserts by name without a cast error
        conn.register("empty", spec.arrow_schema().empty_table())
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM empty")
    assert [c.name for c in spec.column_schema().columns] == spec.names
    assert all(c.description for c in spec.column_schema().columns)


def test_an_older_warehouse_gets_new_columns_in_place() -> None:
    with duckdb.connect() as conn:
        conn.execute("CREATE TABLE messages (conversation_id VARCHAR, chat_id VARCHAR)")
        conn.execute("INSERT INTO messages VALUES ('c', 't')")
        ensure_schema(conn)
        assert [c for c, _ in created_columns(conn)["messages"]] == MESSAGES.names
        assert conn.execute("SELECT conversation_id, day FROM messages").fetchall() == [("c", None)]
