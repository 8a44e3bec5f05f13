"""Whatever is typed, and whatever a session file holds, a question ends answered or
cannot_answer with a reason: never an exception, never SQL built from the text itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.ask.answer import Asker
from powerpulse_pipeline.settings import Settings

from .questions import AS_OF

WORDS = st.sampled_from(
    [
        "csat", "fcr", "by", "agent", "last", "week", "maria", "'", "''", ";", "drop", "table",
        "--", "/*", "read_csv('/etc/passwd')", "2025-13-45", "between", "and", "vs", "the",
        "previous", "period", "billing", "\x00", "\u202e", "💥", "select", "*", "from", "99999",
        "satisfaction", "below", "0", "in", "march", "2025", "unanswered", "show", "chats",
    ]
)  # fmt: skip
QUESTIONS = st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=14).map(" ".join))


@pytest.fixture(scope="module")
def asker(samples_warehouse: Settings) -> Asker:
    return Asker(samples_warehouse)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(question=QUESTIONS, new=st.booleans())
def test_any_question_ends_answered_or_declined(asker: Asker, question: str, new: bool) -> None:
    answer = asker.ask(question, as_of=AS_OF, new=new)
    assert answer.status in ("answered", "cannot_answer")
    if answer.status == "cannot_answer":
        assert answer.understood and len(answer.follow_ups) >= 2
    else:
        assert answer.sql and answer.answer
        # values reach SQL only as escaped literals of warehouse values and dates
        assert "read_csv" not in answer.sql and "\x00" not in answer.sql
    json.dumps(answer.to_json())


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[1, 2]", b'{"query": {"filters": {"agent": 5}}, "range": 3}',
     b'{"query": {"metrics": ["no_such_metric"], "start": "2025-99-01"}}', b"\xff\xfe",
     b'{"query": {"metrics": ["csat_pct"], "filters": {"agent": 5, "satisfaction": [0, 9],'
     b' "day_type": "holiday", "answered": "yes", "topic": []}, "limit": "x"}}'],
)  # fmt: skip
def test_a_damaged_session_file_is_a_new_session(
    samples_warehouse: Settings, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "session.json"
    path.write_bytes(content)
    # what is left of the session is refined, or the follow-up is declined; nothing breaks
    answer = Asker(samples_warehouse, path).ask("and by week?", as_of=AS_OF)
    assert answer.status in ("answered", "cannot_answer")
    answer = Asker(samples_warehouse, path).ask("show me those conversations", as_of=AS_OF)
    assert answer.status in ("answered", "cannot_answer")
    answer = Asker(samples_warehouse, path).ask("CSAT last week", as_of=AS_OF)
    assert answer.status == "answered"
    assert json.loads(path.read_text())["questions"][-1] == "CSAT last week"
