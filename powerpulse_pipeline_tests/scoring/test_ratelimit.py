from __future__ import annotations

import asyncio
import time

import pytest

from powerpulse_pipeline.scoring.ratelimit import HEADROOM, RateLimiter, retry_after_seconds


def test_retry_after_headers() -> None:
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "x", "retry-after": "1"}) == 1.0
    assert retry_after_seconds({}) is None


def test_limits_are_learned_from_headers_and_pace_requests() -> None:
    limiter = RateLimiter()
    limiter.observe({"x-ratelimit-limit-requests": "1200", "x-ratelimit-remaining-requests": "0"})
    assert limiter.requests.per_minute == 1200

    async def twenty() -> float:
        started = time.monotonic()
        for _ in range(20):
            await limiter.acquire(tokens=10)
        return time.monotonic() - started

    elapsed = asyncio.run(twenty())
    # remaining 0: nothing left now; then 20 requests at 95% of 20/s
    assert elapsed == pytest.approx(20 / (20 * HEADROOM), rel=0.15)


def test_a_429_pauses_everyone() -> None:
    limiter = RateLimiter()
    limiter.pause(0.3)

    async def one() -> float:
        started = time.monotonic()
        await limiter.acquire(tokens=1)
        return time.monotonic() - started

    assert asyncio.run(one()) >= 0.28


def test_token_budget_counts_whole_requests_larger_than_the_burst() -> None:
    limiter = RateLimiter(tpm=6000)  # 100 tokens/s, paced at 95 tokens/s

    async def five() -> float:
        started = time.monotonic()
        for _ in range(5):
            await limiter.acquire(tokens=50)
        return time.monotonic() - started

    # 250 tokens; the first request goes at once: (250 - 50) / 95 s at the least
    assert asyncio.run(five()) >= 200 / (100 * HEADROOM) * 0.9
