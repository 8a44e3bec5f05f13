"""The OpenAI (or any OpenAI-compatible server) scorer: one strict-JSON call per conversation.

Many calls are in flight at once (up to the concurrency), paced by a client-side limiter that
follows the server's rate-limit headers. Each call is retried with exponential backoff and
jitter on 429/5xx/timeouts/dropped connections and on replies that break the schema, within a
bounded number of attempts and time; a conversation that still fails is recorded as failed.
Results are handed to `save` as they arrive, so a cancelled run keeps what it paid for.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import re
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import httpx2
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from ..ingest.records import AGENT, CUSTOMER
from . import defaults, quality
from .base import FAILED, SCORED, ScoreRecord, ScoringStats, Transcript
from .llm_output import SchemaViolation, parse_reply, response_format
from .pii import mask_pii
from .pricing import Price

if TYPE_CHECKING:
    # openai takes 0.4 s to import, and every run worker imports this module, most of them
    # never to call it: the functions that do import it themselves.
    import openai
from .ratelimit import RateLimiter, retry_after_seconds

PROMPT_VERSION = "conversation_v2"
PROGRESS_EVERY_SECONDS = 10.0
FLUSH_EVERY_SECONDS = 1.0
MAX_COMPLETION_TOKENS = 500
# httpcore scans its whole connection pool for every request, so one client with hundreds of
# connections spends its CPU there; several clients with small pools do not.
CONNECTIONS_PER_CLIENT = 16
# A transcript longer than this is cut in the middle: the start and the end matter most.
MAX_TRANSCRIPT_CHARS = 12_000


@dataclass(frozen=True)
class OpenAISettings:
    model: str
    concurrency: int
    topics: tuple[str, ...]
    mask_pii: bool = defaults.MASK_PII
    rpm: float | None = None
    tpm: float | None = None
    timeout_seconds: float = defaults.TIMEOUT_SECONDS
    max_attempts: int = defaults.MAX_ATTEMPTS
    max_seconds_per_conversation: float = defaults.MAX_SECONDS_PER_CONVERSATION
    price: Price | None = None
    progress_seconds: float = PROGRESS_EVERY_SECONDS


def load_prompt() -> str:
    return (
        resources.files(__package__)
        .joinpath(f"prompts/{PROMPT_VERSION}.txt")
        .read_text(encoding="utf-8")
    )


def redact(text: str, secret: str | None) -> str:
    """Error texts can echo the key (e.g. 'Incorrect API key provided: sk-...')."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return re.sub(r"\b(sk|key|Bearer)[-_ ][A-Za-z0-9_\-*]{6,}", r"\1-[redacted]", text)


def is_retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, SchemaViolation | openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


_backoff = wait_exponential_jitter(multiplier=0.5, max=20.0, jitter=1.0)


def retry_wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    response = getattr(exc, "response", None)
    server_says = retry_after_seconds(getattr(response, "headers", None))
    if server_says is not None:
        return min(server_says, 60.0)
    return _backoff(state)


def retrying(settings: OpenAISettings) -> AsyncRetrying:
    """The scorer's retries for any call to the endpoint: transient errors and broken replies,
    honouring retry-after, within the attempts and the time a conversation may take."""
    return AsyncRetrying(
        stop=stop_after_attempt(settings.max_attempts)
        | stop_after_delay(settings.max_seconds_per_conversation),
        wait=retry_wait,
        retry=retry_if_exception(is_retryable),
        reraise=True,
    )


async def run_limited(
    settings: OpenAISettings,
    api_key: str,
    base_url: str | None,
    items: Sequence[Any],
    call: Callable[[openai.AsyncOpenAI, RateLimiter, Any], Awaitable[Any]],
    concurrency: int | None = None,
) -> list[Any]:
    """`call(client, limiter, item)` for every item, in order, at most `concurrency` (default:
    the configured one) at once, on one client and one rate limiter."""
    import openai

    client = openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,  # tenacity retries, honouring retry-after and our limiter
        timeout=settings.timeout_seconds,
    )
    limiter = RateLimiter(settings.rpm, settings.tpm)
    gate = asyncio.Semaphore(max(1, concurrency or settings.concurrency))

    async def one(item: Any) -> Any:
        async with gate:
            return await call(client, limiter, item)

    try:
        return list(await asyncio.gather(*(one(item) for item in items)))
    finally:
        await client.close()


class _Writer:
    """Saves batches on its own thread, in order, until closed.

    Not an executor future: cancelling the event loop's tasks (a run cancelled from the UI)
    cannot drop a batch that is waiting to be written.
    """

    def __init__(self, save: Callable[[list[ScoreRecord]], None]) -> None:
        self._save = save
        self._queue: queue.Queue[list[ScoreRecord] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name="score-writer")
        self.error: BaseException | None = None
        self._thread.start()

    def _drain(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                self._save(batch)
            except BaseException as exc:  # surfaced by close(); later batches are not written
                self.error = exc

    def put(self, batch: list[ScoreRecord]) -> None:
        if batch:
            self._queue.put(batch)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


async def complete(
    client: openai.AsyncOpenAI,
    limiter: RateLimiter,
    body: dict[str, Any],
    usage: dict[str, int],
) -> str | None:
    """POST /chat/completions; the reply's content, with its token counts added to `usage`.

    The client's documented raw form of the request: the same as `chat.completions.create`,
    minus the per-call conversion of typed params and of the reply into models, which was
    ~40% of our CPU at 256 requests in flight."""
    import openai

    try:
        response = await client.post("/chat/completions", body=body, cast_to=httpx2.Response)
    except openai.APIStatusError as exc:
        if exc.status_code == 429:
            limiter.pause(retry_after_seconds(exc.response.headers) or 1.0)
        raise
    limiter.observe(response.headers)
    try:
        completion = response.json()
        reply = completion["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise SchemaViolation(f"not a chat completion: {type(exc).__name__}") from exc
    counts = completion.get("usage") or {}
    usage["prompt"] += int(counts.get("prompt_tokens") or 0)
    usage["completion"] += int(counts.get("completion_tokens") or 0)
    usage["cached"] += int((counts.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return reply


class OpenAIScorer:
    def __init__(self, settings: OpenAISettings, api_key: str, base_url: str | None) -> None:
        self.settings = settings
        self.name = f"openai:{settings.model}"
        self._api_key = api_key
        self._base_url = base_url
        self._prompt = (
            load_prompt()
            .replace("{topics}", ", ".join(settings.topics))
            .replace("{rubric}", quality.rubric_lines())
        )
        self._format = response_format(settings.topics)
        fingerprint = hashlib.sha256(
            (self._prompt + repr(self._format) + str(settings.mask_pii)).encode()
        ).hexdigest()[:8]
        self.version = f"{PROMPT_VERSION}-{fingerprint}"

    def render(self, transcript: Transcript) -> str:
        lines = [
            f"{'Customer' if role == CUSTOMER else 'Agent'}: "
            f"{mask_pii(text) if self.settings.mask_pii else text}"
            for role, text in transcript.turns
        ]
        rendered = "\n".join(lines)
        if len(rendered) > MAX_TRANSCRIPT_CHARS:
            half = MAX_TRANSCRIPT_CHARS // 2
            rendered = (
                rendered[:half] + "\n[... middle of the chat left out ...]\n" + rendered[-half:]
            )
        return rendered

    def score_all(
        self,
        transcripts: Sequence[Transcript],
        save: Callable[[list[ScoreRecord]], None],
        log: Callable[[str], None],
    ) -> ScoringStats:
        stats = ScoringStats()
        pending: list[ScoreRecord] = []
        writer = _Writer(save)
        try:
            asyncio.run(self._run(transcripts, pending, writer, log, stats))
        finally:
            # Also when cancelled from the UI: keep every answer already paid for.
            writer.put(pending[:])
            pending.clear()
            writer.close()
        if writer.error is not None:
            raise writer.error
        return stats

    async def _run(
        self,
        transcripts: Sequence[Transcript],
        pending: list[ScoreRecord],
        writer: _Writer,
        log: Callable[[str], None],
        stats: ScoringStats,
    ) -> None:
        if not transcripts:
            return
        import openai

        clients = [
            openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self._base_url,
                max_retries=0,  # tenacity retries, honouring retry-after and our limiter
                timeout=self.settings.timeout_seconds,
            )
            for _ in range(max(1, -(-self.settings.concurrency // CONNECTIONS_PER_CLIENT)))
        ]
        limiter = RateLimiter(self.settings.rpm, self.settings.tpm)
        started = time.monotonic()
        done = 0
        queue_of_work = iter(transcripts)

        async def worker(client: openai.AsyncOpenAI) -> None:
            # A fixed pool of workers sharing one iterator: no task per conversation waiting
            # on a semaphore, so the event loop stays free for the replies.
            nonlocal done
            for transcript in queue_of_work:
                pending.append(await self._score_one(client, limiter, transcript, stats))
                done += 1

        async def flusher() -> None:
            while True:
                await asyncio.sleep(FLUSH_EVERY_SECONDS)
                writer.put(pending[:])
                pending.clear()

        def report() -> None:
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed else 0.0
            eta = (len(transcripts) - done) / rate if rate else float("inf")
            log(
                f"scored {done}/{len(transcripts)} in {elapsed:.0f}s ({rate:.1f}/s, "
                f"ETA {eta:.0f}s, {stats.retries} retries, {stats.failures} failed, "
                f"${stats.cost_usd:.4f})"
            )

        async def reporter() -> None:
            while True:
                await asyncio.sleep(self.settings.progress_seconds)
                report()

        background = [asyncio.create_task(flusher()), asyncio.create_task(reporter())]
        try:
            workers = min(self.settings.concurrency, len(transcripts))
            await asyncio.gather(*(worker(clients[i % len(clients)]) for i in range(workers)))
            report()
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            for client in clients:
                await client.close()
        stats.extra["rate_limit_wait_seconds"] = round(limiter.waited_seconds, 3)

    async def _score_one(
        self,
        client: openai.AsyncOpenAI,
        limiter: RateLimiter,
        transcript: Transcript,
        stats: ScoringStats,
    ) -> ScoreRecord:
        messages = [
            {"role": "system", "content": self._prompt},
            {"role": "user", "content": self.render(transcript)},
        ]
        estimate = sum(len(m["content"]) for m in messages) // 4 + MAX_COMPLETION_TOKENS
        reviewed = any(role == AGENT for role, _ in transcript.turns)
        usage = {"prompt": 0, "cached": 0, "completion": 0}
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_attempts)
            | stop_after_delay(self.settings.max_seconds_per_conversation),
            wait=retry_wait,
            retry=retry_if_exception(is_retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    await limiter.acquire(estimate)
                    stats.requests += 1
                    parsed = await self._call(client, limiter, messages, usage, reviewed)
        except Exception as exc:  # every failure becomes a failed record, never a lost one
            stats.retries += attempts - 1
            stats.failures += 1
            return self._record(transcript, usage, stats, error=self._describe(exc))
        stats.retries += attempts - 1
        return self._record(transcript, usage, stats, parsed=parsed)

    async def _call(
        self,
        client: openai.AsyncOpenAI,
        limiter: RateLimiter,
        messages: list[dict[str, str]],
        usage: dict[str, int],
        reviewed: bool,
    ) -> dict[str, Any]:
        body = {
            "model": self.settings.model,
            "messages": messages,
            "response_format": self._format,
            "temperature": 0,
            "max_tokens": MAX_COMPLETION_TOKENS,
        }
        return parse_reply(
            await complete(client, limiter, body, usage), self.settings.topics, reviewed
        )

    def _describe(self, exc: BaseException) -> str:
        import openai

        if isinstance(exc, openai.APIStatusError):
            text = f"HTTP {exc.status_code} from the model endpoint: {exc.message}"
        else:
            text = f"{type(exc).__name__}: {exc}"
        return redact(text, self._api_key)[:500]

    def _record(
        self,
        transcript: Transcript,
        usage: dict[str, int],
        stats: ScoringStats,
        parsed: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> ScoreRecord:
        cost = (
            self.settings.price.cost(usage["prompt"], usage["cached"], usage["completion"])
            if self.settings.price
            else 0.0
        )
        stats.prompt_tokens += usage["prompt"]
        stats.cached_tokens += usage["cached"]
        stats.completion_tokens += usage["completion"]
        stats.cost_usd += cost
        common = dict(
            content_hash=transcript.content_hash,
            prompt_tokens=usage["prompt"],
            cached_tokens=usage["cached"],
            completion_tokens=usage["completion"],
            cost_usd=cost,
        )
        if parsed is None:
            return ScoreRecord(status=FAILED, error=error, **common)
        return ScoreRecord(status=SCORED, **parsed, **common)
