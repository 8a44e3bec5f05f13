"""The analysts' copy: the contract tables, published whole and atomically from the work DB.

Runs write a private database that only they open. After a daily run, its tables are
copied into a new file beside `POWERPULSE_DUCKDB_PATH`, checkpointed, synced and renamed
over it. A session already open keeps reading the file it opened (DuckDB's lock is on that
file, not on the name); a new one opens the new file. So no analyst session, read-write or
read-only, can block a run, and no reader ever sees a half-written day.
"""

from __future__ import annotations

import contextlib
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


# The one table that grows with every conversation ever embedded (1.5 KB a row): carried over
# from the last copy, only its changed rows written. A row is the same row while these hold,
# as a vector is a function of the text embedded and the model.
CARRIED_TABLE = "conversation_embeddings"
CARRIED_IDENTITY = ("conversation_id", "day", "model", "text_hash")


def publish(
    conn: duckdb.DuckDBPyConnection,
    target: Path,
    embedding_model: str | None = None,
    base: Path | None = None,
) -> Published:
    """Copy the published tables from `conn`'s database to `target`, replacing it atomically.
    Of `conversation_embeddings`, only the vectors of `embedding_model` (the configured one):
    the analysts' copy never holds two models' vectors, so `similar_conversations` compares
    every row it scans without a filter.

    With `base` (a file of the pipeline's own, never the analysts'), the copy is built there,
    in place: every table is written again except `conversation_embeddings`, whose unchanged
    rows stay, so the cost of a small run no longer grows with the vectors stored. Then `base`
    is copied beside `target` and renamed over it. A base from another table layout or model
    is started afresh; a base left half-updated by a crash is made whole by the next run."""
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    # One publisher at a time (the writer pool): a staging file left by a run that died is junk.
    for stale in target.parent.glob(f".{target.name}.*.publishing*"):
        _remove_file(stale)
    staging = target.with_name(f".{target.name}.{os.getpid()}.publishing")
    build = staging if base is None else base
    carried = base is not None and _base_is_current(base, embedding_model)
    if base is not None and not carried:
        _forget(base)
    source = conn.execute("SELECT current_database()").fetchone()[0]
    rows: dict[str, int] = {}
    attach = f"ATTACH {_literal(build)} AS {COPY_ALIAS} (STORAGE_VERSION '{STORAGE_VERSION}')"
    try:
        conn.execute(attach)
    except duckdb.Error:
        if base is None:
            raise
        # A base that no longer opens (damaged, a log an upgrade cannot replay): start afresh.
        _forget(base)
        carried = False
        conn.execute(attach)
    try:
        conn.execute(f"USE {COPY_ALIAS}")
        try:
            conn.execute("BEGIN")
            for table in PUBLISHED_TABLES:
                if table == CARRIED_TABLE and carried:
                    _carry_over(conn, source, table, embedding_model)
                else:
                    _write_whole(conn, source, table, embedding_model)
                rows[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            # Created while the copy is the default database, so their unqualified table
            # names resolve inside the copy wherever it is opened.
            for statement in ANALYST_MACROS_AND_VIEWS:
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended it already
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute(f'USE "{source}"')
        conn.execute(f"CHECKPOINT {COPY_ALIAS}")
        total, free = conn.execute(
            "SELECT total_blocks, free_blocks FROM pragma_database_size() "
            "WHERE database_name = $name",
            {"name": COPY_ALIAS},
        ).fetchone()
    except BaseException:
        conn.execute(f"DETACH {COPY_ALIAS}")
        _remove(staging)
        if base is not None:  # started afresh next time
            _remove_file(_fingerprint_file(base))
        raise
    conn.execute(f"DETACH {COPY_ALIAS}")
    try:
        if base is not None:
            # Tables written again leave their old blocks free inside the file, and the copy
            # carries them: past a third free, the next publish starts the base afresh.
            if free * 3 > total:
                _remove_file(_fingerprint_file(base))
            else:
                _fingerprint_file(base).write_text(_fingerprint(embedding_model))
            shutil.copyfile(base, staging)
        _fsync(staging)
        os.replace(staging, target)
    except BaseException:
        _remove(staging)
        raise
    _fsync(target.parent)
    # A write-ahead log beside the name belongs to the replaced file, never to this one.
    _remove_file(target.with_name(target.name + ".wal"))
    return Published(target, time.monotonic() - started, target.stat().st_size, rows)


def _write_whole(
    conn: duckdb.DuckDBPyConnection, source: str, table: str, embedding_model: str | None
) -> None:
    only, params = "", None
    if table == CARRIED_TABLE:
        only = " WHERE model = $model" if embedding_model else " WHERE false"
        params = {"model": embedding_model} if embedding_model else None
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f'CREATE TABLE {table} AS SELECT * FROM "{source}".main.{table}{only}', params)


def _carry_over(
    conn: duckdb.DuckDBPyConnection, source: str, table: str, embedding_model: str | None
) -> None:
    """Delete the copy's rows the work DB no longer has, insert the ones it lacks."""
    same = " AND ".join(f"w.{c} IS NOT DISTINCT FROM c.{c}" for c in CARRIED_IDENTITY)
    work = f'"{source}".main.{table}'
    conn.execute(
        f"DELETE FROM {table} c WHERE c.model IS DISTINCT FROM $model "
        f"OR NOT EXISTS (SELECT 1 FROM {work} w WHERE {same})",
        {"model": embedding_model},
    )
    conn.execute(
        f"INSERT INTO {table} BY NAME SELECT w.* FROM {work} w WHERE w.model = $model "
        f"AND NOT EXISTS (SELECT 1 FROM {table} c WHERE {same})",
        {"model": embedding_model},
    )


def _forget(base: Path) -> None:
    _remove(base)
    _remove_file(_fingerprint_file(base))


def _fingerprint(embedding_model: str | None) -> str:
    from .schema import schema_fingerprint

    return f"{schema_fingerprint()} {STORAGE_VERSION} {embedding_model or '-'}\n"


def _fingerprint_file(base: Path) -> Path:
    return base.with_name(base.name + ".layout")


def _base_is_current(base: Path, embedding_model: str | None) -> bool:
    try:
        return base.exists() and _fingerprint_file(base).read_text() == _fingerprint(
            embedding_model
        )
    except OSError:
        return False


def publish_for(conn: duckdb.DuckDBPyConnection, settings: Settings) -> Published:
    """The analysts' copy as the pipeline publishes it: built in place in a base file beside
    the work DB, the configured model's vectors only."""
    base = settings.work_db_path.with_name("analysts-copy.base.duckdb")
    return publish(conn, settings.duckdb_path, published_embedding_model(settings), base)


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
