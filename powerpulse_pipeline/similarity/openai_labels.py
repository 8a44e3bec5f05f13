"""Recurring issues named by the LLM with a key: one strict-JSON call per group, from its
summaries and distinctive words only (never a transcript), cached by everything it was shown.
A reply that is not a short one-line label is retried, then the group keeps its words."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..scoring.llm_output import SchemaViolation
from ..scoring.openai_scorer import OpenAISettings, complete, redact, retrying, run_limited
from ..scoring.pii import mask_pii
from ..scoring.ratelimit import RateLimiter

if TYPE_CHECKING:
    import openai  # for annotations only: scoring/openai_scorer.py imports it where it calls it

PROMPT_VERSION = "issue_label_v1"
MAX_COMPLETION_TOKENS = 40
MAX_SUMMARIES = 15
MAX_LABEL_CHARS = 60
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "issue_label",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"label": {"type": "string"}},
            "required": ["label"],
        },
    },
}


@dataclass(frozen=True)
class IssueInput:
    keywords: tuple[str, ...]
    summaries: tuple[str, ...]


@dataclass
class Labelled:
    label: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class LabelStats:
    requests: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)


def checked_label(content: str | None) -> str:
    try:
        label = json.loads(content or "")["label"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SchemaViolation(f"not a label reply: {type(exc).__name__}") from exc
    if not isinstance(label, str):
        raise SchemaViolation("the label is not text")
    label = " ".join(label.split()).strip(" .\"'")
    if not 2 <= len(label) <= MAX_LABEL_CHARS or not label.isprintable():
        raise SchemaViolation(f"a label of {len(label)} characters")
    return label


class OpenAILabeller:
    def __init__(self, settings: OpenAISettings, api_key: str, base_url: str | None) -> None:
        self.settings = settings
        self.name = f"openai:{settings.model}"
        self._api_key = api_key
        self._base_url = base_url
        self._prompt = (
            resources.files("powerpulse_pipeline.scoring")
            .joinpath(f"prompts/{PROMPT_VERSION}.txt")
            .read_text(encoding="utf-8")
        )

    def request(self, issue: IssueInput) -> str:
        summaries = [
            mask_pii(s) if self.settings.mask_pii else s for s in issue.summaries[:MAX_SUMMARIES]
        ]
        return json.dumps(
            {"distinctive_words": list(issue.keywords), "summaries": summaries},
            ensure_ascii=False,
        )

    def input_hash(self, issue: IssueInput) -> str:
        shown = json.dumps([PROMPT_VERSION, self.settings.model, self.request(issue)])
        return hashlib.sha256(shown.encode()).hexdigest()

    def label_all(self, issues: Sequence[IssueInput]) -> tuple[list[Labelled], LabelStats]:
        stats = LabelStats()
        if not issues:
            return [], stats
        return asyncio.run(self._run(issues, stats)), stats

    async def _run(self, issues: Sequence[IssueInput], stats: LabelStats) -> list[Labelled]:
        async def one(client: openai.AsyncOpenAI, limiter: RateLimiter, issue: IssueInput):
            return await self._label_one(client, limiter, issue, stats)

        return await run_limited(self.settings, self._api_key, self._base_url, issues, one)

    async def _label_one(
        self,
        client: openai.AsyncOpenAI,
        limiter: RateLimiter,
        issue: IssueInput,
        stats: LabelStats,
    ) -> Labelled:
        messages = [
            {"role": "system", "content": self._prompt},
            {"role": "user", "content": self.request(issue)},
        ]
        estimate = sum(len(m["content"]) for m in messages) // 4 + MAX_COMPLETION_TOKENS
        usage = {"prompt": 0, "cached": 0, "completion": 0}
        attempts = 0
        label: str | None = None
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
                    label = checked_label(await complete(client, limiter, body, usage))
        except Exception as exc:  # the group keeps its distinctive words
            stats.failures += 1
            stats.errors.append(redact(f"{type(exc).__name__}: {exc}", self._api_key)[:300])
            label = None
        stats.retries += attempts - 1
        price = self.settings.price
        cost = price.cost(usage["prompt"], usage["cached"], usage["completion"]) if price else 0.0
        stats.prompt_tokens += usage["prompt"]
        stats.completion_tokens += usage["completion"]
        stats.cost_usd += cost
        return Labelled(label, usage["prompt"], usage["completion"], cost)
