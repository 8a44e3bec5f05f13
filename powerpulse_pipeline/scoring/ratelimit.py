"""Client-side request and token budgets that follow the server's x-ratelimit-* headers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

# How much of a minute's budget may be spent at once; servers enforce limits per second-ish.
BURST_SECONDS = 1.0


def parse_duration(text: str) -> float | None:
    """OpenAI's reset format: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    parts = _DURATION.findall(text or "")
    if not parts:
        try:
            return float(text)
        except (TypeError, ValueError):
            return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


class _Bucket:
    def __init__(self, per_minute: float | None) -> None:
        self.per_minute = per_minute
        self.level = self.capacity
        self.updated = time.monotonic()

    @property
    def capacity(self) -> float:
        if self.per_minute is None:
            return float("inf")
        return max(1.0, self.per_minute / 60.0 * BURST_SECONDS)

    def refill(self, now: float) -> None:
        if self.per_minute is not None:
            self.level = min(
                self.capacity, self.level + (now - self.updated) * self.per_minute / 60.0
            )
        self.updated = now

    def wait_for(self, amount: float) -> float:
        if self.per_minute is None or self.level >= min(amount, self.capacity):
            return 0.0
        return (min(amount, self.capacity) - self.level) / (self.per_minute / 60.0)


class RateLimiter:
    """Waits before a request when the request or token budget is spent, or after a 429."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        self.requests = _Bucket(rpm)
        self.tokens = _Bucket(tpm)
        self.paused_until = 0.0
        self.waited_seconds = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.requests.refill(now)
                self.tokens.refill(now)
                delay = max(
                    self.paused_until - now,
                    self.requests.wait_for(1),
                    self.tokens.wait_for(tokens),
                )
                if delay <= 0:
                    self.requests.level -= 1
                    self.tokens.level -= min(tokens, self.tokens.capacity)
                    return
                self.waited_seconds += delay
                await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Every worker holds off (a 429 says the whole account is over its limit)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        for bucket, kind in ((self.requests, "requests"), (self.tokens, "tokens")):
            limit = headers.get(f"x-ratelimit-limit-{kind}")
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            try:
                if limit is not None:
                    bucket.per_minute = float(limit)
                if remaining is not None and float(remaining) <= 0:
                    reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}", ""))
                    self.pause(reset if reset is not None else 1.0)
            except ValueError:
                continue
