"""The quality review in the one scorer call (DESIGN.md section 10): the strict schema, the
check of what comes back, qa_score in Python and in SQL, and the LLM path against a real
local OpenAI-compatible server."""

from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.scoring.base import FAILED, SCORED, make_transcript
from powerpulse_pipeline.scoring.llm_output import SchemaViolation, parse_reply, response_format
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS

from ..fake_openai import fake_openai_server
from .test_openai_scorer import Sink, scorer

BASE = {
    "sentiment": 0.5,
    "satisfaction": 4,
    "resolved": True,
    "topics": ["billing"],
    "language": "en",
    "summary": "Bill corrected.",
    "qa_greeting": "pass",
    "qa_comprehension": "pass",
    "qa_empathy": "not_applicable",
    "qa_solution": "pass",
    "qa_closing": "fail",
    "qa_tone": "pass",
    "coaching_note": "  Offer more help\n before closing. ",
}


def _parse(reply: dict[str, object], reviewed: bool = True) -> dict[str, object]:
    return parse_reply(json.dumps(reply), DEFAULT_TOPICS, reviewed)


def test_the_schema_asks_for_every_category_and_the_note() -> None:
    schema = response_format(DEFAULT_TOPICS)["json_schema"]
    assert schema["strict"] is True
    properties = schema["schema"]["properties"]
    assert set(schema["schema"]["required"]) == set(properties)
    for category in quality.CATEGORIES:
        verdicts = properties[f"qa_{category.name}"]["enum"]
        # greeting, comprehension, closing and tone always apply to a conversation answered
        assert ("not_applicable" in verdicts) is (not category.always)
    assert properties["coaching_note"]["type"] == "string"


def test_verdicts_become_booleans_and_nulls() -> None:
    parsed = _parse(BASE)
    assert [parsed[c] for c in quality.COLUMNS] == [True, True, None, True, False, True]
    assert parsed["coaching_note"] == "Offer more help before closing."
    assert _parse({**BASE, "coaching_note": "  "})["coaching_note"] is None


def test_an_unanswered_conversation_is_never_reviewed() -> None:
    parsed = _parse(BASE, reviewed=False)
    assert [parsed[c] for c in quality.COLUMNS] == [None] * 6
    assert parsed["coaching_note"] is None
    assert parsed["satisfaction"] == 4  # the score itself stands


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("qa_greeting", "not_applicable", "qa_greeting 'not_applicable' is not one of"),
        ("qa_empathy", "maybe", "qa_empathy 'maybe'"),
        ("qa_tone", True, "qa_tone True"),
        ("coaching_note", None, "coaching_note is not a string"),
    ],
)
def test_a_broken_review_breaks_the_schema(field: str, value: object, message: str) -> None:
    with pytest.raises(SchemaViolation, match=message):
        _parse({**BASE, field: value})
    with pytest.raises(SchemaViolation):
        _parse({k: v for k, v in BASE.items() if k != field})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([True, False, None]), min_size=6, max_size=6))
def test_qa_score_is_one_formula_in_python_and_sql(verdicts: list[bool | None]) -> None:
    review = dict(zip(quality.NAMES, verdicts, strict=True))
    with duckdb.connect() as conn:
        (in_sql,) = conn.execute(
            f"SELECT {quality.quality_score_sql()} FROM (SELECT "
            + ", ".join(f"?::BOOLEAN AS {c}" for c in quality.COLUMNS)
            + ")",
            verdicts,
        ).fetchone()
    expected = quality.qa_score(review)
    applicable = [v for v in verdicts if v is not None]
    assert expected == (100 * sum(applicable) / len(applicable) if applicable else None)
    assert in_sql == pytest.approx(expected) if expected is not None else in_sql is None


def test_the_llm_reviews_and_a_broken_review_is_retried_then_failed() -> None:
    answered = make_transcript(
        [("customer", "My bill is wrong, please fix it"),
         ("agent", "Hi! Sorry about that, done: I corrected it. Anything else?")]
    )  # fmt: skip
    rude = make_transcript([("customer", "Bill?"), ("agent", "whatever, try again")])
    unanswered = make_transcript([("customer", "Hello? My bill is wrong")])
    once = make_transcript([("customer", "bill [fault:badquality]"), ("agent", "Hi")])
    always = make_transcript([("customer", "bill [fault:badquality*]"), ("agent", "Hi")])
    sink = Sink()
    with fake_openai_server() as (url, state):
        stats = scorer(url, max_attempts=3).score_all(
            [answered, rude, unanswered, once, always], sink.save, sink.log
        )
    by_hash = {r.content_hash: r for r in sink.records}
    review = by_hash[answered.content_hash]
    assert review.status == SCORED
    assert (review.qa_greeting, review.qa_empathy, review.qa_solution, review.qa_closing) == (
        True,
        True,
        True,
        True,
    )
    assert review.coaching_note is None
    bad = by_hash[rude.content_hash]
    assert (bad.qa_greeting, bad.qa_closing, bad.qa_tone) == (False, False, False)
    assert bad.coaching_note == "Offer more help before closing."
    silent = by_hash[unanswered.content_hash]
    assert silent.status == SCORED and silent.qa_greeting is None and silent.coaching_note is None
    assert by_hash[once.content_hash].status == SCORED  # retried once
    failed = by_hash[always.content_hash]
    assert failed.status == FAILED and "qa_greeting 'maybe'" in (failed.error or "")
    assert stats.failures == 1 and stats.retries == 1 + 2
    assert state.faults_served["badquality"] == 4
    # Still one request per conversation: the review rides in the scoring call.
    prompt = json.loads(state.bodies[0])["messages"][0]["content"]
    assert all(c.meaning in prompt for c in quality.CATEGORIES)
