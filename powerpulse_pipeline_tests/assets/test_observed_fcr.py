"""Observed FCR (DESIGN.md section 5): did the customer come back within
POWERPULSE_REPEAT_CONTACT_DAYS? Hand-computed on the pipeline's SQL stages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from powerpulse_pipeline.ingest.store import touched_days
from powerpulse_pipeline.warehouse.schema import ensure_schema

from ..reference.sessionize import StoredMessage
from ..sql_flow import build_days, settings_for, store_raw


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


def _msg(chat: str, key: str, at: datetime, role: str) -> StoredMessage:
    return StoredMessage(chat, key, None, at, role, None, None, key, False, None)


def _answered(chat: str, key: str, asked: datetime) -> list[StoredMessage]:
    return [
        _msg(chat, f"{key}q", asked, "customer"),
        _msg(chat, f"{key}a", asked + timedelta(minutes=10), "agent"),
    ]


# UTC, 24 h gap, 7-day window. The newest message (the horizon) is D1's, 20 June 12:00.
THREADS = [
    *_answered("A", "a1", _at(3, 10)),  # ends 3 June 10:10; A comes back on 6 June -> repeat
    *_answered("A", "a2", _at(6, 9)),  # nobody comes back -> resolved
    *_answered("B", "b1", _at(3, 11)),  # resolved
    _msg("C", "c1q", _at(3, 12), "customer"),  # unanswered: never resolved, not a repeat
    _msg("E", "e1q", _at(3, 10), "customer"),
    _msg("E", "e1a", _at(3, 10, 10), "agent"),  # ends 3 June 10:10
    _msg("E", "e2q", _at(10, 10, 10), "customer"),  # exactly 7 days later: a repeat
    *_answered("F", "f1", _at(13, 11, 50)),  # ends 13 June 12:00: window closes at the horizon
    _msg("D", "d1q", _at(20, 12), "customer"),  # window open: pending
]


@pytest.fixture()
def conn():
    with duckdb.connect() as connection:
        ensure_schema(connection)
        yield connection


def _repeat(conn: duckdb.DuckDBPyConnection) -> dict[str, bool | None]:
    return dict(
        conn.execute("SELECT chat_id || ':' || day, repeat_contact FROM conversations").fetchall()
    )


def test_repeat_contact_and_observed_fcr_by_hand(conn) -> None:
    settings = settings_for()
    store_raw(conn, THREADS)
    daily = {
        row["day"]: row for row in build_days(conn, settings, date(2024, 6, 1), date(2024, 6, 30))
    }

    assert _repeat(conn) == {
        "A:2024-06-03": True,
        "A:2024-06-06": False,
        "B:2024-06-03": False,
        "C:2024-06-03": False,
        "E:2024-06-03": True,
        "E:2024-06-10": False,
        "F:2024-06-13": False,
        "D:2024-06-20": None,
    }
    # 3 June: A1 (came back), B1 (resolved), C1 (unanswered), E1 (came back): 1 of 4
    assert daily[date(2024, 6, 3)]["observed_fcr_pct"] == pytest.approx(25.0)
    assert daily[date(2024, 6, 3)]["repeat_window_open"] == 0
    assert daily[date(2024, 6, 6)]["observed_fcr_pct"] == pytest.approx(100.0)
    assert daily[date(2024, 6, 10)]["observed_fcr_pct"] == pytest.approx(0.0)  # unanswered
    assert daily[date(2024, 6, 13)]["observed_fcr_pct"] == pytest.approx(100.0)
    assert daily[date(2024, 6, 20)]["observed_fcr_pct"] is None  # pending only
    assert daily[date(2024, 6, 20)]["repeat_window_open"] == 1

    # A range is computed from conversations: B1, A2, F1 resolved of 7 known; 1 pending.
    observed, pending = conn.execute(
        "SELECT observed_fcr_pct, repeat_window_open "
        "FROM metrics_between('2024-06-01', '2024-06-30')"
    ).fetchone()
    assert observed == pytest.approx(100 * 3 / 7)
    assert pending == 1
    (weekly,) = conn.execute(
        "SELECT observed_fcr_pct FROM weekly_metrics WHERE week_start = '2024-06-03'"
    ).fetchone()
    assert weekly == pytest.approx(100 * 2 / 5)  # 3 June (A1 B1 C1 E1) and 6 June (A2)


def test_a_shorter_window_is_a_setting() -> None:
    short = settings_for(repeat_contact_days="2")
    with duckdb.connect() as conn:
        ensure_schema(conn)
        store_raw(conn, THREADS)
        build_days(conn, short, date(2024, 6, 1), date(2024, 6, 30))
        repeat = _repeat(conn)
    assert repeat["A:2024-06-03"] is False  # back after 3 days: outside a 2-day window
    assert repeat["D:2024-06-20"] is None


def test_the_days_to_rebuild_include_repeats_and_windows_that_close(conn) -> None:
    settings = settings_for()
    first = [m for m in THREADS if m.sent_at < _at(5, 0)]
    store_raw(conn, first)
    build_days(conn, settings, date(2024, 6, 1), date(2024, 6, 30))
    assert _repeat(conn)["A:2024-06-03"] is None  # the newest message is 3 June: all pending

    later = [m for m in THREADS if m.chat_id == "A" and m.sent_at >= _at(5, 0)]
    conn.execute("CREATE TEMP TABLE new_raw AS SELECT * FROM raw_messages LIMIT 0")
    store_raw(conn, later)
    conn.execute(
        "INSERT INTO new_raw SELECT * FROM raw_messages WHERE chat_id = 'A' AND sent_at >= ?",
        [_at(5, 0)],
    )
    # 6 June holds A's new conversation; 3 June's A1 became a repeat contact. No window has
    # closed yet (newest message 6 June 09:10).
    assert touched_days(conn, settings) == [date(2024, 6, 3), date(2024, 6, 6)]

    conn.execute("DELETE FROM new_raw")
    store_raw(conn, [m for m in THREADS if m.chat_id == "D"])
    conn.execute("INSERT INTO new_raw SELECT * FROM raw_messages WHERE chat_id = 'D'")
    # The newest message is now 20 June: every window of 3 June is closed, though no message
    # of those chats changed.
    assert touched_days(conn, settings) == [date(2024, 6, 3), date(2024, 6, 20)]
