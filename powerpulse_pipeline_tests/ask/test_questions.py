"""Accuracy of the offline parser on the question set: each answer's rows against the rows
the plain SQL of questions.py gives on the same warehouse. Target: at least 90% exact, and
not one wrong answer presented as `answered` (a miss must be `cannot_answer`)."""

from __future__ import annotations

import math
from typing import Any

import duckdb

from powerpulse_pipeline.ask.answer import Answer, Asker
from powerpulse_pipeline.ask.readonly import LOCKED_CONFIG
from powerpulse_pipeline.settings import Settings

from .questions import AS_OF, CASES, HELD_OUT, Case


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return str(a) == str(b)


def _matches(case: Case, answer: Answer, expected: list[tuple[Any, ...]]) -> bool:
    if case.listing:
        return [row[0] for row in answer.rows] == [row[0] for row in expected]
    if len(answer.rows) != len(expected):
        return False
    return all(
        len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
        for got, want in zip(answer.rows, expected, strict=True)
    )


def grade(settings: Settings, cases: tuple[Case, ...] = CASES) -> dict[str, Any]:
    """Every case through one Asker (follow-ups refine the case before them)."""
    asker = Asker(settings)
    # the same instance settings as the asker's (DuckDB allows one per file and process)
    truth = duckdb.connect(str(settings.duckdb_path), read_only=True, config=LOCKED_CONFIG)
    exact, wrong, missed = [], [], []
    for case in cases:
        answer = asker.ask(case.question, as_of=AS_OF, new=case.new)
        if case.expected is None:
            (exact if answer.status == "cannot_answer" else wrong).append((case, answer))
            continue
        expected = truth.execute(case.expected).fetchall()
        if answer.status != "answered":
            missed.append((case, answer))
        elif _matches(case, answer, expected):
            exact.append((case, answer))
        else:
            wrong.append((case, answer))
    truth.close()
    asker.connection().close()
    return {"exact": exact, "wrong": wrong, "missed": missed}


def test_question_set_is_large_and_varied() -> None:
    assert len(CASES) >= 80
    assert sum(not c.new for c in CASES) >= 8
    assert sum(c.expected is None for c in CASES) >= 10


def test_offline_accuracy(samples_warehouse: Settings) -> None:
    graded = grade(samples_warehouse)
    total = len(CASES)
    rate = len(graded["exact"]) / total
    report = "\n".join(
        f"  {kind}: {case.question!r} -> {answer.status}: {answer.understood} | {answer.rows[:3]}"
        for kind in ("wrong", "missed")
        for case, answer in graded[kind]
    )
    print(
        f"\noffline exact answers: {len(graded['exact'])}/{total} = {rate:.1%}; "
        f"wrong answered: {len(graded['wrong'])}; cannot_answer misses: "
        f"{len(graded['missed'])}\n{report}"
    )
    assert not graded["wrong"], f"answers presented as answered but wrong:\n{report}"
    assert rate >= 0.9, report


def test_held_out_questions_are_answered_or_declined_never_wrong(
    samples_warehouse: Settings,
) -> None:
    graded = grade(samples_warehouse, HELD_OUT)
    print(
        f"\nheld-out exact answers: {len(graded['exact'])}/{len(HELD_OUT)}; wrong answered: "
        f"{len(graded['wrong'])}; declined: {[c.question for c, _ in graded['missed']]}"
    )
    assert not graded["wrong"], [(c.question, a.understood) for c, a in graded["wrong"]]
