"""USD per million tokens, to report what scoring a day cost."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float
    cached_input: float
    output: float

    def cost(self, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> float:
        uncached = max(0, prompt_tokens - cached_tokens)
        return (
            uncached * self.input
            + cached_tokens * self.cached_input
            + completion_tokens * self.output
        ) / 1_000_000


# Standard (non-batch) prices as published by OpenAI.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
}


def parse_prices(raw: str) -> dict[str, Price]:
    """`POWERPULSE_LLM_PRICES`: {"model": [input, cached_input, output]} in USD per 1M tokens."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
        return {str(name): Price(*(float(v) for v in values)) for name, values in data.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(
            'POWERPULSE_LLM_PRICES must look like {"my-model": [0.15, 0.075, 0.6]}'
        ) from exc


def price_for(model: str, extra: dict[str, Price] | None = None) -> Price | None:
    """Exact name first, then the longest known prefix (dated snapshots: gpt-4o-2024-08-06)."""
    prices = {**DEFAULT_PRICES, **(extra or {})}
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name + "-")]
    return prices[max(matches, key=len)] if matches else None
