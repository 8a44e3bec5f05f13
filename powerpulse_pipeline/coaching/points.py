"""What a coach sees of an agent's period, the points it gives back, the check that every
point is backed by evidence, and the offline coach (rules over the review categories).

A strength cites only conversations that passed its category; an improvement cites only
conversations that failed it. `checked()` enforces that for any coach, the LLM included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..scoring import quality

OFFLINE_VERSION = "1"
OFFLINE_COACH = f"offline:{OFFLINE_VERSION}"
MAX_POINTS = 3  # of each kind
MAX_EXAMPLES = 3  # conversations cited per point

Kind = Literal["strength", "improvement"]


@dataclass(frozen=True)
class CategoryStats:
    category: str
    passed: int
    failed: int
    pass_examples: tuple[str, ...]  # newest first, at most MAX_EXAMPLES
    fail_examples: tuple[str, ...]

    @property
    def applicable(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.applicable if self.applicable else 0.0


@dataclass(frozen=True)
class Review:
    """One reviewed conversation as an LLM coach is shown it: no transcript."""

    conversation_id: str
    passed: tuple[str, ...]
    failed: tuple[str, ...]
    summary: str | None
    coaching_note: str | None


@dataclass(frozen=True)
class AgentPeriod:
    period: str  # week | month
    period_start: date
    period_end: date
    agent_name: str
    conversations: int
    reviewed: int
    qa_score: float | None
    categories: tuple[CategoryStats, ...]
    reviews: tuple[Review, ...] = ()  # a sample, failures first; what an LLM coach reads


@dataclass(frozen=True)
class Point:
    kind: Kind
    category: str
    text: str
    examples: tuple[str, ...]


def _percent(stats: CategoryStats) -> str:
    return f"{stats.passed} of {stats.applicable} conversations"


def offline_points(agent: AgentPeriod) -> list[Point]:
    """Strengths: categories passed in at least PASS_SCORE % of the conversations they apply
    to, best first; improvements: the others, worst first. Every category that applied is
    one or the other, so a reviewed period always has a point."""
    applied = [s for s in agent.categories if s.applicable]
    order = {name: i for i, name in enumerate(quality.NAMES)}
    good = [s for s in applied if 100 * s.pass_rate >= quality.PASS_SCORE]
    bad = [s for s in applied if 100 * s.pass_rate < quality.PASS_SCORE]
    good.sort(key=lambda s: (-s.pass_rate, -s.passed, order[s.category]))
    bad.sort(key=lambda s: (s.pass_rate, -s.failed, order[s.category]))
    return [
        Point(
            "strength",
            s.category,
            f"{quality.BY_NAME[s.category].strength} ({_percent(s)}).",
            s.pass_examples[:MAX_EXAMPLES],
        )
        for s in good[:MAX_POINTS]
    ] + [
        Point(
            "improvement",
            s.category,
            f"{quality.BY_NAME[s.category].improvement} (missed in {s.failed} of "
            f"{s.applicable} conversations).",
            s.fail_examples[:MAX_EXAMPLES],
        )
        for s in bad[:MAX_POINTS]
    ]


def checked(agent: AgentPeriod, points: list[Point]) -> list[Point]:
    """Keep each point's citations that show it (a strength's passed its category, an
    improvement's failed it); a point left without one borrows the period's own evidence
    for its category, and is dropped when there is none. At most MAX_POINTS of each kind."""
    verdicts = {
        r.conversation_id: {**dict.fromkeys(r.passed, True), **dict.fromkeys(r.failed, False)}
        for r in agent.reviews
    }
    stats = {s.category: s for s in agent.categories}
    kept: list[Point] = []
    for point in points:
        wanted = point.kind == "strength"
        if point.category not in stats or not point.text.strip():
            continue
        examples = tuple(
            dict.fromkeys(
                c for c in point.examples if verdicts.get(c, {}).get(point.category) is wanted
            )
        )[:MAX_EXAMPLES]
        if not examples:
            own = stats[point.category]
            examples = own.pass_examples if wanted else own.fail_examples
        if examples and sum(p.kind == point.kind for p in kept) < MAX_POINTS:
            kept.append(Point(point.kind, point.category, point.text.strip(), examples))
    return kept
