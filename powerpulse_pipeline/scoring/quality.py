"""The quality review's rubric (DESIGN.md section 10), once: the LLM prompt, the offline
rules, the tables, the coaching and the pages all read their categories from here.

A category is True (the agent did it), False (the agent did not) or None (not applicable, or
not reviewed). Greeting, comprehension, closing and tone apply to every conversation with a
human reply; empathy when the customer reports a problem or a feeling; solution when the
customer asks for something. A conversation without a human reply is never reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str  # conversations.qa_<name>
    label: str  # how a support lead reads it
    meaning: str  # the rubric: what passing means, as the model and the docs read it
    always: bool  # applies to every reviewed conversation
    strength: str  # a coaching point when the agent passes it most of the time
    improvement: str  # a coaching point when the agent fails it too often


CATEGORIES: tuple[Category, ...] = (
    Category(
        "greeting",
        "Greeting",
        "the agent's first reply opens with a greeting or a welcome to the customer",
        True,
        "Opens with a friendly greeting",
        "Open with a greeting before getting to the issue",
    ),
    Category(
        "comprehension",
        "Comprehension",
        "the agent understood the issue: the reply addresses what the customer asked, or asks "
        "for the details needed before answering",
        True,
        "Understands the issue and asks for what is needed",
        "Make sure the issue is understood: ask for the missing details before answering",
    ),
    Category(
        "empathy",
        "Empathy",
        "when the customer reports a problem or a feeling, the agent acknowledges it (an "
        "apology, understanding, reassurance); not applicable when there is neither",
        False,
        "Acknowledges the customer's problem with empathy",
        "Acknowledge the customer's problem or feeling (apologise, show understanding)",
    ),
    Category(
        "solution",
        "Solution",
        "when the customer asks for something, the agent offers a solution, steps or an "
        "action taken (not only a referral elsewhere); not applicable when nothing is asked",
        False,
        "Offers a concrete solution or action",
        "Offer a concrete solution, steps or an action instead of only deferring",
    ),
    Category(
        "closing",
        "Closing",
        "the agent closes well: offers more help, thanks the customer or says goodbye",
        True,
        "Closes by offering more help or thanking the customer",
        "Close by offering more help and thanking the customer",
    ),
    Category(
        "tone",
        "Tone",
        "the agent's tone stays polite, positive and professional throughout",
        True,
        "Keeps a polite, positive tone",
        "Keep a polite, positive tone in every reply",
    ),
)

NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}
COLUMNS: tuple[str, ...] = tuple(f"qa_{name}" for name in NAMES)
# A review score at or above this passes (Zendesk QA's default).
PASS_SCORE = 80.0

Review = Mapping[str, bool | None]  # category name -> verdict


def not_reviewed() -> dict[str, bool | None]:
    return dict.fromkeys(NAMES)


def qa_score(review: Review) -> float | None:
    """100 x passed / applicable; None when no category applies. The SQL in the
    semantic layer says the same (its test compares the two)."""
    applicable = [v for v in review.values() if v is not None]
    if not applicable:
        return None
    return 100.0 * sum(applicable) / len(applicable)


def quality_score_sql(prefix: str = "") -> str:
    """qa_score in SQL over the review columns (a prefix such as "s." names their table)."""
    passed = " + ".join(f"coalesce({prefix}{c}::INTEGER, 0)" for c in COLUMNS)
    applicable = " + ".join(f"({prefix}{c} IS NOT NULL)::INTEGER" for c in COLUMNS)
    return f"100.0 * ({passed}) / nullif({applicable}, 0)"


def rubric_lines() -> str:
    """The rubric as the prompt states it."""
    return "\n".join(f"  - {c.name}: {c.meaning}" for c in CATEGORIES)
