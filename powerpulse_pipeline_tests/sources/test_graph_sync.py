"""The Page sync against a real local Graph API server: paging, resuming, faults, rate limits.

Each test drives `sync_tick` as the sensor does (one bounded tick at a time, the state carried
between ticks) and reads back what was landed in the inbox.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from powerpulse_pipeline.ingest.formats import parse_export
from powerpulse_pipeline.ingest.records import AGENT, CUSTOMER
from powerpulse_pipeline.sources.graph_api.client import GraphClient, parse_usage, strip_token
from powerpulse_pipeline.sources.graph_api.landing import land
from powerpulse_pipeline.sources.graph_api.sync import (
    CONVERSATIONS_PER_PAGE,
    PageState,
    TickReport,
    graph_time,
    sync_tick,
)
from powerpulse_pipeline_tests.fake_graph import (
    DETAILS_LIMIT,
    PAGE_ID,
    TOKEN,
    GraphState,
    fake_graph_server,
    generate_page,
)

FIRST_DAY = datetime(2025, 3, 1, tzinfo=UTC)
START = date(2025, 1, 1)


def ticks(
    url: str,
    inbox: Path,
    state: PageState | None = None,
    *,
    budget: float = 5.0,
    limit: int = 200,
    timeout: float = 30.0,
    until: Callable[[TickReport], bool] = lambda report: report.state.current is None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[TickReport]:
    """Ticks until `until` holds (by default: the pass is complete)."""
    reports: list[TickReport] = []
    state = state or PageState()
    for _ in range(limit):
        with GraphClient(url, TOKEN, timeout=timeout) as client:
            report = sync_tick(
                state,
                client,
                PAGE_ID,
                lambda conversations: land(inbox, PAGE_ID, conversations, datetime.now(UTC)),
                start_date=START,
                interval_seconds=900,
                deadline=time.monotonic() + budget,
                sleep=sleep,
            )
        reports.append(report)
        state = report.state
        if until(report):
            return reports
    raise AssertionError(f"no end after {limit} ticks: {reports[-1]}")


def landed_ids(inbox: Path) -> list[str]:
    ids = []
    for path in sorted(inbox.rglob("*.json")):
        for conv in json.loads(path.read_text())["data"]:
            ids += [m["id"] for m in conv["messages"]["data"]]
    return ids


def detailed_ids(state: GraphState) -> set[str]:
    """What the API gives details of: each thread's 20 most recent messages."""
    return {
        m.id
        for conv in state.conversations.values()
        for m in list(reversed(conv.messages))[:DETAILS_LIMIT]
    }


@pytest.fixture
def page() -> GraphState:
    return GraphState(
        conversations=generate_page(260, FIRST_DAY, 30, long_threads=4), empty_page_every=4
    )


def test_backfill_lands_every_message_once_with_the_fewest_calls(
    page: GraphState, tmp_path: Path
) -> None:
    with fake_graph_server(page) as url:
        reports = ticks(url, tmp_path)
    ids = landed_ids(tmp_path)
    assert sorted(ids) == sorted(detailed_ids(page))
    # 260 conversations in pages of 25, and every 4th page of the edge came back empty with
    # a `next` (the sync must not stop there); long threads cost no extra call: past the
    # first 25 messages the API gives no details.
    pages = -(-260 // CONVERSATIONS_PER_PAGE)
    assert page.paths["conversations"] == pages + pages // 3
    assert page.paths["messages"] == 0
    assert sum(r.calls for r in reports) == page.calls
    state = reports[-1].state
    assert state.watermark == max(c.updated for c in page.conversations.values()).strftime(
        "%Y-%m-%dT%H:%M:%S+0000"
    )
    assert state.messages == len(ids) and state.without_details == 4 * (25 - DETAILS_LIMIT)
    # Landed files are Graph API responses that ingestion reads, sides known from the Page id.
    for path in tmp_path.rglob("*.json"):
        result = parse_export(path.read_bytes(), (), (PAGE_ID,))
        assert not result.skipped and not result.warnings
        sides = {row.sender_role for row in result.messages}
        assert sides == {AGENT, CUSTOMER}


def test_a_second_pass_reads_one_page_and_lands_only_what_is_new(
    page: GraphState, tmp_path: Path
) -> None:
    page.empty_page_every = 0
    with fake_graph_server(page) as url:
        first = ticks(url, tmp_path)[-1].state
        before = page.calls
        # Nothing new: one call, nothing landed.
        again = ticks(url, tmp_path, first)
        assert page.calls - before == 1 and again[-1].landed is None
        newest = max(page.conversations.values(), key=lambda c: c.updated)
        oldest = min(page.conversations.values(), key=lambda c: c.updated)
        at = newest.updated + timedelta(minutes=5)
        page.add_message(oldest.id, "Is my refund through yet?", at=at)
        page.add_message(newest.id, "One more question", at=at + timedelta(seconds=1))
        later = ticks(url, tmp_path, again[-1].state)
    assert later[-1].messages == 2 and later[-1].calls == 1
    ids = landed_ids(tmp_path)
    assert len(ids) == len(set(ids)) == len(detailed_ids(page))


def test_a_crash_before_the_state_is_kept_repeats_the_tick_and_loses_nothing(
    page: GraphState, tmp_path: Path
) -> None:
    """Every other tick 'crashes' after landing (its state is thrown away, as when the
    process dies before Dagster stores the cursor): the next tick starts from the old state."""
    state = PageState()
    with fake_graph_server(page) as url:
        for number in range(100):
            report = ticks(url, tmp_path, state, budget=0.05, until=lambda r: True)[-1]
            if number % 2 == 0:
                continue  # crashed: the cursor is the one before this tick
            state = report.state
            if state.current is None:
                break
    ids = landed_ids(tmp_path)
    assert set(ids) == detailed_ids(page)
    assert len(ids) > len(set(ids))  # landed twice, which ingestion stores once


def test_a_conversation_updated_while_the_edge_is_read_is_not_missed(
    page: GraphState, tmp_path: Path
) -> None:
    page.empty_page_every = 0
    oldest = min(page.conversations.values(), key=lambda c: c.updated)
    newest = max(c.updated for c in page.conversations.values())
    added = []

    def mid_pass(call: int) -> None:
        if call == 3:  # after two pages: the conversation jumps to the front, already read
            added.append(page.add_message(oldest.id, "Still waiting", at=newest + timedelta(1)))

    page.on_call = mid_pass
    with fake_graph_server(page) as url:
        first = ticks(url, tmp_path)[-1].state
        assert added and added[0].id not in landed_ids(tmp_path)
        ticks(url, tmp_path, first)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)


@pytest.mark.parametrize("fault", ["500", "drop", "code:1", "code:2", "nonjson"])
def test_transient_errors_are_retried_within_the_tick(
    page: GraphState, tmp_path: Path, fault: str
) -> None:
    page.faults.extend([fault, fault])
    with fake_graph_server(page) as url:
        reports = ticks(url, tmp_path, sleep=lambda seconds: None)
    assert not any(r.warning for r in reports)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)


def test_a_server_down_for_longer_pauses_the_page_and_then_resumes(
    page: GraphState, tmp_path: Path
) -> None:
    page.faults.extend(["500"] * 3)
    with fake_graph_server(page) as url:
        failed = ticks(url, tmp_path, sleep=lambda seconds: None, until=lambda r: True)[-1]
        assert "HTTP 500" in failed.warning and failed.state.pause_until > time.time()
        failed.state.pause_until = 0.0  # the sensor clears it once the time has passed
        ticks(url, tmp_path, failed.state)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)


def test_a_slow_answer_times_out_and_is_retried(page: GraphState, tmp_path: Path) -> None:
    page.slow_seconds = 1.5
    page.faults.append("slow")
    with fake_graph_server(page) as url:
        reports = ticks(url, tmp_path, timeout=0.5, sleep=lambda seconds: None)
    assert not any(r.warning for r in reports)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)


@pytest.mark.parametrize("code", [4, 17, 32, 341, 368, 613, 80001, 80006])
def test_a_throttling_error_pauses_until_access_returns(
    page: GraphState, tmp_path: Path, code: int
) -> None:
    page.regain_minutes = 7
    page.faults.extend(["", f"code:{code}"])  # the second call is refused
    with fake_graph_server(page) as url:
        report = ticks(url, tmp_path, until=lambda r: True)[-1]
        calls = page.calls
        assert calls == 2  # not one call after the refusal
        state = report.state
        assert f"Graph API error {code}" in state.pause_reason
        assert state.pause_until == pytest.approx(time.time() + 7 * 60, abs=5)
        # What came before the refusal is landed and the pass resumes where it stopped.
        assert report.messages > 0
        state.pause_until = 0.0
        ticks(url, tmp_path, state)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)
    assert len(landed_ids(tmp_path)) == len(detailed_ids(page))


def test_a_throttling_error_without_a_time_backs_off_longer_each_time(tmp_path: Path) -> None:
    state = GraphState(conversations=generate_page(30, FIRST_DAY, 10))
    state.faults.extend(["code:4"] * 3)
    state.regain_minutes = 0  # the error gives no time to regain access
    waits = []
    page_state = PageState()
    with fake_graph_server(state) as url:
        for _ in range(3):
            page_state = ticks(url, tmp_path, page_state, until=lambda r: True)[-1].state
            waits.append(page_state.pause_until - time.time())
            page_state.pause_until = 0.0
    assert waits[0] == pytest.approx(60, abs=5)
    assert waits[1] == pytest.approx(120, abs=5) and waits[2] == pytest.approx(240, abs=5)


def test_usage_headers_slow_and_pause_the_sync_before_the_limit(
    page: GraphState, tmp_path: Path
) -> None:
    page.budget = 10  # calls a minute
    page.empty_page_every = 0
    slept: list[float] = []
    with fake_graph_server(page) as url:
        report = ticks(url, tmp_path, sleep=slept.append, until=lambda r: True)[-1]
        assert page.statuses[400] == 0  # never refused: it stopped first
        assert page.calls == 9  # 90% of the budget
        assert "90% of a rate limit" in report.state.pause_reason
        assert report.state.pause_until == pytest.approx(time.time() + 60, abs=5)
        assert len(slept) == 2 and 0 < slept[0] < slept[1] <= 3  # 70% and 80%: slower
        # Still as high after the pause (the window is longer than thought): twice as long.
        report.state.pause_until = 0.0
        again = ticks(url, tmp_path, report.state, until=lambda r: True)[-1]
    assert page.calls == 10 and page.statuses[400] == 0
    assert again.state.pause_until == pytest.approx(time.time() + 120, abs=5)


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("code:190/463", "the Page token is invalid or expired (the token expired"),
        ("code:190/460", "password of the account that made the token was changed"),
        ("code:190", "the Page token is invalid or expired"),
        ("code:102", "the Page token is invalid or expired"),
        ("code:10", "lacks a permission"),
        ("code:200", "lacks a permission"),
        ("code:299", "lacks a permission"),
        ("code:100/33", "check POWERPULSE_FB_PAGE_IDS"),
    ],
)
def test_a_permanent_error_stops_the_page_with_a_plain_reason(
    page: GraphState, tmp_path: Path, fault: str, says: str
) -> None:
    page.faults.append(fault)
    with fake_graph_server(page) as url:
        report = ticks(url, tmp_path, until=lambda r: True)[-1]
    assert page.calls == 1 and says in report.state.stopped
    assert TOKEN not in report.state.stopped


def test_the_token_travels_only_in_the_header(page: GraphState, tmp_path: Path) -> None:
    with fake_graph_server(page) as url:
        reports = ticks(url, tmp_path, budget=0.05)  # many ticks: the pass's place is kept
    assert len(reports) > 3 and any(r.state.current for r in reports)
    assert page.auth_headers == {f"Bearer {TOKEN}"}
    assert not any(TOKEN in u for u in page.urls)  # paging URLs were stripped before use
    assert not any(TOKEN in json.dumps(r.state.dump()) for r in reports)  # every cursor
    assert not any(TOKEN in p.read_text() for p in tmp_path.rglob("*") if p.is_file())


def test_paging_urls_lose_their_token_and_usage_headers_are_read() -> None:
    url = "https://graph.facebook.com/v25.0/1/conversations?access_token=EAAB&after=QV&limit=25"
    assert strip_token(url) == "https://graph.facebook.com/v25.0/1/conversations?after=QV&limit=25"
    headers = {
        "x-business-use-case-usage": json.dumps(
            {
                "123": [
                    {
                        "type": "pages",
                        "call_count": 28,
                        "total_cputime": 95,
                        "total_time": 4,
                        "estimated_time_to_regain_access": 3,
                    }
                ]
            }
        ),
        "x-app-usage": '{"call_count": 50, "total_cputime": 1, "total_time": 1}',
    }
    import httpx2

    usage = parse_usage(httpx2.Headers(headers))
    assert usage.percent == 95 and usage.regain_seconds == 180
    assert parse_usage(httpx2.Headers({"x-app-usage": "not json"})).percent == 0


def test_an_inbox_that_cannot_be_written_keeps_the_place_and_loses_nothing(
    page: GraphState, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inbox.chmod(0o555)
    try:
        if os.access(inbox, os.W_OK):
            pytest.skip("run as a normal user (make test does): root writes anywhere")
        with fake_graph_server(page) as url:
            report = ticks(url, inbox, until=lambda r: True)[-1]
            assert "could not land the pull in the inbox" in report.state.pause_reason
            assert report.state == PageState(
                pause_until=report.state.pause_until, pause_reason=report.state.pause_reason
            )  # nothing of the tick was kept: its calls are made again
            inbox.chmod(0o755)
            report.state.pause_until = 0.0
            ticks(url, inbox, report.state)
    finally:
        inbox.chmod(0o755)
    assert sorted(landed_ids(inbox)) == sorted(detailed_ids(page))


def test_a_time_in_the_future_does_not_lift_the_next_floor_above_now(tmp_path: Path) -> None:
    """A server clock ahead of ours (or a stray future time) must not hide new messages."""
    now = datetime.now(UTC).replace(microsecond=0)
    page = GraphState(conversations=generate_page(30, now - timedelta(days=5), 3, until=now))
    ahead, today = list(page.conversations)[:2]
    page.add_message(ahead, "sent from a clock two days fast", at=now + timedelta(days=2))
    with fake_graph_server(page) as url:
        first = ticks(url, tmp_path)[-1].state
        assert first.watermark is not None and first.watermark <= graph_time(datetime.now(UTC))
        page.add_message(today, "my card was charged twice", at=now + timedelta(seconds=5))
        ticks(url, tmp_path, first)
    assert set(landed_ids(tmp_path)) == detailed_ids(page)


def test_long_threads_are_followed_on_the_messages_edge(tmp_path: Path) -> None:
    """Where the API gives details beyond the 25 nested messages, the sync pages on."""
    page = GraphState(
        conversations=generate_page(60, FIRST_DAY, 10, long_threads=6), details_limit=1000
    )
    with fake_graph_server(page) as url:
        ticks(url, tmp_path, budget=0.05)
    assert page.paths["messages"] == 6 * 2  # 60 messages: 25 nested, then 25 and 10
    ids = landed_ids(tmp_path)
    assert sorted(set(ids)) == sorted(m.id for c in page.conversations.values() for m in c.messages)


def test_a_conversation_whose_later_pages_fail_is_left_and_the_pass_goes_on(
    tmp_path: Path,
) -> None:
    """Deleted between the listing and its next messages page (error 100/33): only that
    conversation's older messages are missing; the Page is not stopped."""
    page = GraphState(
        conversations=generate_page(6, FIRST_DAY, 3, long_threads=6), details_limit=1000
    )
    page.faults.extend(["", "code:100/33"])  # the listing, then the first conversation's page
    with fake_graph_server(page) as url:
        reports = ticks(url, tmp_path)
    state = reports[-1].state
    assert not state.stopped and state.current is None and state.restarts == 1
    everything = {m.id for c in page.conversations.values() for m in c.messages}
    missing = everything - set(landed_ids(tmp_path))
    assert len(missing) == 60 - 25  # one thread's messages past its nested first page


def test_a_conversation_that_jumps_in_two_passes_running_is_read_in_full(
    tmp_path: Path,
) -> None:
    page = GraphState(conversations=generate_page(60, FIRST_DAY, 30))
    jumper = min(page.conversations.values(), key=lambda c: c.updated)
    newest = max(c.updated for c in page.conversations.values())
    hooks: dict[int, Callable[[], object]] = {}
    page.on_call = lambda number: hooks.pop(number, lambda: None)()
    with fake_graph_server(page) as url:
        # Pass 1: the oldest conversation jumps to the front once page 1 has been read.
        hooks[page.calls + 2] = lambda: page.add_message(
            jumper.id, "still waiting", at=newest + timedelta(1)
        )
        state = ticks(url, tmp_path)[-1].state
        # 30 others get newer messages, so pass 2 reads two pages, and it jumps again.
        for minute, conv in enumerate([c for c in page.conversations if c != jumper.id][:30]):
            page.add_message(conv, "hi", at=newest + timedelta(days=2, minutes=minute))
        hooks[page.calls + 2] = lambda: page.add_message(
            jumper.id, "hello??", at=newest + timedelta(5)
        )
        state = ticks(url, tmp_path, state)[-1].state
        ticks(url, tmp_path, state)
    assert {m.id for m in jumper.messages} <= set(landed_ids(tmp_path))
