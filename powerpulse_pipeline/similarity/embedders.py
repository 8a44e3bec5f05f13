"""Embedding a conversation's customer side: the built-in offline model, or the
OpenAI-compatible `/embeddings` endpoint with a key (DESIGN.md section 11).

An embedder turns texts into unit vectors; `name` (e.g. `offline:all-MiniLM-L6-v2`,
`openai:text-embedding-3-small`) is part of the cache key, so a vector is never compared with
one of another model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import minilm

OFFLINE = f"offline:{minilm.MODEL_NAME}"
OPENAI_DEFAULT_MODEL = "text-embedding-3-small"
# Inputs per /embeddings request (the API takes up to 2,048) and characters per input: a
# conversation's opening says what it is about, as for the offline model.
OPENAI_BATCH = 256
OPENAI_MAX_CHARS = 2_000
# USD per 1M input tokens, as published by OpenAI.
OPENAI_PRICES = {
    "text-embedding-3-small": 0.02,
    "text-embedding-3-large": 0.13,
    "text-embedding-ada-002": 0.10,
}
# The offline model's batches of texts between progress lines and saves.
OFFLINE_CHUNK = 512


@dataclass
class EmbeddingStats:
    requests: int = 0
    retries: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


Save = Callable[[list[str], np.ndarray, list[int]], None]


class Embedder(Protocol):
    name: str
    price_per_million: float

    def embed_all(
        self, keys: Sequence[str], texts: Sequence[str], save: Save, log: Callable[[str], None]
    ) -> EmbeddingStats:
        """Embed `texts`, calling `save(keys, vectors, tokens)` as batches complete (a killed
        run keeps what was done); a batch that cannot be embedded is counted, not raised."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class OfflineEmbedder:
    name = OFFLINE
    price_per_million = 0.0

    def __init__(self) -> None:
        self._model = minilm.load()

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.encode([text])[0]

    def embed_all(
        self, keys: Sequence[str], texts: Sequence[str], save: Save, log: Callable[[str], None]
    ) -> EmbeddingStats:
        stats = EmbeddingStats()
        started = last_log = time.monotonic()
        for start in range(0, len(texts), OFFLINE_CHUNK):
            chunk = list(texts[start : start + OFFLINE_CHUNK])
            vectors = self._model.encode(chunk)
            tokens = self._model.token_counts(chunk)
            stats.tokens += sum(tokens)
            save(list(keys[start : start + OFFLINE_CHUNK]), vectors, tokens)
            done = start + len(chunk)
            if time.monotonic() - last_log >= 10 and done < len(texts):
                last_log = time.monotonic()
                rate = done / (last_log - started)
                log(
                    f"embedded {done:,} of {len(texts):,} ({rate:,.0f}/s, about "
                    f"{(len(texts) - done) / rate:,.0f} s left)"
                )
        return stats


class OpenAIEmbedder:
    """Batched /embeddings with the scorer's retries (tenacity, honouring retry-after) and its
    client-side request and token budgets."""

    def __init__(self, settings: Any, api_key: str, base_url: str | None, model: str) -> None:
        self.settings = settings
        self.model = model
        self.name = f"openai:{model}"
        self._api_key = api_key
        self._base_url = base_url
        self.price_per_million = OPENAI_PRICES.get(model, 0.0)

    def embed_query(self, text: str) -> np.ndarray:
        vectors: list[np.ndarray] = []
        stats = EmbeddingStats()

        def keep(_keys: list[str], found: np.ndarray, _tokens: list[int]) -> None:
            vectors.append(found[0])

        asyncio.run(self._run(["query"], [text], keep, stats))
        if not vectors:
            raise RuntimeError(stats.errors[0] if stats.errors else "no embedding returned")
        return vectors[0]

    def embed_all(
        self, keys: Sequence[str], texts: Sequence[str], save: Save, log: Callable[[str], None]
    ) -> EmbeddingStats:
        stats = EmbeddingStats()
        if texts:
            asyncio.run(self._run(keys, texts, save, stats))
            log(
                f"embedded {len(texts) - stats.failed:,} texts with {self.model}: "
                f"{stats.requests} requests, {stats.retries} retries, {stats.failed} failed, "
                f"{stats.tokens:,} tokens, ${stats.cost_usd:.4f}"
            )
        return stats

    async def _run(
        self, keys: Sequence[str], texts: Sequence[str], save: Save, stats: EmbeddingStats
    ) -> None:
        import httpx2
        import openai

        from ..scoring.openai_scorer import redact, retrying, run_limited
        from ..scoring.pii import mask_pii
        from ..scoring.ratelimit import RateLimiter, retry_after_seconds

        async def batch(client: openai.AsyncOpenAI, limiter: RateLimiter, start: int) -> None:
            inputs = [t[:OPENAI_MAX_CHARS] for t in texts[start : start + OPENAI_BATCH]]
            if self.settings.mask_pii:
                inputs = [mask_pii(t) for t in inputs]
            attempts = 0
            try:
                async for attempt in retrying(self.settings):
                    with attempt:
                        attempts += 1
                        await limiter.acquire(sum(len(t) for t in inputs) // 4 + 1)
                        stats.requests += 1
                        try:
                            response = await client.post(
                                "/embeddings",
                                body={"model": self.model, "input": inputs},
                                cast_to=httpx2.Response,
                            )
                        except openai.APIStatusError as exc:
                            if exc.status_code == 429:
                                limiter.pause(retry_after_seconds(exc.response.headers) or 1.0)
                            raise
                        limiter.observe(response.headers)
                        vectors, tokens = _parse(response.json(), len(inputs))
            except Exception as exc:  # the batch stays un-embedded; the next run retries
                stats.failed += len(inputs)
                stats.errors.append(redact(f"{type(exc).__name__}: {exc}", self._api_key)[:300])
                return
            finally:
                stats.retries += max(0, attempts - 1)
            stats.tokens += tokens
            stats.cost_usd += tokens * self.price_per_million / 1_000_000
            # Tokens per text are not reported; the batch's are shared out by length.
            lengths = np.array([max(1, len(t)) for t in inputs], np.float64)
            shares = np.round(tokens * lengths / lengths.sum()).astype(int).tolist()
            save(list(keys[start : start + OPENAI_BATCH]), vectors, shares)

        # A few big requests at once: each carries OPENAI_BATCH texts.
        starts = range(0, len(texts), OPENAI_BATCH)
        await run_limited(
            self.settings,
            self._api_key,
            self._base_url,
            starts,
            batch,
            concurrency=min(8, self.settings.concurrency),
        )


class EmbeddingReplyError(ValueError):
    """The endpoint's reply is not an embeddings list for the inputs sent."""


def _parse(reply: Any, expected: int) -> tuple[np.ndarray, int]:
    try:
        data = sorted(reply["data"], key=lambda item: item["index"])
        vectors = np.array([item["embedding"] for item in data], np.float32)
        tokens = int((reply.get("usage") or {}).get("prompt_tokens") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise EmbeddingReplyError(f"not an embeddings reply: {type(exc).__name__}") from exc
    if vectors.ndim != 2 or len(vectors) != expected or not np.isfinite(vectors).all():
        raise EmbeddingReplyError(f"expected {expected} finite vectors, got shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if (norms == 0).any():
        raise EmbeddingReplyError("a zero vector cannot be compared")
    return vectors / norms, tokens
