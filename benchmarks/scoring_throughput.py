"""Throughput of the OpenAI scorer against a local OpenAI-compatible server.

    .venv/bin/python benchmarks/scoring_throughput.py [--conversations 8000]
        [--concurrency 256] [--latency 1.0] [--rpm 60000]

Prints achieved conversations/s next to the bound min(concurrency / latency, RPM / 60) and
their ratio. The server runs in a child process so that it does not share the scorer's GIL.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.samples.dialogues import generate_threads  # noqa: E402
from powerpulse_pipeline.scoring.base import make_transcript  # noqa: E402
from powerpulse_pipeline.scoring.openai_scorer import OpenAIScorer, OpenAISettings  # noqa: E402
from powerpulse_pipeline.scoring.pricing import DEFAULT_PRICES  # noqa: E402
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS  # noqa: E402


def serve(latency: float, rpm: int | None, conn) -> None:
    from powerpulse_pipeline_tests.fake_openai import fake_openai_server

    with fake_openai_server(latency=latency, rpm=rpm, keep_bodies=False) as (url, state):
        conn.send(url)
        conn.recv()  # stop
        conn.send({"requests": state.requests, "statuses": dict(state.statuses)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=8000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--rpm", type=int, default=60000, help="server limit; 0 for none")
    parser.add_argument(
        "--client-rpm",
        type=float,
        default=None,
        help="configured client limit (default: learn it from headers)",
    )
    args = parser.parse_args()

    threads = generate_threads(
        threads=args.conversations,
        first_day=datetime(2025, 1, 1, tzinfo=UTC),
        days=30,
        seed=5,
        multi_conversation_share=0.0,
    )
    transcripts = [
        make_transcript(
            [(line.role, f"{line.text} (#{index})") for line in thread.lines if not line.bot]
        )
        for index, thread in enumerate(threads)
    ]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(args.latency, args.rpm or None, child))
    server.start()
    url = parent.recv()
    scorer = OpenAIScorer(
        OpenAISettings(
            model="gpt-4o-mini",
            concurrency=args.concurrency,
            topics=DEFAULT_TOPICS,
            rpm=args.client_rpm,
            timeout_seconds=30.0,
            price=DEFAULT_PRICES["gpt-4o-mini"],
        ),
        api_key="sk-benchmark",
        base_url=url,
    )
    saved = 0

    def save(batch: list) -> None:
        nonlocal saved
        saved += len(batch)

    started = time.monotonic()
    stats = scorer.score_all(transcripts, save, lambda line: print("  " + line))
    elapsed = time.monotonic() - started
    parent.send("stop")
    served = parent.recv()
    server.join()

    achieved = len(transcripts) / elapsed
    bounds = [args.concurrency / args.latency if args.latency else float("inf")]
    if args.rpm:
        bounds.append(args.rpm / 60)
    bound = min(bounds)
    print(f"conversations: {len(transcripts)} saved: {saved} failed: {stats.failures}")
    print(
        f"requests: {stats.requests} retries: {stats.retries} server statuses: {served['statuses']}"
    )
    print(
        f"tokens: {stats.prompt_tokens} prompt, {stats.completion_tokens} completion; "
        f"estimated cost ${stats.cost_usd:.2f} at gpt-4o-mini prices"
    )
    print(
        f"elapsed: {elapsed:.1f}s  achieved: {achieved:.1f} conv/s  "
        f"bound: {bound:.1f} conv/s  ratio: {achieved / bound:.3f}"
    )
    reference = 5 / args.latency
    print(
        f"reference system (5 in flight): {reference:.1f} conv/s, "
        f"{len(transcripts) / reference / 60:.1f} min for this set"
    )


if __name__ == "__main__":
    main()
