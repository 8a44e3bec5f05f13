"""The explorer through Streamlit's own headless test runner: the figures of any selection
equal the layer's (and metrics_between's), a filter changes them, a figure leads to its
conversations and a conversation to its messages and the conversations like it, questions
are answered with follow-ups, text finds conversations like it, the recurring issues are the
table's, and a newly published copy is picked up."""

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


def _frames(at: object, column: str, without: str | None = None) -> list:
    """The tables shown that have this column (and not that one), in page order."""
    return [
        d.value
        for d in at.dataframe
        if column in d.value.columns and (without is None or without not in d.value.columns)
    ]


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
    listed = _frames(app, "conversation_id", without="similarity %")[-1]
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
    messages = _frames(app, "sender_role")[-1]
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


def _rows(settings: Settings, sql: str, params: list[object]) -> list[dict]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True, config=LOCKED_CONFIG) as conn:
        cursor = conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_an_agents_coaching_with_its_conversations(app: object, explorer_settings) -> None:
    from powerpulse_pipeline.explorer.selection import coaching_label
    from powerpulse_pipeline.scoring import quality

    agent = "James Carter"
    app.selectbox(key="coach_agent").set_value(agent).run()
    assert not app.exception
    # the whole stored range: the quality score and pass rates of agent_metrics_between
    (figures,) = _rows(
        explorer_settings,
        "SELECT * FROM agent_metrics_between('2025-03-03', '2025-03-11') WHERE agent_name = ?",
        [agent],
    )
    assert figures["reviewed_conversations"] > 0
    shown = cards(app)
    assert shown["Quality score"] == f"{figures['qa_score']:.1f}%"
    assert shown["Reviewed conversations"] == str(figures["reviewed_conversations"])
    categories = next(d.value for d in app.dataframe if "what passing means" in d.value.columns)
    assert list(categories["category"]) == [c.label for c in quality.CATEGORIES]
    for rate, c in zip(categories["passed %"], quality.CATEGORIES, strict=True):
        expected_rate = figures[f"qa_{c.name}_pct"]
        assert (rate != rate and expected_rate is None) or abs(rate - expected_rate) < 1e-9

    # the coaching of coaching_between, newest first, and the points of the one picked
    rows = _rows(
        explorer_settings,
        "SELECT * FROM coaching_between('2025-03-03', '2025-03-11') WHERE agent_name = ?",
        [agent],
    )
    period = app.selectbox(key="coach_period")
    assert period.options == [coaching_label(r) for r in rows]
    month = next(r for r in rows if r["period"] == "month")
    period.set_value(f"month:{month['period_start']}").run()
    points = next(d.value for d in app.dataframe if "point" in d.value.columns)
    assert list(points["point"]) == month["strengths"] + month["improvements"]
    assert list(points["kind"]) == ["strength"] * len(month["strengths"]) + ["improvement"] * len(
        month["improvements"]
    )

    # a conversation behind an improvement: its review (it failed the point) and messages
    category = quality.BY_NAME[month["improvement_categories"][0]].label
    example = app.selectbox(key="coach_example")
    labels = example.options  # what the list shows: the point, then the conversation
    assert len(labels) == sum(map(len, month["strength_examples"] + month["improvement_examples"]))
    first = next(i for i, text in enumerate(labels) if "(improvement)" in text)
    assert labels[first].startswith(f"{category} (improvement) · ")
    example.select_index(first).run()
    cited = month["improvement_examples"][0][0]
    review = next(t.value for t in app.text if t.value.startswith("Quality score"))
    assert category in review.split("failed: ")[1]
    messages = next(d.value for d in app.dataframe if "sender_role" in d.value.columns)
    expected_texts = [
        r["text"]
        for r in _rows(explorer_settings, "SELECT text FROM conversation_messages(?)", [cited])
    ]
    assert list(messages["text"]) == expected_texts and expected_texts
    assert not app.exception


def test_the_coaching_views_figures_by_hand(explorer_settings: Settings) -> None:
    """The explorer's quality trend is avg(qa_score) by ISO week, written here in plain SQL
    (the view compiles it from the semantic layer)."""
    from powerpulse_pipeline.explorer import selection as views

    weeks = 0
    with duckdb.connect(
        str(explorer_settings.duckdb_path), read_only=True, config=LOCKED_CONFIG
    ) as conn:
        for agent in ("James Carter", "Maria Lopez", "Tom Becker"):
            trend = views.quality_trend(conn, date(2025, 3, 3), date(2025, 3, 11), agent, "UTC")
            expected = conn.execute(
                "SELECT date_trunc('week', day)::DATE, avg(qa_score), count(qa_score) "
                "FROM conversations WHERE agent_name = ? AND day BETWEEN '2025-03-03' AND "
                "'2025-03-11' GROUP BY 1 ORDER BY 1",
                [agent],
            ).fetchall()
            found = [
                (w.date(), s, n)
                for w, s, n in zip(
                    trend["week"], trend["qa_score"], trend["reviewed_conversations"], strict=True
                )
            ]
            assert len(found) == len(expected) > 0
            weeks += len(found)
            for (week, score, n), (week2, score2, n2) in zip(found, expected, strict=True):
                assert week == week2 and n == n2 and abs(score - score2) < 1e-9
    assert weeks > 3  # agents with two weeks among them


def _republish(settings: Settings, sql: str) -> None:
    """Publish a copy changed by this SQL, the way the pipeline publishes (see conftest)."""
    import os
    import shutil

    staging = settings.duckdb_path.with_name(".staging.duckdb")
    shutil.copyfile(settings.duckdb_path, staging)
    with duckdb.connect(str(staging)) as conn:
        conn.execute(sql)
    os.replace(staging, settings.duckdb_path)


def _similar_shown(frame: object) -> list[tuple]:
    return [
        (cid, round(pct, 6), day, summary)
        for cid, pct, day, summary in zip(
            frame["conversation_id"], frame["similarity %"], frame["day"], frame["summary"],
            strict=True,
        )
    ]  # fmt: skip


def _similar_expected(settings: Settings, cid: str, k: int = 5) -> list[tuple]:
    rows = _rows(settings, "SELECT * FROM similar_conversations(?, ?)", [cid, k])
    return [
        (r["conversation_id"], round(100 * r["similarity"], 6), r["day"], r["summary"])
        for r in rows
    ]


def test_a_conversation_shows_the_ones_most_like_it(
    app: object, explorer_settings: Settings
) -> None:
    opened = app.selectbox(key="opened").value  # the first conversation listed opens first
    similar = _frames(app, "similarity %")[-1]  # the page's last section (coaching's is above)
    expected_rows = _similar_expected(explorer_settings, opened)
    assert len(expected_rows) == 5
    assert _similar_shown(similar) == expected_rows  # the macro's, as a percentage
    # a similar conversation opens like any other: its messages, and the ones like it
    nearest = expected_rows[0][0]
    app.selectbox(key=f"opened>{opened}").set_value(nearest).run()
    texts = [r["text"] for r in _rows(
        explorer_settings, "SELECT text FROM conversation_messages(?)", [nearest]
    )]  # fmt: skip
    assert list(_frames(app, "sender_role")[-1]["text"]) == texts
    assert _similar_shown(_frames(app, "similarity %")[-1]) == _similar_expected(
        explorer_settings, nearest
    )
    assert not app.exception


def test_a_conversation_without_an_embedding_says_why(
    app: object, explorer_settings: Settings
) -> None:
    opened = app.selectbox(key="opened").value
    lists = len(_frames(app, "similarity %"))  # the coaching example's and the opened one's
    _republish(
        explorer_settings, f"DELETE FROM conversation_embeddings WHERE conversation_id = '{opened}'"
    )
    app.run()
    assert len(_frames(app, "similarity %")) == lists - 1
    assert any("this conversation has no embedding" in c.value for c in app.caption)
    _republish(explorer_settings, "DELETE FROM conversation_embeddings")  # similarity off
    app.run()
    assert not _frames(app, "similarity %")
    assert any("no conversation has an embedding" in c.value for c in app.caption)
    assert not app.exception


def test_the_recurring_issues_of_the_latest_week_and_month(
    app: object, explorer_settings: Settings
) -> None:
    def table_rows(period: str) -> list[dict]:
        rows = _rows(
            explorer_settings,
            "SELECT * FROM recurring_issues WHERE period = ? AND period_start = "
            "(SELECT max(period_start) FROM recurring_issues WHERE period = ? "
            "AND period_start <= '2025-03-11')",
            [period, period],
        )
        # new (nothing the period before) or growing first, then the largest
        return sorted(
            rows,
            key=lambda r: (
                not (r["previous_conversations"] == 0
                     or r["conversations"] > r["previous_conversations"]),
                -r["conversations"],
                r["issue_id"],
            ),
        )  # fmt: skip

    shown = _frames(app, "previous")
    assert len(shown) == 2  # the week of 2025-03-10, then March
    for frame, period in zip(shown, ("week", "month"), strict=True):
        rows = table_rows(period)
        assert rows
        assert list(frame["issue"]) == [r["label"] for r in rows]
        assert list(frame["conversations"]) == [r["conversations"] for r in rows]
        assert list(frame["previous"]) == [r["previous_conversations"] for r in rows]
        for pct, r in zip(frame["CSAT %"], rows, strict=True):
            assert (pct != pct and r["csat_pct"] is None) or abs(pct - r["csat_pct"]) < 1e-9
    assert any("Week of 2025-03-10" in m.value for m in app.markdown)
    # an example opens with its messages
    month = table_rows("month")[0]
    cid = month["example_conversation_ids"][0]
    picker = app.selectbox(key="issue_example")
    picker.set_value(f"month:{month['period_start']}:{month['issue_id']}:{cid}").run()
    texts = [r["text"] for r in _rows(
        explorer_settings, "SELECT text FROM conversation_messages(?)", [cid]
    )]  # fmt: skip
    assert any(list(f["text"]) == texts for f in _frames(app, "sender_role"))
    assert not app.exception


def test_finding_conversations_like_a_text(
    app: object, explorer_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    search = pytest.importorskip("powerpulse_pipeline.similarity.search")
    text = "my internet keeps dropping"
    with duckdb.connect(
        str(explorer_settings.duckdb_path), read_only=True, config=LOCKED_CONFIG
    ) as conn:
        found = search.search_conversations(conn, text, 10, explorer_settings)
    assert found
    app.text_input(key="find_text").input(text)
    next(b for b in app.button if b.label == "Find").click().run()
    assert not app.exception
    expected_rows = [
        (r["conversation_id"], round(100 * r["similarity"], 6), r["day"], r["summary"])
        for r in found
    ]
    assert len(found) == 10  # the search's list, beside the similar lists of 5
    assert expected_rows in [_similar_shown(f) for f in _frames(app, "similarity %")]

    # an embedder that cannot run is said in words, not a crash
    def broken(*_: object) -> list[dict]:
        raise RuntimeError("the embedding model cannot run here")

    monkeypatch.setitem(
        sys.modules,
        "powerpulse_pipeline.similarity.search",
        types.SimpleNamespace(search_conversations=broken),
    )
    app.text_input(key="find_text").input("router lights blinking")
    next(b for b in app.button if b.label == "Find").click().run()
    assert not app.exception
    assert any("cannot run here" in i.value for i in app.info)
