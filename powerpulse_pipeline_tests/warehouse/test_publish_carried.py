"""The analysts' copy built in place in the pipeline's base file: the vectors carried over
from the last copy, only changed rows written, and every copy equal to a copy made afresh."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from powerpulse_pipeline.warehouse.publish import PUBLISHED_TABLES, publish
from powerpulse_pipeline.warehouse.schema import ensure_schema

MODEL, OTHER = "offline:test", "openai:other"


def _vectors(conn: duckdb.DuckDBPyConnection, ids: range, model: str, day: str) -> None:
    conn.execute(
        "INSERT INTO conversation_embeddings SELECT 'c' || i, $day::DATE, $model, md5('t' || i), "
        "[i::FLOAT, 1.0, 2.0] FROM range($lo, $hi) t(i)",
        {"day": day, "model": model, "lo": ids.start, "hi": ids.stop},
    )


def _contents(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in PUBLISHED_TABLES}


@pytest.fixture
def work(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_schema(conn)
    _vectors(conn, range(0, 300), MODEL, "2025-03-03")
    _vectors(conn, range(5000, 5050), OTHER, "2025-03-03")
    conn.execute(
        "INSERT INTO ingested_files (file_key, content_sha256, source_path, status, ingested_at) "
        "VALUES ('a-1', 'ab', 'a.json', 'ingested', now())"
    )
    yield conn
    conn.close()


def test_every_copy_equals_a_fresh_one_and_only_the_configured_model(work, tmp_path) -> None:
    target, base = tmp_path / "copy.duckdb", tmp_path / "pipeline" / "base.duckdb"
    base.parent.mkdir()
    fresh = tmp_path / "fresh.duckdb"

    def check() -> None:
        publish(work, target, MODEL, base)
        publish(work, fresh, MODEL)  # the whole copy, made afresh: the reference
        assert _contents(target) == _contents(fresh)

    check()
    with duckdb.connect(str(target), read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT model FROM conversation_embeddings").fetchall() == [
            (MODEL,)
        ]
        assert conn.execute("SELECT count(*) FROM conversation_embeddings").fetchone() == (300,)
    # a run changes some conversations: gone, new, re-embedded, moved to another day
    work.execute("DELETE FROM conversation_embeddings WHERE conversation_id IN ('c1', 'c2')")
    _vectors(work, range(300, 320), MODEL, "2025-03-04")
    work.execute("UPDATE conversation_embeddings SET text_hash = 'new', embedding = [9, 9, 9] "
                 "WHERE conversation_id = 'c3' AND model = $m", {"m": MODEL})  # fmt: skip
    work.execute("UPDATE conversation_embeddings SET day = '2025-03-05' "
                 "WHERE conversation_id = 'c4'")  # fmt: skip
    work.execute("UPDATE ingested_files SET status = 'rejected'")  # a table written whole
    check()
    # many small runs later, each rewriting scattered rows, the copy has not grown past twice
    # its size: past a third of free blocks the base starts afresh
    size = target.stat().st_size
    for run in range(20):
        _vectors(work, range(1000 + run * 10, 1010 + run * 10), MODEL, "2025-03-06")
        work.execute(
            "UPDATE conversation_embeddings SET text_hash = md5(text_hash) "
            "WHERE hash(conversation_id) % 7 = $r",
            {"r": run % 7},
        )
        check()
        assert target.stat().st_size <= 2 * size


def test_another_model_or_layout_starts_the_base_afresh(work, tmp_path) -> None:
    target, base = tmp_path / "copy.duckdb", tmp_path / "base.duckdb"
    publish(work, target, MODEL, base)
    publish(work, target, OTHER, base)
    with duckdb.connect(str(target), read_only=True) as conn:
        assert conn.execute(
            "SELECT model, count(*) FROM conversation_embeddings GROUP BY model"
        ).fetchall() == [(OTHER, 50)]
    base.with_name(base.name + ".layout").write_text("an older layout\n")
    publish(work, target, MODEL, base)
    assert _contents(target)["conversation_embeddings"] == sorted(
        work.execute(
            "SELECT * FROM conversation_embeddings WHERE model = $m", {"m": MODEL}
        ).fetchall()
    )


def test_a_failed_publish_leaves_the_copy_and_the_next_one_whole(work, tmp_path) -> None:
    target, base = tmp_path / "copy.duckdb", tmp_path / "base.duckdb"
    publish(work, target, MODEL, base)
    before = _contents(target)
    _vectors(work, range(500, 510), MODEL, "2025-03-07")
    work.execute("ALTER TABLE recurring_issues RENAME TO recurring_issues_away")
    with pytest.raises(duckdb.Error):
        publish(work, target, MODEL, base)
    assert _contents(target) == before  # the analysts still read the last whole copy
    work.execute("ALTER TABLE recurring_issues_away RENAME TO recurring_issues")
    publish(work, target, MODEL, base)
    assert len(_contents(target)["conversation_embeddings"]) == 310


def test_a_damaged_base_or_a_dead_runs_staging_file_never_stops_publishing(work, tmp_path) -> None:
    target, base = tmp_path / "copy.duckdb", tmp_path / "base.duckdb"
    publish(work, target, MODEL, base)
    base.write_bytes(b"not a database" * 1000)  # as after a disk error
    (tmp_path / ".copy.duckdb.999999.publishing").write_bytes(b"left by a killed run")
    publish(work, target, MODEL, base)
    assert len(_contents(target)["conversation_embeddings"]) == 300
    assert not list(tmp_path.glob(".copy.duckdb.*.publishing*"))
