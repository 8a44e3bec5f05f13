"""The SQL guard: SQL a model wrote runs only if its parsed tree is one SELECT over the
analysts' tables, views and macros, calling no function that reads files, the network,
settings or other SQL (DESIGN.md section 9). Pure: it parses, it never runs anything."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..warehouse.publish import PUBLISHED_TABLES

ALLOWED_RELATIONS = frozenset({*PUBLISHED_TABLES, "weekly_metrics", "monthly_metrics"})
ALLOWED_TABLE_MACROS = frozenset(
    {
        "metrics_between",
        "topic_metrics_between",
        "agent_metrics_between",
        "coaching_between",
        "conversations_between",
        "topic_conversations",
        "agent_conversations",
        "conversation_messages",
    }
)
# Table functions that only make rows from their arguments.
HARMLESS_TABLE_FUNCTIONS = frozenset({"unnest", "range", "generate_series"})

# Functions that reach outside the warehouse or into the engine. Every table function that
# is not in the two lists above is refused as well, whatever its name.
DENIED_FUNCTIONS = frozenset(
    {
        "query", "query_table", "getenv", "current_setting", "read_text", "read_blob",
        "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_json_objects",
        "read_ndjson", "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema",
        "glob", "sniff_csv", "http_get", "http_post", "load", "install", "system",
        "delta_scan", "iceberg_scan", "sqlite_scan", "postgres_scan", "mysql_scan",
        "read_xlsx", "st_read", "json_execute_serialized_sql", "enable_profiling",
        "checkpoint", "force_checkpoint", "set_variable", "getvariable", "export_database",
        "import_database", "make_timestamp_ns_with_tz_from_sql",
    }
)  # fmt: skip
DENIED_PREFIXES = ("read_", "duckdb_", "pragma_", "sqlite_", "postgres_", "mysql_", "http")

# Statements and clauses that are never a read.
DENIED_NODES: tuple[type[exp.Expression], ...] = tuple(
    node
    for node in (
        getattr(exp, name, None)
        for name in (
            "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy", "Command",
            "Attach", "Detach", "Pragma", "Set", "Use", "Transaction", "Commit", "Rollback",
            "Into", "LoadData", "Describe", "Summarize", "Install", "Export", "Cache",
            "Uncache", "Refresh", "TruncateTable", "Grant", "Revoke", "Comment", "Analyze",
            "Kill", "Show",
        )
    )
    if isinstance(node, type)
)  # fmt: skip


class Refused(ValueError):
    """Why a piece of SQL will not run, in words for the user."""


def check(sql: str) -> str:
    """The one SELECT statement in `sql`, checked; raises Refused with the reason."""
    if not sql or not sql.strip():
        raise Refused("the SQL is empty")
    if len(sql) > 20_000:
        raise Refused("the SQL is longer than 20,000 characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (ParseError, sqlglot.errors.TokenError) as exc:
        raise Refused(f"the SQL does not parse: {str(exc).splitlines()[0][:200]}") from exc
    except RecursionError as exc:
        raise Refused("the SQL is nested too deeply") from exc
    if len(statements) != 1:
        raise Refused(f"only one statement may run, and this is {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise Refused(f"only a SELECT may run, not {tree.key.upper()}")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, DENIED_NODES):
            raise Refused(f"{node.key.upper()} is not a read")
        if isinstance(node, exp.Table):
            _check_table(node, ctes)
        elif isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.Literal) and node.parent is not None:
            if isinstance(node.parent, exp.Table | exp.From | exp.Join):
                raise Refused("reading a file by its name is not allowed")
        elif isinstance(node, exp.Parameter | exp.Placeholder):
            raise Refused("parameters and variables are not allowed")
    return tree.sql(dialect="duckdb")


def _check_table(node: exp.Table, ctes: set[str]) -> None:
    function = node.this
    if isinstance(function, exp.Func):
        _check_function(function, table=True)
        return
    if node.args.get("db") or node.args.get("catalog"):
        raise Refused(f"{node.sql(dialect='duckdb')}: only the analysts' own tables may be read")
    if isinstance(function, exp.Literal) or (
        isinstance(function, exp.Identifier) and function.quoted and _looks_like_path(node.name)
    ):
        raise Refused("reading a file by its name is not allowed")
    name = node.name.lower()
    if name not in ALLOWED_RELATIONS and name not in ctes:
        raise Refused(f"{node.name!r} is not a table of the analysts' copy")


def _looks_like_path(name: str) -> bool:
    return any(ch in name for ch in "/\\.:*?") or "://" in name


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def _check_function(node: exp.Func, table: bool = False) -> None:
    name = _function_name(node)
    if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
        raise Refused(f"the function {name}() is not allowed")
    if isinstance(node, exp.ReadCSV | exp.ReadParquet) if hasattr(exp, "ReadParquet") else False:
        raise Refused(f"the function {name}() is not allowed")
    if table and name not in ALLOWED_TABLE_MACROS | HARMLESS_TABLE_FUNCTIONS:
        raise Refused(f"the table function {name}() is not allowed")
