"""Similar conversations (DESIGN.md section 11) through the real sensors and runs, with the
built-in offline model: one embedding per text, a changed conversation embedded again, a
sticker-only customer, another language, ties; and the macro's cosine by hand."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import instance_for_test

from powerpulse_pipeline.pipeline import DAILY_JOB, build_definitions
from powerpulse_pipeline.settings import Settings
from powerpulse_pipeline.warehouse.checks import RECURRING_ISSUES_CHECKS
from powerpulse_pipeline.warehouse.schema import SIMILAR_MACRO

from ..harness import SensorDriver

# One warehouse for the module (under pytest-xdist, on one worker).
pytestmark = pytest.mark.xdist_group("similarity_warehouse")

PAID = "I paid by card yesterday but the app still shows the payment as due"
# Monday 3 March 2025, 09:00 UTC; a thread an hour apart from the next.
START_MS = 1740992400000
HOUR_MS = 3_600_000

# chat -> the customer's messages (None: a sticker, no text)
CUSTOMERS: dict[str, list[str | None]] = {
    "paid1": [PAID],
    "paid2": [PAID],
    "paid3": ["Paid with my card, but the bill is still showing as unpaid in the app"],
    "router1": ["My router light keeps blinking orange and the internet drops"],
    "router2": ["Internet drops every few minutes, the router blinks orange"],
    "sticker": [None],
    "spanish1": ["Pagué con tarjeta ayer pero la aplicación sigue mostrando el pago pendiente"],
    "spanish2": ["Se me corta el internet y la luz del router parpadea naranja"],
}


def _export(extra: dict[str, list[str | None]] | None = None) -> dict[str, list[dict]]:
    threads: dict[str, list[dict]] = {}
    for i, (chat, lines) in enumerate(CUSTOMERS.items()):
        at = START_MS + i * HOUR_MS
        messages: list[dict] = []
        for j, text in enumerate([*lines, *((extra or {}).get(chat, []))]):
            message = {"message_id": f"{chat}-q{j}", "timestamp_ms": at + j * 60_000}
            message["role"] = "user"
            if text is None:
                message["sticker"] = {"uri": "stickers/thumbs_up.png"}
            else:
                message["message"] = text
            messages.append(message)
        messages.append(
            {"message_id": f"{chat}-a", "timestamp_ms": at + 30 * 60_000, "role": "page",
             "agent_name": "Ana", "message": "Thanks for writing, I have checked it for you."}
        )  # fmt: skip
        threads[chat] = messages
    return threads


def _drop(settings: Settings, name: str, document: dict) -> None:
    path = settings.inbox_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    os.utime(path, (time.time() - 120, time.time() - 120))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("similar")
    settings = Settings.from_env(
        {"POWERPULSE_DATA_DIR": str(root / "data"), "POWERPULSE_START_DATE": "2025-01-01"}
    )
    home = root / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        driver = SensorDriver(build_definitions(settings), instance)
        _drop(settings, "first.json", _export())
        driver.ingest()
        yield settings, driver


def _read(settings: Settings, sql: str, params: object = None, work: bool = False) -> list:
    path = settings.work_db_path if work else settings.duckdb_path
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params).fetchall()


def _id(settings: Settings, chat: str) -> str:
    return _read(settings, "SELECT conversation_id FROM conversations WHERE chat_id = ?", [chat])[
        0
    ][0]


def _similar(settings: Settings, chat: str, k: int = 7) -> list[tuple[str, float]]:
    rows = _read(
        settings,
        "SELECT c.chat_id, s.similarity FROM similar_conversations(?, ?) s "
        "JOIN conversations c USING (conversation_id) "
        "ORDER BY s.similarity DESC, s.conversation_id",
        [_id(settings, chat), k],
    )
    return [(chat, round(similarity, 6)) for chat, similarity in rows]


def test_the_same_text_is_embedded_once_and_ties_go_by_id(built) -> None:
    settings, _ = built
    # seven conversations with customer text, six distinct texts, each embedded once
    assert _read(settings, "SELECT count(*) FROM conversation_embeddings")[0][0] == 7
    # the copy holds the configured model's vectors only
    assert _read(settings, "SELECT DISTINCT model FROM conversation_embeddings") == [
        ("offline:all-MiniLM-L6-v2",)
    ]
    assert _read(settings, "SELECT count(*) FROM embedding_cache", work=True)[0][0] == 6
    nearest = _similar(settings, "paid1")
    assert nearest[0] == ("paid2", 1.0)
    # paid1 and paid2 are the same text: from paid3 they tie, and go by conversation_id
    from_paid3 = _similar(settings, "paid3")
    assert [chat for chat, _ in from_paid3[:2]] == sorted(
        ["paid1", "paid2"], key=lambda c: _id(settings, c)
    )
    assert from_paid3[0][1] == from_paid3[1][1] > from_paid3[2][1]
    assert {chat for chat, _ in _similar(settings, "router1", 1)} == {"router2"}
    assert (
        _read(
            settings, "SELECT count(*) FROM similar_conversations(?, 3)", [_id(settings, "paid1")]
        )[0][0]
        == 3
    )


def test_a_sticker_only_customer_has_no_embedding_and_no_group(built) -> None:
    settings, _ = built
    sticker = _id(settings, "sticker")
    assert (
        _read(
            settings,
            "SELECT count(*) FROM conversation_embeddings WHERE conversation_id = ?",
            [sticker],
        )[0][0]
        == 0
    )
    assert _read(settings, "SELECT count(*) FROM similar_conversations(?, 5)", [sticker]) == [(0,)]
    assert _read(
        settings,
        "SELECT count(*) FROM recurring_issue_members WHERE conversation_id = ?",
        [sticker],
    ) == [(0,)]
    # it is still a conversation with its figures
    assert _read(
        settings, "SELECT count(*) FROM conversations WHERE conversation_id = ?", [sticker]
    ) == [(1,)]


def test_another_language_is_embedded_and_compared(built) -> None:
    settings, _ = built
    for chat in ("spanish1", "spanish2"):
        assert _read(
            settings,
            "SELECT len(embedding) FROM conversation_embeddings WHERE conversation_id = ?",
            [_id(settings, chat)],
        ) == [(384,)]
        similar = _similar(settings, chat, 6)
        assert len(similar) == 6 and all(-1 <= s <= 1 for _, s in similar)
    # the Spanish router complaint is nearer the router complaints than the payment ones
    spanish = dict(_similar(settings, "spanish2"))
    assert min(spanish["router1"], spanish["router2"]) > max(spanish["paid1"], spanish["paid3"])


def test_groups_of_the_week_and_their_csat_by_hand(built) -> None:
    settings, _ = built
    week = _read(
        settings,
        "SELECT m.issue_id, c.chat_id FROM recurring_issue_members m "
        "JOIN conversations c USING (conversation_id) "
        "WHERE m.period = 'week' AND m.period_start = DATE '2025-03-03'",
    )
    group = {chat: issue for issue, chat in week}
    assert group["paid1"] == group["paid2"] == group["paid3"]
    assert group["router1"] == group["router2"] != group["paid1"]
    assert "sticker" not in group
    for issue_id, size, csat, examples in _read(
        settings,
        "SELECT issue_id, conversations, csat_pct, example_conversation_ids "
        "FROM recurring_issues WHERE period = 'week' AND period_start = DATE '2025-03-03'",
    ):
        members = [chat for chat, issue in group.items() if issue == issue_id]
        assert size == len(members) >= 2
        scores = [
            _read(
                settings,
                "SELECT score_status, satisfaction FROM conversations WHERE chat_id = ?",
                [chat],
            )[0]
            for chat in members
        ]
        scored = [s for status, s in scores if status == "scored"]
        assert csat == pytest.approx(100 * sum(s >= 4 for s in scored) / len(scored))
        assert set(examples) <= {_id(settings, chat) for chat in members}
    with duckdb.connect(str(settings.work_db_path), read_only=True) as conn:
        for check in RECURRING_ISSUES_CHECKS:
            assert check.run(conn, date(2025, 3, 3), date(2025, 3, 3)).passed, check.name


def test_a_rerun_embeds_nothing_and_a_changed_conversation_is_embedded_again(built) -> None:
    settings, driver = built
    before = dict(_read(settings, "SELECT conversation_id, embedding FROM conversation_embeddings"))
    created = _read(
        settings, "SELECT text_hash, created_at FROM embedding_cache ORDER BY 1", work=True
    )
    _drop(settings, "second.json", _export({"router1": ["It is still blinking after a restart"]}))
    driver.ingest()
    after = dict(_read(settings, "SELECT conversation_id, embedding FROM conversation_embeddings"))
    changed = {cid for cid in before if before[cid] != after.get(cid)}
    assert changed == {_id(settings, "router1")}
    # one new text; every earlier one kept as it was, never embedded again
    cache = _read(
        settings, "SELECT text_hash, created_at FROM embedding_cache ORDER BY 1", work=True
    )
    assert len(cache) == len(created) + 1 and set(created) <= set(cache)


def test_history_from_before_similarity_is_embedded_by_itself(built) -> None:
    """A copy published by a release without similar conversations: the days sensor sees the
    new layout and requests the embeddings of the whole history, once; the cache keeps every
    text it already had."""
    settings, driver = built
    with duckdb.connect(str(settings.work_db_path)) as conn:
        conn.execute("DELETE FROM conversation_embeddings")
        # a vector of a model used before: kept in the work DB, never published
        conn.execute(
            "INSERT INTO conversation_embeddings VALUES "
            "('old:2025-01-05', DATE '2025-01-05', 'openai:an-older-model', 'h', [1, 0, 0])"
        )
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        conn.execute("DROP TABLE conversation_embeddings")
    cursor = json.loads(driver.cursors["touched_days_sensor"])
    driver.cursors["touched_days_sensor"] = json.dumps({**cursor, "schema": "an older release"})
    cached = _read(settings, "SELECT text_hash, created_at FROM embedding_cache", work=True)
    (request,) = driver.tick("touched_days_sensor")
    assert {key.to_user_string() for key in request.asset_selection} >= {
        "conversation_embeddings",
        "recurring_issues",
        "published_warehouse",
    }
    assert request.tags["dagster/asset_partition_range_start"] == "2025-03-03"
    driver.execute(DAILY_JOB, [request])
    assert _read(settings, "SELECT model, count(*) FROM conversation_embeddings GROUP BY ALL") == [
        ("offline:all-MiniLM-L6-v2", 7)
    ]
    assert sorted(cached) == sorted(
        _read(settings, "SELECT text_hash, created_at FROM embedding_cache", work=True)
    )
    assert driver.tick("touched_days_sensor") == []  # once


def test_the_macro_by_hand(tmp_path: Path) -> None:
    """Cosines by hand: (1,0) against (0.6,0.8) is 0.6, against (0,1) 0, against (-1,0) -1."""
    with duckdb.connect(str(tmp_path / "hand.duckdb")) as conn:
        conn.execute(
            "CREATE TABLE conversation_embeddings (conversation_id VARCHAR, day DATE, "
            "model VARCHAR, text_hash VARCHAR, embedding FLOAT[])"
        )
        conn.execute(
            "CREATE TABLE conversations (conversation_id VARCHAR, day DATE, summary VARCHAR)"
        )
        rows = [("a", [1, 0]), ("b", [0.6, 0.8]), ("c", [0, 1]), ("d", [-1, 0]), ("e", [0.6, 0.8])]
        for cid, vector in rows:
            conn.execute(
                "INSERT INTO conversation_embeddings VALUES (?, DATE '2025-03-03', 'm', ?, ?)",
                [cid, cid, vector],
            )
            conn.execute(
                "INSERT INTO conversations VALUES (?, DATE '2025-03-03', ?)", [cid, f"about {cid}"]
            )
        conn.execute(SIMILAR_MACRO)
        got = conn.execute(
            "SELECT conversation_id, round(similarity, 6), summary "
            "FROM similar_conversations('a', 10)"
        ).fetchall()
        assert got == [
            ("b", 0.6, "about b"),
            ("e", 0.6, "about e"),
            ("c", 0.0, "about c"),
            ("d", -1.0, "about d"),
        ]
        assert conn.execute("SELECT count(*) FROM similar_conversations('a', 2)").fetchall() == [
            (2,)
        ]
        assert conn.execute(
            "SELECT count(*) FROM similar_conversations('nobody', 2)"
        ).fetchall() == [(0,)]
