"""`powerpulse ask "QUESTION" [--json] [--new] [--as-of YYYY-MM-DD]` (DESIGN.md section 9).

Exit status 0 whenever the question was tried (answered, cannot_answer or refused); 2 when it
could not be (no warehouse yet, bad flags, a setting PowerPulse cannot use)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from ..settings import Settings, SettingsError
from .answer import Answer, Asker
from .readonly import NoWarehouse


def session_path(settings: Settings) -> Path:
    return settings.data_dir / "ask" / "session.json"


def _print(answer: Answer) -> None:
    print(answer.answer)
    print(f"\n  understood: {answer.understood}")
    if answer.sql:
        print(f"  sql: {answer.sql}")
    if answer.columns:
        widths = [len(c) for c in answer.columns]
        shown = answer.rows[:50]
        cells = [[_cell(v) for v in row] for row in shown]
        for row in cells:
            widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
        print()
        print("  " + "  ".join(c.ljust(w) for c, w in zip(answer.columns, widths, strict=True)))
        for row in cells:
            print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if len(answer.rows) > len(shown):
            print(f"  ... {len(answer.rows) - len(shown)} more rows (--json has them all)")
    if answer.follow_ups:
        print("\n  try: " + " | ".join(answer.follow_ups))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="powerpulse", description="Ask PowerPulse about its figures in plain language."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question from the analysts' copy")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--new", action="store_true", help="forget the earlier questions")
    ask.add_argument(
        "--as-of", type=date.fromisoformat, help="the day relative dates count from (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"powerpulse: {exc}", file=sys.stderr)
        return 2
    from .llm import model_for

    try:
        asker = Asker(settings, session_path(settings), llm=model_for(settings))
        answer = asker.ask(args.question, as_of=args.as_of, new=args.new)
    except NoWarehouse as exc:
        print(f"powerpulse: {exc}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
        else:
            _print(answer)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader stopped early (`| head`): what it read is the answer
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
