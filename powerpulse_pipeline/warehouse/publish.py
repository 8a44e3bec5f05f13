"""The analysts' copy: the contract tables, published whole and atomically from the work DB.

Runs write a private database that only they open. After a daily run, its tables are
copied into a new file beside `POWERPULSE_DUCKDB_PATH`, checkpointed, synced and renamed
over it. A session already open keeps reading the file it opened (DuckDB's lock is on that
file, not on the name); a new one opens the new file. So no analyst session, read-write or
read-only, can block a run, and no reader ever sees a half-written day.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .schema import ANALYST_MACROS_AND_VIEWS

if TYPE_CHECKING:
    from ..settings import Settings

# Tables analysts read; raw_messages and the caches are the pipeline's own.
PUBLISHED_TABLES = (
    "ingested_files",
    "messages",
    "conversations",
    "daily_metrics",
    "topic_metrics",
    "agent_metrics",
    "agent_coaching",
    "conversation_embeddings",
    "recurring_issues",
    "recurring_issue_members",
)

# The oldest storage format that DuckDB 1.x clients (the 1.x CLI, BI drivers) still read.
# Written by the newer library through ATTACH ... (STORAGE_VERSION ...).
STORAGE_VERSION = "v1.0.0"

COPY_ALIAS = "analyst_copy"


@dataclass
class Published:
    path: Path
    seconds: float
    bytes: int
    rows: dict[str, int] = field(default_factory=dict)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish(
    conn: duckdb.DuckDBPyConnection, target: Path, embedding_model: str | None = None
) -> Published:
    """Copy the published tables from `conn`'s database to `target`, replacing it atomically.
    Of `conversation_embeddings`, only the vectors of `embedding_model` (the configured one):
    the analysts' copy never holds two models' vectors, so `similar_conversations` compares
    every row it scans without a filter."""
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.publishing")
    _remove(staging)
    source = conn.execute("SELECT current_database()").fetchone()[0]
    rows: dict[str, int] = {}
    conn.execute(
        f"ATTACH {_literal(staging)} AS {COPY_ALIAS} (STORAGE_VERSION '{STORAGE_VERSION}')"
    )
    try:
        conn.execute(f"USE {COPY_ALIAS}")
        try:
            for table in PUBLISHED_TABLES:
                only = ""
                if table == "conversation_embeddings":
                    only = " WHERE model = $model" if embedding_model else " WHERE false"
                conn.execute(
                    f'CREATE TABLE {table} AS SELECT * FROM "{source}".main.{table}{only}',
                    {"model": embedding_model} if only.endswith("$model") else None,
                )
                rows[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            # Created while the copy is the default database, so their unqualified table
            # names resolve inside the copy wherever it is opened.
            for statement in ANALYST_MACROS_AND_VIEWS:
                conn.execute(statement)
        finally:
            conn.execute(f'USE "{source}"')
        conn.execute(f"CHECKPOINT {COPY_ALIAS}")
    except BaseException:
        conn.execute(f"DETACH {COPY_ALIAS}")
        _remove(staging)
        raise
    conn.execute(f"DETACH {COPY_ALIAS}")
    _fsync(staging)
    os.replace(staging, target)
    _fsync(target.parent)
    # A write-ahead log beside the name belongs to the replaced file, never to this one.
    _remove_file(target.with_name(target.name + ".wal"))
    return Published(target, time.monotonic() - started, target.stat().st_size, rows)


def published_embedding_model(settings: Settings) -> str | None:
    from ..scoring.resource import ScorerResource

    return ScorerResource.from_settings(settings).embedding_name()


def adopt_legacy_warehouse(work_db: Path, analyst_file: Path) -> bool:
    """Earlier versions wrote everything into the analysts' file: start the work DB from it.

    Without this, the first publish would replace the only copy of the stored messages.
    """
    if work_db.exists() or not analyst_file.exists():
        return False
    work_db.parent.mkdir(parents=True, exist_ok=True)
    staging = work_db.with_name(f".{work_db.name}.{os.getpid()}.adopting")
    shutil.copyfile(analyst_file, staging)
    wal = analyst_file.with_name(analyst_file.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, staging.with_name(staging.name + ".wal"))
        os.replace(
            staging.with_name(staging.name + ".wal"), work_db.with_name(work_db.name + ".wal")
        )
    os.replace(staging, work_db)
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    _remove_file(path)
    _remove_file(path.with_name(path.name + ".wal"))


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
