"""The scorer as a swappable Dagster resource; which scorer runs is decided here and logged."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

from . import defaults
from .base import Scorer
from .offline import OfflineScorer
from .pricing import parse_prices, price_for
from .topics import DEFAULT_TOPICS

if TYPE_CHECKING:
    from ..coaching.openai_coach import OpenAICoach
    from ..settings import Settings
    from ..similarity.embedders import Embedder
    from ..similarity.openai_labels import OpenAILabeller
    from .openai_scorer import OpenAISettings


class ScorerError(RuntimeError):
    """The configured scorer cannot run (e.g. openai without a key)."""


class ScorerResource(ConfigurableResource):
    """`mode`: auto (OpenAI when OPENAI_API_KEY is set, else offline), openai or offline.

    The API key and base URL are never part of this config: the official client's own
    environment variables (OPENAI_API_KEY, OPENAI_BASE_URL) are read when a scorer is built,
    so they never show in the UI, in run config or in metadata.
    """

    mode: str = defaults.MODE
    model: str = defaults.MODEL
    concurrency: int = defaults.CONCURRENCY
    rpm: float | None = None
    tpm: float | None = None
    timeout_seconds: float = defaults.TIMEOUT_SECONDS
    max_attempts: int = defaults.MAX_ATTEMPTS
    mask_pii: bool = defaults.MASK_PII
    topics: list[str] = []
    prices_json: str = ""
    embedding_model: str = "auto"

    @classmethod
    def from_settings(cls, settings: Settings) -> ScorerResource:
        return cls(
            mode=settings.scorer,
            model=settings.llm_model,
            concurrency=settings.llm_concurrency,
            rpm=settings.llm_rpm,
            tpm=settings.llm_tpm,
            timeout_seconds=settings.llm_timeout_seconds,
            max_attempts=settings.llm_max_attempts,
            mask_pii=settings.mask_pii,
            topics=list(settings.topics),
            prices_json=settings.llm_prices,
            embedding_model=settings.embedding_model,
        )

    def resolved_mode(self) -> str:
        if self.mode == "auto":
            return "openai" if os.environ.get("OPENAI_API_KEY") else "offline"
        return self.mode

    def build(self) -> Scorer:
        if self.resolved_mode() == "offline":
            return OfflineScorer()
        # Imported here: the openai client takes half a second to import, paid by every run
        # process and code server otherwise, also when the offline scorer runs.
        from .openai_scorer import OpenAIScorer

        return OpenAIScorer(
            self._openai_settings(),
            api_key=self._api_key(),
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
        )

    def build_coach(self) -> OpenAICoach | None:
        """The LLM coach when the scorer is the LLM; None: the offline coach."""
        if self.resolved_mode() == "offline":
            return None
        from ..coaching.openai_coach import OpenAICoach

        return OpenAICoach(
            self._openai_settings(),
            api_key=self._api_key(),
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
        )

    def build_labeller(self) -> OpenAILabeller | None:
        """The LLM that names recurring issues when the scorer is the LLM; None: their words."""
        if self.resolved_mode() == "offline":
            return None
        from ..similarity.openai_labels import OpenAILabeller

        return OpenAILabeller(
            self._openai_settings(),
            api_key=self._api_key(),
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
        )

    def embedding_choice(self) -> str:
        """`off`, `offline`, or the endpoint's model name."""
        choice = self.embedding_model
        if choice.lower() in {"off", "offline"}:
            return choice.lower()
        if choice.lower() == "auto":
            from ..similarity.embedders import OPENAI_DEFAULT_MODEL

            return OPENAI_DEFAULT_MODEL if os.environ.get("OPENAI_API_KEY") else "offline"
        return choice

    def embedding_name(self) -> str | None:
        """The name vectors are stored under, without loading the model; None when off."""
        from ..similarity.embedders import OFFLINE

        choice = self.embedding_choice()
        if choice == "off":
            return None
        return OFFLINE if choice == "offline" else f"openai:{choice}"

    def build_embedder(self) -> Embedder | None:
        """None when POWERPULSE_EMBEDDING_MODEL=off."""
        choice = self.embedding_choice()
        if choice == "off":
            return None
        if choice == "offline":
            from ..similarity.embedders import OfflineEmbedder

            return OfflineEmbedder()
        from ..similarity.embedders import OpenAIEmbedder

        return OpenAIEmbedder(
            self._openai_settings(),
            api_key=self._api_key(),
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
            model=choice,
        )

    def _api_key(self) -> str:
        api_key = os.environ.get("OPENAI_API_KEY", "")
        if not api_key:
            raise ScorerError(
                "POWERPULSE_SCORER=openai needs OPENAI_API_KEY (any non-empty value for a "
                "local OpenAI-compatible server without auth)"
            )
        return api_key

    def _openai_settings(self) -> OpenAISettings:
        from .openai_scorer import OpenAISettings

        return OpenAISettings(
            model=self.model,
            concurrency=self.concurrency,
            topics=tuple(self.topics) or DEFAULT_TOPICS,
            mask_pii=self.mask_pii,
            rpm=self.rpm,
            tpm=self.tpm,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            price=price_for(self.model, parse_prices(self.prices_json)),
        )
