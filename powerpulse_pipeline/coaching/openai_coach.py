"""The LLM coach: one strict-JSON call per agent and period, over that period's reviews
(category counts, summaries and coaching notes; never a transcript, never the agent's name).

The same client, retries, rate limiter and pricing as the scorer. Whatever the model cites is
checked (coaching/points.py): a citation that does not show its point is dropped, and a reply
left with no backed point is retried, then that period falls back to the offline coach.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..scoring import quality
from ..scoring.llm_output import SchemaViolation
from ..scoring.openai_scorer import OpenAISettings, complete, redact, retrying, run_limited
from ..scoring.pii import mask_pii
from ..scoring.ratelimit import RateLimiter
from .points import AgentPeriod, Point, checked

if TYPE_CHECKING:
    import openai  # for annotations only: scoring/openai_scorer.py imports it where it calls it

PROMPT_VERSION = "coaching_v1"
MAX_COMPLETION_TOKENS = 600

_POINT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "category": {"type": "string", "enum": list(quality.NAMES)},
        "point": {"type": "string"},
        "examples": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["category", "point", "examples"],
}
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "agent_coaching",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "strengths": {"type": "array", "items": _POINT},
                "improvements": {"type": "array", "items": _POINT},
            },
            "required": ["strengths", "improvements"],
        },
    },
}


@dataclass
class CoachingStats:
    requests: int = 0
    retries: int = 0
    failures: int = 0  # periods that fell back to the offline coach
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Coached:
    points: list[Point] | None  # None: failed, use the offline coach
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


def _refs(agent: AgentPeriod) -> dict[str, str]:
    return {f"c{i + 1}": review.conversation_id for i, review in enumerate(agent.reviews)}


class OpenAICoach:
    def __init__(self, settings: OpenAISettings, api_key: str, base_url: str | None) -> None:
        self.settings = settings
        self.name = f"openai:{settings.model}"
        self._api_key = api_key
        self._base_url = base_url
        self._prompt = (
            resources.files("powerpulse_pipeline.scoring")
            .joinpath(f"prompts/{PROMPT_VERSION}.txt")
            .read_text(encoding="utf-8")
            .replace("{rubric}", quality.rubric_lines())
        )

    def _text(self, text: str | None) -> str:
        if not text:
            return ""
        return mask_pii(text) if self.settings.mask_pii else text

    def request(self, agent: AgentPeriod) -> str:
        """The user message: the period's figures and its sample of reviews, as JSON."""
        refs = {cid: ref for ref, cid in _refs(agent).items()}
        return json.dumps(
            {
                "period": f"{agent.period} {agent.period_start}..{agent.period_end}",
                "conversations": agent.conversations,
                "reviewed_conversations": agent.reviewed,
                "quality_score": None if agent.qa_score is None else round(agent.qa_score, 1),
                "categories": {
                    s.category: {"passed": s.passed, "failed": s.failed}
                    for s in agent.categories
                    if s.applicable
                },
                "reviews": [
                    {
                        "ref": refs[r.conversation_id],
                        "passed": list(r.passed),
                        "failed": list(r.failed),
                        "summary": self._text(r.summary),
                        "coaching_note": self._text(r.coaching_note),
                    }
                    for r in agent.reviews
                ],
            },
            ensure_ascii=False,
        )

    def input_hash(self, agent: AgentPeriod) -> str:
        """Everything the answer depends on: an unchanged period is never asked again."""
        key = json.dumps([self.settings.model, self._prompt, RESPONSE_FORMAT, self.request(agent)])
        return hashlib.sha256(key.encode()).hexdigest()

    def parse(self, agent: AgentPeriod, content: str | None) -> list[Point]:
        if not content:
            raise SchemaViolation("empty reply")
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise SchemaViolation(f"reply is not JSON ({exc.msg} at char {exc.pos})") from exc
        refs = _refs(agent)
        points: list[Point] = []
        for key, kind in (("strengths", "strength"), ("improvements", "improvement")):
            items = data.get(key) if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise SchemaViolation(f"{key} is not an array")
            for item in items:
                if not isinstance(item, dict) or item.get("category") not in quality.NAMES:
                    raise SchemaViolation(f"a point in {key} has no known category")
                text, examples = item.get("point"), item.get("examples")
                if not isinstance(text, str) or not isinstance(examples, list):
                    raise SchemaViolation(f"a point in {key} breaks the schema")
                cited = tuple(refs[e] for e in examples if isinstance(e, str) and e in refs)
                points.append(Point(kind, item["category"], " ".join(text.split())[:300], cited))
        kept = checked(agent, points)
        if not kept:
            raise SchemaViolation("no point is backed by the reviews given")
        return kept

    def coach_all(
        self, agents: Sequence[AgentPeriod], log: Callable[[str], None]
    ) -> tuple[list[Coached], CoachingStats]:
        stats = CoachingStats()
        if not agents:
            return [], stats
        results = asyncio.run(self._run(agents, stats))
        log(
            f"coached {len(agents)} agent periods: {stats.requests} requests, "
            f"{stats.retries} retries, {stats.failures} fell back to the offline coach, "
            f"${stats.cost_usd:.4f}"
        )
        return results, stats

    async def _run(self, agents: Sequence[AgentPeriod], stats: CoachingStats) -> list[Coached]:
        async def one(client: openai.AsyncOpenAI, limiter: RateLimiter, agent: AgentPeriod):
            return await self._coach_one(client, limiter, agent, stats)

        return await run_limited(self.settings, self._api_key, self._base_url, agents, one)

    async def _coach_one(
        self,
        client: openai.AsyncOpenAI,
        limiter: RateLimiter,
        agent: AgentPeriod,
        stats: CoachingStats,
    ) -> Coached:
        messages = [
            {"role": "system", "content": self._prompt},
            {"role": "user", "content": self.request(agent)},
        ]
        estimate = sum(len(m["content"]) for m in messages) // 4 + MAX_COMPLETION_TOKENS
        usage = {"prompt": 0, "cached": 0, "completion": 0}
        attempts = 0
        points: list[Point] | None = None
        try:
            async for attempt in retrying(self.settings):
                with attempt:
                    attempts += 1
                    await limiter.acquire(estimate)
                    stats.requests += 1
                    body = {
                        "model": self.settings.model,
                        "messages": messages,
                        "response_format": RESPONSE_FORMAT,
                        "temperature": 0,
                        "max_tokens": MAX_COMPLETION_TOKENS,
                    }
                    points = self.parse(agent, await complete(client, limiter, body, usage))
        except Exception as exc:  # the period falls back to the offline coach, never lost
            stats.failures += 1
            stats.errors.append(redact(f"{type(exc).__name__}: {exc}", self._api_key)[:300])
            points = None
        stats.retries += attempts - 1
        cost = (
            self.settings.price.cost(usage["prompt"], usage["cached"], usage["completion"])
            if self.settings.price
            else 0.0
        )
        stats.prompt_tokens += usage["prompt"]
        stats.completion_tokens += usage["completion"]
        stats.cost_usd += cost
        return Coached(points, usage["prompt"], usage["completion"], cost)
