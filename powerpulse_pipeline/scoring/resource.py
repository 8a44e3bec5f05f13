"""The scorer as a swappable Dagster resource; which scorer runs is decided here and logged."""

from __future__ import annotations

from dagster import ConfigurableResource

from .base import Scorer
from .offline import OfflineScorer


class ScorerResource(ConfigurableResource):
    """`mode`: auto (OpenAI when OPENAI_API_KEY is set, else offline), openai or offline."""

    mode: str = "auto"
    model: str = "gpt-4o-mini"
    concurrency: int = 32

    def resolved_mode(self) -> str:
        # `auto` stays offline until the OpenAI scorer exists (issue 3).
        return "offline" if self.mode == "auto" else self.mode

    def build(self) -> Scorer:
        mode = self.resolved_mode()
        if mode == "openai":
            raise NotImplementedError(
                "the OpenAI scorer is not available yet; set POWERPULSE_SCORER=offline"
            )
        return OfflineScorer()
