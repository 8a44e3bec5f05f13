"""Whatever the Graph API (or something posing as it) sends, a tick ends: it lands what it
could read, or pauses or stops the Page with a reason. It never raises, and its state can
always be kept as the sensor's cursor."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.ingest.formats import parse_export
from powerpulse_pipeline.ingest.records import RejectedFile
from powerpulse_pipeline.sources.graph_api.client import GraphClient
from powerpulse_pipeline.sources.graph_api.landing import land
from powerpulse_pipeline.sources.graph_api.sync import PageState, sync_tick
from powerpulse_pipeline_tests.fake_graph import PAGE_ID, TOKEN, GraphState, fake_graph_server

KEYS = [
    "data",
    "paging",
    "next",
    "cursors",
    "after",
    "id",
    "updated_time",
    "messages",
    "created_time",
    "from",
    "to",
    "message",
    "name",
    "sticker",
    "error",
    "code",
]
TIMES = st.sampled_from(
    [
        "2025-03-04T10:00:00+0000",
        "2025-03-04T10:00:00",
        "9999-12-31T23:59:59+0000",
        "0001-01-01T00:00:00+1400",
        "yesterday",
        "",
        "2025-02-30T00:00:00+0000",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    TIMES,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)), inner, max_size=5),
    ),
    max_leaves=25,
)
MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=8), st.integers()),
        "created_time": st.one_of(TIMES, JSON),
        "from": st.one_of(st.just({"id": PAGE_ID, "name": "Acme"}), JSON),
        "to": JSON,
        "message": st.one_of(st.text(max_size=30), JSON),
    },
)
CONVERSATION = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=8), JSON),
        "updated_time": st.one_of(TIMES, JSON),
        "messages": st.one_of(
            st.fixed_dictionaries(
                {"data": st.lists(MESSAGE, max_size=4)}, optional={"paging": JSON}
            ),
            JSON,
        ),
    },
)
REPLY = st.one_of(
    st.fixed_dictionaries({"data": st.lists(CONVERSATION, max_size=4)}, optional={"paging": JSON}),
    JSON,
)
BODY = st.one_of(
    REPLY.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=40),
    st.just(b'{"data": [{"id": "t1", "messages": {"data": [{"id": "m\\ud800"}]}}]}'),
)


def test_any_reply_ends_the_tick_landed_paused_or_stopped() -> None:
    state = GraphState(conversations={})
    with fake_graph_server(state) as url:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(bodies=st.lists(BODY, min_size=1, max_size=3))
        def one_tick(bodies: list[bytes]) -> None:
            state.raw_replies.clear()
            state.raw_replies.extend(bodies)
            with tempfile.TemporaryDirectory() as inbox:
                check_tick(url, Path(inbox))

        one_tick()


def check_tick(url: str, inbox: Path) -> None:
    with GraphClient(url, TOKEN, timeout=5) as client:
        report = sync_tick(
            PageState(),
            client,
            PAGE_ID,
            lambda convs: land(inbox, PAGE_ID, convs, datetime.now(UTC)),
            start_date=date(2025, 1, 1),
            interval_seconds=900,
            deadline=time.monotonic() + 3,
            sleep=lambda seconds: None,
        )
    cursor: dict[str, Any] = json.loads(json.dumps(report.state.dump()))
    assert PageState.load(cursor) == report.state
    outcome = report.state
    if outcome.stopped or outcome.pause_until:
        assert outcome.stopped or outcome.pause_reason
    landed = 0
    for path in inbox.rglob("*.json"):
        try:
            landed += len(parse_export(path.read_bytes(), (), (PAGE_ID,)).columns)
        except RejectedFile as exc:
            assert str(exc)  # rejected with a reason, never an unexpected error
    assert landed <= report.messages
