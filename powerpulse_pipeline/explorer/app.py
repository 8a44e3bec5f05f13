"""The explorer: `make dev` serves it at http://127.0.0.1:$POWERPULSE_EXPLORER_PORT.

Any date range and filter; every headline figure, trend and breakdown of the dashboard for
that selection; an agent's quality score by week, review categories and coaching points with
the conversations they cite; the conversations behind a figure and their messages; and
questions in plain language, answered as `powerpulse ask` answers them; beside every
conversation shown, the conversations most like it; conversations like a text; and the
recurring issues of the range's latest week and month. It reads only the analysts' copy, and
a copy the pipeline publishes is picked up within seconds."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from powerpulse_pipeline.ask.answer import Asker
from powerpulse_pipeline.ask.llm import model_for
from powerpulse_pipeline.ask.readonly import NoWarehouse, connect_locked
from powerpulse_pipeline.ask.vocabulary import Vocabulary
from powerpulse_pipeline.dashboard.data import HEADLINE
from powerpulse_pipeline.explorer import selection as views
from powerpulse_pipeline.semantics.dimensions import DIMENSION_BY_NAME
from powerpulse_pipeline.semantics.metrics import BY_NAME, format_value
from powerpulse_pipeline.settings import Settings, SettingsError

REFRESH_SECONDS = 3
SEARCH_RESULTS = 10
# How many similar conversations may be opened one inside another: each level is a pick of
# the reader's, but a page that keeps growing downwards is no longer readable.
MAX_DEPTH = 3
PERCENT = st.column_config.NumberColumn(format="%.1f%%")


@st.cache_resource
def settings() -> Settings:
    return Settings.from_env()


class _Copy:
    """The connection to the copy the pipeline published last. DuckDB keeps one instance
    per path and process, so the old copy's connection is closed before the new one opens:
    otherwise the new connection would join the old, replaced file."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.identity: tuple[int, int] | None = None
        self.conn: Any = None

    def get(self, path: Path, identity: tuple[int, int]) -> Any:
        with self.lock:
            if identity != self.identity:
                if self.conn is not None:
                    self.conn.close()
                    self.conn = None
                # a page must not hang on an analyst's read-write session: say so instead
                self.conn = connect_locked(path, wait_seconds=2.0)
                self.identity = identity
            return self.conn


@st.cache_resource
def _copy() -> _Copy:
    return _Copy()


def _chart(
    series: Any,
    grain: str,
    metrics: tuple[str, ...],
    mark: str,
    domain: tuple[float, float] | None = None,
) -> None:
    """One chart of these metrics over time, labelled as the layer labels them. (Altair
    directly: Streamlit's own line chart logs a warning in the browser on every draw.)"""
    import altair as alt

    long = series.melt(grain, list(metrics), var_name="metric").dropna(subset=["value"])
    if long.empty:
        st.caption("No values for this selection.")
        return
    long["metric"] = long["metric"].map(lambda name: BY_NAME[name].label)
    chart = alt.Chart(long)
    chart = chart.mark_line(point=True) if mark == "line" else chart.mark_bar()
    encoding = {
        "x": alt.X(f"{grain}:T", title=grain),
        "y": alt.Y(
            "value:Q", title=None, scale=alt.Scale(domain=domain) if domain else alt.Undefined
        ),
        "color": alt.Color("metric:N", title=None),
        "tooltip": [f"{grain}:T", "metric:N", alt.Tooltip("value:Q", format=".1f")],
    }
    if mark == "bar":
        encoding["x"] = alt.X(f"yearmonthdate({grain}):O", title=grain)
        encoding["xOffset"] = "metric:N"
    st.altair_chart(chart.encode(**encoding), width="stretch")


@st.fragment(run_every=REFRESH_SECONDS)
def _watch(path: Path, seen: tuple[int, int] | None) -> None:
    """Reruns the page when the pipeline publishes a new copy."""
    if views.identity(path) != seen:
        st.rerun()


def _ask(config: Settings, conn: Any, as_of: date) -> None:
    st.subheader("Ask")
    if "asker" not in st.session_state:
        st.session_state.asker = Asker(config, llm=model_for(config))
    asker: Asker = st.session_state.asker
    asker.use(conn)  # the copy this page reads now
    pending = st.session_state.pop("pending_question", None)
    with st.form("ask", clear_on_submit=False):
        question = st.text_input(
            "A question about the figures", key="question", placeholder="CSAT by week last month"
        )
        columns = st.columns([1, 1, 6])
        asked = columns[0].form_submit_button("Ask")
        forget = columns[1].form_submit_button("New")
    if forget:
        asker.forget()
        st.session_state.pop("answer", None)
    if pending or (asked and question.strip()):
        st.session_state.answer = asker.ask(pending or question, as_of=as_of).to_json()
    answer = st.session_state.get("answer")
    if not answer:
        return
    st.markdown(f"**{answer['answer']}**")
    st.caption(f"{answer['status']} · understood: {answer['understood']}")
    if answer["sql"]:
        with st.expander("SQL"):
            st.code(answer["sql"], language="sql")
    if answer["columns"]:
        import pandas as pd

        st.dataframe(pd.DataFrame(answer["rows"], columns=answer["columns"]), hide_index=True)
    if answer["follow_ups"]:
        buttons = st.columns(len(answer["follow_ups"]))
        for column, follow_up in zip(buttons, answer["follow_ups"], strict=True):
            if column.button(follow_up, key=f"follow-{follow_up}"):
                st.session_state.pending_question = follow_up
                st.rerun()


def _conversation(conn: Any, conversation_id: str, key: str, depth: int = 0) -> None:
    """One conversation as every section shows it: its messages, then the conversations
    whose customers wrote most like it (`similar_conversations`), each one pick away."""
    st.dataframe(views.messages(conn, conversation_id), hide_index=True)
    st.markdown("**Similar conversations**")
    rows, why = views.similar(conn, conversation_id)
    if why:
        st.caption(why)
        return
    # the id in the key: another conversation's list starts unpicked, not with a stale pick
    _listed(conn, rows, f"{key}>{conversation_id}", "Open a similar conversation", depth)


def _listed(conn: Any, rows: list[dict[str, Any]], key: str, prompt: str, depth: int) -> None:
    """Conversations with their similarity, day and summary, and a pick that opens one."""
    st.dataframe(
        views.similar_frame(rows), hide_index=True, column_config={"similarity %": PERCENT}
    )
    if depth >= MAX_DEPTH:
        st.caption("Open one of these from the conversations list to see what is like it.")
        return
    by_id = {r["conversation_id"]: r for r in rows}
    picked = st.selectbox(
        prompt,
        list(by_id),
        index=None,
        format_func=lambda cid: views.similar_label(by_id[cid]),
        placeholder="pick one to read it",
        key=key,
    )
    if picked:
        _conversation(conn, picked, key, depth + 1)


def _search_for(config: Settings, conn: Any, text: str) -> tuple[list[dict[str, Any]], str]:
    """Conversations like the text, or a plain reason why there are none: the search embeds
    the text in this process, so a missing model or a failing endpoint must not take the page
    down."""
    try:
        from powerpulse_pipeline.similarity.search import search_conversations
    except ImportError:
        return [], "Finding conversations by text is not available in this installation."
    try:
        rows = search_conversations(conn, text, SEARCH_RESULTS, config)
    except Exception as exc:  # any failure of the embedder is said, not raised
        return [], f"Could not search for conversations like that text: {exc}"
    if not rows:
        return [], (
            "No conversation to compare with: none has an embedding (similarity is off or "
            "has not run yet)."
        )
    return list(rows), ""


@st.fragment
def _search(config: Settings, conn: Any) -> None:
    """Free text, answered like a conversation's similar ones. A fragment: searching and
    opening a result rerun only this section."""
    st.subheader("Find conversations like…")
    with st.form("find", clear_on_submit=False):
        text = st.text_input(
            "Find conversations like…",
            key="find_text",
            placeholder="I paid by card but the app says the bill is due",
        )
        find = st.form_submit_button("Find")
    if find and text.strip():
        st.session_state.found = (text.strip(), *_search_for(config, conn, text.strip()))
    found = st.session_state.get("found")
    if not found:
        return
    searched, rows, why = found
    if why:
        st.info(why)
        return
    _listed(conn, rows, f"find>{searched}", "Open a conversation found", 0)


@st.fragment
def _recurring(conn: Any, start: date, end: date) -> None:
    """The recurring issues of the latest ISO week and month overlapping the range, in the
    dashboard's order (new and growing first, then the largest), each example one pick away.
    A fragment: opening an example reruns only this section."""
    st.subheader("Recurring issues")
    rows, why = views.issues(conn, start, end)
    if why:
        st.caption(why)
        return
    st.caption(
        "Groups of conversations whose customers wrote about the same thing, in the latest "
        "ISO week and month of the selected days (the agent, topic and language filters do "
        "not apply here); previous is the same issue's count in the period before."
    )
    by_period: dict[tuple[str, date], list[dict[str, Any]]] = {}
    for row in rows:
        by_period.setdefault((row["period"], row["period_start"]), []).append(row)
    for issues in by_period.values():
        st.markdown(f"**{views.issue_period_label(issues[0])}**")
        st.dataframe(views.issues_frame(issues), hide_index=True, column_config={"CSAT %": PERCENT})
    examples = {
        f"{r['period']}:{r['period_start']}:{r['issue_id']}:{e['conversation_id']}": (r, e)
        for r in rows
        for e in r["examples"]
    }

    def label(option: str) -> str:
        issue, example = examples[option]
        when = "month" if issue["period"] == "month" else "week"
        return (
            f"{issue['label']} ({when}) · {example['day']} · "
            f"{example['summary'] or example['conversation_id']}"
        )

    picked = st.selectbox(
        "An example of an issue",
        list(examples),
        index=None,
        format_func=label,
        placeholder="pick one to read it",
        key="issue_example",
    )
    if picked:
        _conversation(conn, examples[picked][1]["conversation_id"], "issue_example")


@st.fragment
def _coaching(conn: Any, agents: tuple[str, ...], start: date, end: date, zone: str) -> None:
    """One agent's quality: score by week, categories, and the coaching of the weeks and
    months overlapping the range, each point's conversations one pick away. A fragment:
    picking an agent, a period or a conversation here reruns only this section."""
    import pandas as pd

    st.subheader("Agent coaching")
    if not agents:
        st.caption("No agent is named in the conversations.")
        return
    agent = st.selectbox("Agent to coach", agents, key="coach_agent")
    st.caption(
        f"Quality reviews of the conversations {agent} answered first, {start} to {end} "
        "(the topic and language filters do not apply here)."
    )
    totals, categories = views.quality_categories(conn, start, end, agent, zone)
    left, right = st.columns(2)
    with left:
        score, reviewed = st.columns(2)
        score.metric(
            BY_NAME["qa_score"].label,
            format_value("qa_score", totals["qa_score"], compact=True),
        )
        reviewed.metric(
            BY_NAME["reviewed_conversations"].label,
            format_value("reviewed_conversations", totals["reviewed_conversations"] or 0),
        )
        trend = views.quality_trend(conn, start, end, agent, zone)
        _chart(trend, "week", ("qa_score",), "line", domain=(0, 100))
    with right:
        st.dataframe(
            categories,
            hide_index=True,
            column_config={"passed %": st.column_config.NumberColumn(format="%.1f%%")},
        )
    rows = views.coaching(conn, start, end, agent)
    if not rows:
        st.info(f"No coaching for {agent} in these days: it comes from reviewed conversations.")
        return
    by_key = {f"{r['period']}:{r['period_start']}": r for r in rows}
    key = st.selectbox(
        "Coaching of",
        list(by_key),
        format_func=lambda k: views.coaching_label(by_key[k]),
        key="coach_period",
    )
    row = by_key[key]
    points = views.coaching_points(row)
    table = [
        {
            "kind": p["kind"],
            "category": p["category"],
            "point": p["point"],
            "conversations": len(p["examples"]),
        }
        for p in points
    ]
    st.dataframe(pd.DataFrame(table), hide_index=True)
    cited = views.cited_conversations(conn, row)
    examples = {
        f"{p['kind']}:{i}:{j}": (p, cid)
        for i, p in enumerate(points)
        for j, cid in enumerate(p["examples"])
    }
    if not examples:
        return

    def label(option: str) -> str:
        point, cid = examples[option]
        found = cited.get(cid, {})
        return f"{point['category']} ({point['kind']}) · {found.get('day', '')} · " + (
            found.get("summary") or cid
        )

    opened = st.selectbox(
        "A conversation behind a point", list(examples), format_func=label, key="coach_example"
    )
    _, cid = examples[opened]
    review = cited.get(cid, {})
    st.text(views.review_text(review))
    if review.get("coaching_note"):
        st.text(f"Coaching note: {review['coaching_note']}")
    _conversation(conn, cid, "coach_example")


def main() -> None:
    st.set_page_config(page_title="PowerPulse explorer", layout="wide")
    try:
        config = settings()
    except SettingsError as exc:
        st.error(f"PowerPulse cannot start: {exc}")
        return
    path = config.duckdb_path
    seen = views.identity(path)
    st.title("PowerPulse explorer")
    if seen is None:
        st.info(f"No warehouse at {path} yet: drop chat exports into {config.inbox_dir}.")
        _watch(path, seen)
        return
    try:
        conn = _copy().get(path, seen)
    except NoWarehouse as exc:
        st.info(str(exc))
        _watch(path, seen)
        return
    vocabulary = Vocabulary.load(conn)
    if vocabulary.first_day is None:
        st.info("The warehouse has no conversations yet.")
        _watch(path, seen)
        return
    zone = config.timezone

    with st.sidebar:
        st.header("Selection")
        picked = st.date_input(
            "Days",
            value=(vocabulary.first_day, vocabulary.last_day),
            key="days",
        )
        start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) else (picked,) * 2
        agents = st.multiselect("Agent", vocabulary.agents, key="agents")
        topics = st.multiselect("Topic", vocabulary.topics, key="topics")
        languages = st.multiselect("Language", vocabulary.languages, key="languages")
        as_of = st.date_input("Questions count from (today)", datetime.now(config.zone).date())
        st.caption(f"Analysts' copy: {path}")
    chosen = views.Selection(start, end, tuple(agents), tuple(topics), tuple(languages))

    _ask(config, conn, as_of)

    st.subheader("Figures for the selection")
    figures = views.headline(conn, chosen, zone)
    cards = [*st.columns(4), *st.columns(4)]
    for card, (name, label) in zip(cards, HEADLINE, strict=False):
        card.metric(label, format_value(name, figures.get(name), compact=True))

    grain = st.radio("Trend by", ["day", "week", "month"], horizontal=True, key="grain")
    series = views.trend(conn, chosen, grain, zone)
    left, right = st.columns(2)
    with left:
        _chart(series, grain, ("csat_pct", "fcr_pct", "observed_fcr_pct"), "line")
    with right:
        _chart(series, grain, ("conversations", "unanswered_conversations"), "bar")

    tabs = st.tabs(["By topic", "By agent", "By language", "By weekday", "By hour"])
    for tab, dimension in zip(tabs, ["topic", "agent", "language", "weekday", "hour"], strict=True):
        with tab:
            st.caption(DIMENSION_BY_NAME[dimension].label)
            st.dataframe(views.breakdown(conn, chosen, dimension, zone), hide_index=True)

    _coaching(conn, tuple(agents) or vocabulary.agents, start, end, zone)
    _recurring(conn, start, end)
    _search(config, conn)

    st.subheader("Conversations")
    drill = st.selectbox("Which", list(views.DRILLDOWNS), key="drill")
    behind = views.Selection(
        start, end, tuple(agents), tuple(topics), tuple(languages), views.DRILLDOWNS[drill]
    )
    listed = views.conversations(conn, behind, zone)
    st.caption(f"{len(listed):,} conversations (the first 500 are listed)")
    st.dataframe(listed, hide_index=True)
    if len(listed):
        opened = st.selectbox("Open a conversation", listed["conversation_id"], key="opened")
        _conversation(conn, opened, "opened")

    _watch(path, seen)


main()
