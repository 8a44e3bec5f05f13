"""What every scorer takes and gives back, and the content hash the score cache is keyed by."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

SCORED = "scored"
FAILED = "failed"

# A scorer's family: its scores of an earlier rules or prompt version stand until the user
# asks for a re-score, so an upgrade never silently re-scores (and re-bills) history. Every
# offline version is one family; an OpenAI model is its own (switching models is a choice).
OFFLINE_PREFIX = "offline:"


def scorer_family_sql(column: str) -> str:
    prefix = f"'{OFFLINE_PREFIX}'"
    return f"CASE WHEN starts_with({column}, {prefix}) THEN {prefix} ELSE {column} END"


def scorer_family(name: str) -> str:
    return OFFLINE_PREFIX if name.startswith(OFFLINE_PREFIX) else name


@dataclass(frozen=True)
class Transcript:
    """What a scorer may see of a conversation: the human turns, autoresponses left out."""

    content_hash: str
    turns: tuple[tuple[str, str], ...]  # (customer | agent, text)


def make_transcript(turns: Sequence[tuple[str, str | None]]) -> Transcript:
    cleaned = tuple((role, text if text else "[attachment]") for role, text in turns)
    digest = hashlib.sha256(json.dumps(cleaned, ensure_ascii=False).encode()).hexdigest()
    return Transcript(content_hash=digest, turns=cleaned)


@dataclass(frozen=True)
class ScoreRecord:
    content_hash: str
    status: str  # SCORED | FAILED
    sentiment: float | None = None
    satisfaction: int | None = None
    resolved: bool | None = None
    topics: tuple[str, ...] = ()
    language: str | None = None
    summary: str | None = None
    # The quality review (scoring/quality.py): None is not applicable, or not reviewed.
    qa_greeting: bool | None = None
    qa_comprehension: bool | None = None
    qa_empathy: bool | None = None
    qa_solution: bool | None = None
    qa_closing: bool | None = None
    qa_tone: bool | None = None
    coaching_note: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class ScoringStats:
    requests: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class Scorer(Protocol):
    name: str  # stored in conversations.scorer, e.g. "offline:1"
    version: str  # rules or prompt version; part of the cache key

    def score_all(
        self,
        transcripts: Sequence[Transcript],
        save: Callable[[list[ScoreRecord]], None],
        log: Callable[[str], None],
    ) -> ScoringStats:
        """Score every transcript, handing results to `save` as they arrive."""
        ...
