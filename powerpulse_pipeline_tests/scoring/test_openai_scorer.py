"""The OpenAI scorer against a real HTTP server on 127.0.0.1 (no patched client)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from powerpulse_pipeline.scoring.base import FAILED, SCORED, ScoreRecord, make_transcript
from powerpulse_pipeline.scoring.openai_scorer import OpenAIScorer, OpenAISettings
from powerpulse_pipeline.scoring.pricing import DEFAULT_PRICES
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS

from ..fake_openai import fake_openai_server

SECRET = "sk-test-SECRET-0123456789abcdef"


def scorer(base_url: str, **overrides) -> OpenAIScorer:
    options = dict(
        model="gpt-4o-mini",
        concurrency=8,
        topics=DEFAULT_TOPICS,
        timeout_seconds=1.0,
        max_attempts=4,
        price=DEFAULT_PRICES["gpt-4o-mini"],
    )
    options.update(overrides)
    return OpenAIScorer(OpenAISettings(**options), api_key=SECRET, base_url=base_url)


def transcripts(*texts: str):
    return [make_transcript([("customer", text), ("agent", "Let me check.")]) for text in texts]


class Sink:
    def __init__(self) -> None:
        self.records: list[ScoreRecord] = []
        self.calls = 0
        self.lines: list[str] = []

    def save(self, batch: list[ScoreRecord]) -> None:
        self.calls += 1
        self.records.extend(batch)

    def log(self, line: str) -> None:
        self.lines.append(line)


def test_normal_replies_are_parsed_priced_and_saved_once() -> None:
    items = transcripts(*(f"my bill is wrong #{i}, thanks" for i in range(20)))
    sink = Sink()
    with fake_openai_server(latency=0.05) as (url, state):
        stats = scorer(url).score_all(items, sink.save, sink.log)
    assert state.requests == 20 and stats.requests == 20 and stats.retries == 0
    assert sorted(r.content_hash for r in sink.records) == sorted(t.content_hash for t in items)
    first = sink.records[0]
    assert (first.status, first.satisfaction, first.resolved, first.topics) == (
        SCORED,
        5,
        True,
        ("billing",),
    )
    assert stats.completion_tokens == 20 * 60
    expected = DEFAULT_PRICES["gpt-4o-mini"].cost(stats.prompt_tokens, 0, stats.completion_tokens)
    assert stats.cost_usd == pytest.approx(expected) and stats.cost_usd > 0
    assert state.auth_headers == {f"Bearer {SECRET}"}
    request = json.loads(state.bodies[0])
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["strict"] is True
    assert request["model"] == "gpt-4o-mini"


def test_a_slow_writer_loses_nothing_and_sees_each_result_once() -> None:
    items = transcripts(*(f"volume {i}" for i in range(120)))
    sink = Sink()

    def slow_save(batch: list[ScoreRecord]) -> None:
        time.sleep(0.3)  # e.g. DuckDB busy with another writer
        sink.save(batch)

    with fake_openai_server(latency=0.05) as (url, _):
        scorer(url, concurrency=64).score_all(items, slow_save, sink.log)
    saved = [r.content_hash for r in sink.records]
    assert sorted(saved) == sorted(t.content_hash for t in items)


def test_every_fault_is_retried_or_recorded_and_nothing_is_lost_or_duplicated() -> None:
    faults = [
        "429",
        "500",
        "timeout",
        "drop",
        "nonjson",
        "badschema",
        "429,500,nonjson",
        "500*",
        "badschema*",
        "drop*",
    ]
    items = transcripts(*(f"case {f} [fault:{f}]" for f in faults), "plain one", "plain two")
    sink = Sink()
    with fake_openai_server(latency=0.01, timeout_sleep=2.5) as (url, state):
        stats = scorer(url, max_attempts=4).score_all(items, sink.save, sink.log)
    by_hash = {r.content_hash: r for r in sink.records}
    assert len(sink.records) == len(items) == len(by_hash)  # none lost, none duplicated
    status = {t.turns[0][1].split(" [")[0]: by_hash[t.content_hash].status for t in items}
    assert [s for name, s in status.items() if s == FAILED] == [FAILED] * 3
    assert status["case 500*"] == status["case badschema*"] == status["case drop*"] == FAILED
    assert all(s == SCORED for name, s in status.items() if not name.endswith("*"))
    # What reached the server, per conversation: one retry per scripted fault, and the
    # always-failing ones stop at max_attempts = 4. (httpcore may itself re-send a request
    # once on a pooled connection the server closed, so the client's own count can be lower.)
    seen = {
        text.split("\n")[0].split(" [")[0].removeprefix("Customer: "): n
        for text, n in state.attempts.items()
    }
    assert seen == {
        **{f"case {f}": 2 for f in faults[:7]},
        "case 429,500,nonjson": 4,
        "case 500*": 4,
        "case badschema*": 4,
        "case drop*": 4,
        "plain one": 1,
        "plain two": 1,
    }
    assert stats.failures == 3
    assert stats.requests <= state.requests == sum(seen.values())
    failed = by_hash[transcripts("case 500* [fault:500*]")[0].content_hash]
    assert "HTTP 500" in failed.error


def test_the_key_never_appears_in_errors_logs_or_records() -> None:
    sink = Sink()
    items = transcripts("bad key [fault:401]", *(f"slow {i}" for i in range(30)))
    with fake_openai_server(latency=0.4) as (url, _):
        scorer(url, concurrency=2, progress_seconds=1.0).score_all(items, sink.save, sink.log)
    failed = [r for r in sink.records if r.status == FAILED]
    assert len(failed) == 1 and "HTTP 401" in failed[0].error
    assert len(sink.lines) >= 5, "progress is logged while scoring, not only at the end"
    assert sink.lines[-1].startswith("scored 31/31")
    everything = repr(sink.records) + "\n".join(sink.lines)
    assert SECRET not in everything and "0123456789abcdef" not in everything


def test_personal_data_is_masked_unless_switched_off() -> None:
    text = (
        "I'm jane.doe@example.com, call +44 7700 900123, card 4111 1111 1111 1111, "
        "account 88812345, on 2024-05-01"
    )
    with fake_openai_server() as (url, state):
        scorer(url).score_all(transcripts(text), Sink().save, print)
        scorer(url, mask_pii=False).score_all(transcripts(text), Sink().save, print)
    masked = json.loads(state.bodies[0])["messages"][-1]["content"]
    plain = json.loads(state.bodies[1])["messages"][-1]["content"]
    for secret in ("jane.doe@example.com", "7700 900123", "4111 1111 1111 1111", "88812345"):
        assert secret not in masked and secret in plain
    assert "[email]" in masked and "[phone]" in masked and "[card]" in masked
    assert "2024-05-01" in masked


def test_a_configured_limit_below_the_servers_is_kept() -> None:
    items = transcripts(*(f"paced {i}" for i in range(36)))
    sink = Sink()
    started = time.monotonic()
    # The server allows 12/s and says so in its headers; the operator allows this app 9/s.
    with fake_openai_server(rpm=720) as (url, state):
        stats = scorer(url, concurrency=32, rpm=540).score_all(items, sink.save, sink.log)
    elapsed = time.monotonic() - started
    assert state.statuses[429] == 0 and stats.retries == 0
    assert all(r.status == SCORED for r in sink.records)
    assert elapsed >= 3.5  # 36 requests at 95% of 9/s cannot finish sooner


def test_rate_limit_headers_and_429s_are_followed_without_a_configured_limit() -> None:
    items = transcripts(*(f"learned {i}" for i in range(40)))
    sink = Sink()
    with fake_openai_server(rpm=600) as (url, state):  # 10 per second, told in headers
        stats = scorer(url, concurrency=32, max_attempts=8).score_all(items, sink.save, sink.log)
    assert all(r.status == SCORED for r in sink.records) and len(sink.records) == 40
    # The first burst meets 429s; once the headers are known the limiter paces the rest.
    assert state.statuses[429] == stats.retries
    assert state.statuses[429] < 40


def test_cancelled_scoring_keeps_every_answer_already_received() -> None:
    items = transcripts(*(f"long job {i}" for i in range(60)))
    sink = Sink()
    timer = threading.Timer(1.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    with fake_openai_server(latency=0.3) as (url, state):
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            scorer(url, concurrency=4).score_all(items, sink.save, sink.log)
        answered = state.statuses[200]
    saved = [r.content_hash for r in sink.records]
    assert len(saved) == len(set(saved))
    assert 0 < len(saved) < len(items)
    assert len(saved) >= answered - 4  # at most the requests in flight were lost to the cancel


def test_a_very_long_chat_is_cut_in_the_middle_keeping_start_and_end() -> None:
    from powerpulse_pipeline.scoring.openai_scorer import MAX_TRANSCRIPT_CHARS

    turns = (
        [("customer", "FIRST problem")]
        + [("agent", "x" * 200)] * 200
        + [("customer", "LAST words, thanks")]
    )
    rendered = scorer("http://127.0.0.1:9/v1").render(make_transcript(turns))
    assert len(rendered) <= MAX_TRANSCRIPT_CHARS + 100
    assert "FIRST problem" in rendered and "LAST words, thanks" in rendered
    assert "[... middle of the chat left out ...]" in rendered


def test_a_failing_save_is_not_swallowed() -> None:
    def broken_save(batch: list[ScoreRecord]) -> None:
        raise RuntimeError("warehouse is read-only")

    with fake_openai_server() as (url, _), pytest.raises(RuntimeError, match="read-only"):
        scorer(url).score_all(transcripts("one", "two"), broken_save, print)


def test_openai_mode_without_a_key_says_what_to_set(monkeypatch) -> None:
    from powerpulse_pipeline.scoring.resource import ScorerError, ScorerResource

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert ScorerResource(mode="auto").build().name.startswith("offline:")
    with pytest.raises(ScorerError, match="OPENAI_API_KEY"):
        ScorerResource(mode="openai").build()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    built = ScorerResource(mode="auto", model="gpt-4o").build()
    assert built.name == "openai:gpt-4o"
    assert SECRET not in repr(ScorerResource(mode="auto"))
