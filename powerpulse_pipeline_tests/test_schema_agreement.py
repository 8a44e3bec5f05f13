"""The DDL, the Arrow schemas used to insert, and the UI column descriptions name the same
columns in the same order: a column added to one and not the others fails here."""

from __future__ import annotations

import duckdb
import pytest

from powerpulse_pipeline.assets.days import CONVERSATION_SCHEMA, MESSAGE_SCHEMA, SCORE_SCHEMA
from powerpulse_pipeline.ingest.store import RAW_SCHEMA
from powerpulse_pipeline.warehouse.columns import column_schema
from powerpulse_pipeline.warehouse.schema import ensure_schema


@pytest.fixture(scope="module")
def columns() -> dict[str, list[str]]:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


@pytest.mark.parametrize(
    ("table", "schema"),
    [
        ("raw_messages", RAW_SCHEMA),
        ("messages", MESSAGE_SCHEMA),
        ("conversations", CONVERSATION_SCHEMA),
        ("score_cache", SCORE_SCHEMA),
    ],
)
def test_arrow_insert_schemas_match_the_tables(columns, table, schema) -> None:
    assert schema.names == columns[table]


@pytest.mark.parametrize(
    "table", ["messages", "conversations", "daily_metrics", "topic_metrics", "agent_metrics"]
)
def test_ui_column_descriptions_match_the_tables(columns, table) -> None:
    assert [c.name for c in column_schema(table).columns] == columns[table]
