"""Client-side request and token budgets that follow the server's x-ratelimit-* headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

# Servers enforce a per-minute limit over short windows (about a second), so the budget is
# spent evenly: at most this much of it at once, and at a little under the limit.
BURST_SECONDS = 0.05
HEADROOM = 0.95


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
        self.configured = per_minute  # an operator's own cap (e.g. a shared account)
        self.per_minute = per_minute
        self.level = self.capacity
        self.updated = time.monotonic()

    @property
    def per_second(self) -> float:
        return HEADROOM * (self.per_minute or 0.0) / 60.0

    @property
    def capacity(self) -> float:
        if self.per_minute is None:
            return float("inf")
        return max(1.0, self.per_second * BURST_SECONDS)

    def refill(self, now: float) -> None:
        if self.per_minute is not None:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.per_second)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        if self.per_minute is None or self.level >= min(amount, self.capacity):
            return 0.0
        return (min(amount, self.capacity) - self.level) / self.per_second


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
                    # The full amount, even past the burst size: the bucket goes into debt and
                    # later requests wait, so the average rate is the limit however large a
                    # single request is.
                    self.requests.level -= 1
                    self.tokens.level -= tokens
                    return
                self.waited_seconds += delay
                await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Every worker holds off (a 429 says the whole account is over its limit)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adopt the server's limits, and never hold more budget than it says is left."""
        for bucket, kind in ((self.requests, "requests"), (self.tokens, "tokens")):
            try:
                limit = headers.get(f"x-ratelimit-limit-{kind}")
                if limit is not None and float(limit) > 0:
                    # the lower of the server's limit and a configured one; the next refill
                    # caps the level to the new capacity
                    bucket.per_minute = min(float(limit), bucket.configured or float("inf"))
                remaining = headers.get(f"x-ratelimit-remaining-{kind}")
                if remaining is not None and bucket.per_minute is not None:
                    bucket.level = min(bucket.level, float(remaining))
            except ValueError:
                continue
