"""The explorer through Streamlit's own headless test runner: the figures of any selection
equal the layer's (and metrics_between's), a filter changes them, a figure leads to its
conversations and a conversation to its messages, questions are answered with follow-ups,
and a newly published copy is picked up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from powerpulse_pipeline.ask.readonly import LOCKED_CONFIG
from powerpulse_pipeline.settings import Settings

from .conftest import republish_without

streamlit_testing = pytest.importorskip("streamlit.testing.v1")
APP = Path(__file__).resolve().parents[2] / "powerpulse_pipeline" / "explorer" / "app.py"


@pytest.fixture
def app(explorer_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    import streamlit as st

    monkeypatch.setenv("POWERPULSE_DATA_DIR", str(explorer_settings.data_dir))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    st.cache_resource.clear()
    at = streamlit_testing.AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    yield at
    st.cache_resource.clear()


def cards(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected(settings: Settings, sql: str, params: list[object]) -> tuple:
    with duckdb.connect(str(settings.duckdb_path), read_only=True, config=LOCKED_CONFIG) as conn:
        return conn.execute(sql, params).fetchone()


def test_the_figures_of_the_whole_range_are_metrics_betweens(
    app: object, explorer_settings: Settings
) -> None:
    csat, conversations, unanswered = expected(
        explorer_settings,
        "SELECT csat_pct, conversations, unanswered_conversations "
        "FROM metrics_between('2025-03-03', '2025-03-11')",
        [],
    )
    shown = cards(app)
    assert shown["CSAT"] == f"{csat:.1f}%"
    assert shown["Conversations"] == f"{conversations:,}"
    assert shown["Unanswered"] == f"{unanswered:,}"


def test_a_range_and_a_filter_change_the_figures(app: object, explorer_settings: Settings) -> None:
    app.sidebar.date_input(key="days").set_value((date(2025, 3, 3), date(2025, 3, 9))).run()
    (count,) = expected(
        explorer_settings,
        "SELECT count(*) FROM conversations WHERE day BETWEEN '2025-03-03' AND '2025-03-09'",
        [],
    )
    assert cards(app)["Conversations"] == str(count)
    app.sidebar.multiselect(key="agents").select("Maria Lopez").run()
    count, csat = expected(
        explorer_settings,
        "SELECT count(*), 100.0 * count_if(satisfaction >= 4) / count_if(score_status = 'scored')"
        " FROM conversations WHERE day BETWEEN '2025-03-03' AND '2025-03-09'"
        " AND agent_name = 'Maria Lopez'",
        [],
    )
    assert cards(app)["Conversations"] == str(count)
    assert cards(app)["CSAT"] == f"{csat:.1f}%"
    assert not app.exception


def test_from_a_figure_to_its_conversations_and_their_messages(
    app: object, explorer_settings: Settings
) -> None:
    app.selectbox(key="drill").set_value("unanswered").run()
    listed = app.dataframe[-2].value
    ids = [
        row[0]
        for row in duckdb.connect(
            str(explorer_settings.duckdb_path), read_only=True, config=LOCKED_CONFIG
        )
        .execute(
            "SELECT conversation_id FROM conversations WHERE first_response_seconds IS NULL "
            "ORDER BY day, started_at"
        )
        .fetchall()
    ]
    assert list(listed["conversation_id"]) == ids
    app.selectbox(key="opened").set_value(ids[1]).run()
    messages = app.dataframe[-1].value
    assert len(messages) >= 1 and set(messages["sender_role"]) <= {"customer", "agent"}


def test_questions_and_follow_ups(app: object) -> None:
    app.sidebar.date_input[1].set_value(date(2025, 3, 12)).run()
    app.text_input(key="question").input("CSAT last week")
    app.button[0].click().run()
    said = [m.value for m in app.markdown]
    assert any("From 2025-03-03 to 2025-03-09, CSAT: " in s for s in said), said
    follow = next(b for b in app.button if b.label == "and by week?")
    follow.click().run()
    app.run()
    assert any("went from" in m.value or "CSAT" in m.value for m in app.markdown)
    assert not app.exception


def test_a_new_copy_is_picked_up(app: object, explorer_settings: Settings) -> None:
    before = cards(app)["Conversations"]
    republish_without(explorer_settings, "2025-03-06")
    app.run()
    (count,) = expected(explorer_settings, "SELECT count(*) FROM conversations", [])
    assert cards(app)["Conversations"] == str(count) != before


def test_an_analysts_read_write_session_is_said_not_a_crash(
    explorer_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    import streamlit as st

    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(120)", str(explorer_settings.duckdb_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("POWERPULSE_DATA_DIR", str(explorer_settings.data_dir))
        st.cache_resource.clear()
        at = streamlit_testing.AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        assert not at.exception
        assert any("held open read-write" in i.value for i in at.info)
    finally:
        holder.kill()
        holder.wait()
    at.run()
    assert cards(at)["Conversations"] == "41"
    st.cache_resource.clear()
