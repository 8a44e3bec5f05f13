"""The grouping of recurring issues by hand: which conversations group, the size of the same
issue in the period before, the order, the distinctive words."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.similarity.issues import find_groups, group_count


def _unit(*rows: list[float]) -> np.ndarray:
    matrix = np.array(rows, np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_two_issues_a_loner_and_the_period_before_by_hand() -> None:
    # k = round(sqrt(9)) = 3: three near (1,0,0), five near (0,1,0), one alone at (0,0,1)
    vectors = _unit(
        [1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1],
        [0.1, 1, 0], [-0.1, 1, 0], [0, 1, 0.1], [0, 1, -0.1], [0, 1, 0],
        [0, 0, 1],
    )  # fmt: skip
    texts = ["card payment declined"] * 3 + ["router blinking orange"] * 5 + ["hello"]
    ids = [f"c{i}" for i in range(9)]
    # the week before: one router complaint, two near (1,0,0) but one of them farther from
    # the card group's centre than any of its members, and one unrelated
    before = _unit([0, 1, 0.05], [1, 0.05, 0], [1, 0.6, 0], [0, 0, 1])
    groups = find_groups(vectors, texts, ids, before)
    assert group_count(9) == 3
    assert ids[groups[0].members[0]] == "c7"  # nearest the centre first
    assert [sorted(ids[i] for i in g.members) for g in groups] == [
        ["c3", "c4", "c5", "c6", "c7"],
        ["c0", "c1", "c2"],
    ]  # the loner c8 is in no group; the largest group first
    assert [g.previous for g in groups] == [1, 1]
    assert groups[0].keywords == ["blinking", "orange", "router"]
    assert groups[1].label == "card, declined, payment"
    assert all(-1 <= s <= 1.0001 for g in groups for s in g.similarities)


def test_too_few_to_group() -> None:
    assert find_groups(_unit([1, 0]), ["x"], ["a"]) == []
    assert find_groups(np.zeros((0, 4), np.float32), [], []) == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-1, 1, allow_nan=False, width=32), min_size=4, max_size=4),
        min_size=0,
        max_size=40,
    ),
    st.lists(st.text(max_size=30), min_size=40, max_size=40),
)
def test_every_conversation_is_in_one_group_at_most(rows, words) -> None:
    """Whatever the vectors and texts (duplicates, zeros, no words at all): groups of two or
    more, disjoint, sizes largest first, previous counts never above the period before."""
    vectors = np.array(rows, np.float32).reshape(-1, 4)
    vectors[np.linalg.norm(vectors, axis=1) == 0] = [1, 0, 0, 0]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"c{i:02d}" for i in range(len(vectors))]
    groups = find_groups(vectors, words[: len(vectors)], ids, vectors[:5])
    seen = [i for g in groups for i in g.members]
    assert len(seen) == len(set(seen))
    assert all(g.size >= 2 for g in groups)
    assert [g.size for g in groups] == sorted((g.size for g in groups), reverse=True)
    assert sum(g.previous for g in groups) <= min(5, len(vectors))
