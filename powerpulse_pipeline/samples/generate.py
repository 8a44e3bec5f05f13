"""Write sample exports: `--write-samples DIR` for data/samples, or a large set with --out.

python -m powerpulse_pipeline.samples.generate --write-samples data/samples
python -m powerpulse_pipeline.samples.generate --out /tmp/big --threads 8000 --days 90
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from .dialogues import generate_threads
from .formats import dumps, dyi_thread, graph_api_export, grouped_export

SAMPLE_FIRST_DAY = datetime(2025, 3, 3, tzinfo=UTC)


def write_samples(folder: Path) -> list[Path]:
    """The three formats over one week, with every case the README mentions."""
    folder.mkdir(parents=True, exist_ok=True)
    grouped = generate_threads(
        threads=24, first_day=SAMPLE_FIRST_DAY, days=7, seed=11, multi_conversation_share=0.3
    )
    graph = generate_threads(threads=6, first_day=SAMPLE_FIRST_DAY, days=7, seed=12)
    dyi = generate_threads(
        threads=1, first_day=SAMPLE_FIRST_DAY, days=7, seed=13, multi_conversation_share=1.0
    )
    written = [
        folder / "grouped_export_2025-03-03.json",
        folder / "graph_api_conversations.json",
        folder / "messenger_dyi" / "inbox" / dyi[0].chat_id / "message_1.json",
    ]
    documents = [grouped_export(grouped), graph_api_export(graph), dyi_thread(dyi[0])]
    for path, document in zip(written, documents, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(document) + "\n", encoding="utf-8")
    return written


def write_large(folder: Path, threads: int, days: int, files: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    everything = generate_threads(threads=threads, first_day=SAMPLE_FIRST_DAY, days=days, seed=seed)
    per_file = max(1, len(everything) // files)
    written = []
    for index in range(0, len(everything), per_file):
        path = folder / f"export_{seed}_{index // per_file:04d}.json"
        path.write_text(
            dumps(grouped_export(everything[index : index + per_file])), encoding="utf-8"
        )
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-samples", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.write_samples:
        for path in write_samples(args.write_samples):
            print(path)
    if args.out:
        paths = write_large(args.out, args.threads, args.days, args.files, args.seed)
        print(f"{len(paths)} files, {args.threads} threads in {args.out}")


if __name__ == "__main__":
    main()
