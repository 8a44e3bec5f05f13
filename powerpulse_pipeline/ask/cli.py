"""`powerpulse ask "QUESTION" [--json] [--new] [--as-of YYYY-MM-DD]` (DESIGN.md section 9), and
`powerpulse search TEXT` / `powerpulse similar CONVERSATION_ID` (section 11).

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
    search = commands.add_parser(
        "search", help="conversations whose customers wrote most like this text"
    )
    search.add_argument("text")
    search.add_argument("-k", type=int, default=10, help="how many (default 10)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    similar = commands.add_parser("similar", help="the conversations most like this one")
    similar.add_argument("conversation_id")
    similar.add_argument("-k", type=int, default=10, help="how many (default 10)")
    similar.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"powerpulse: {exc}", file=sys.stderr)
        return 2
    if args.command in ("search", "similar"):
        return _similar(settings, args)
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


def _similar(settings: Settings, args: argparse.Namespace) -> int:
    """`powerpulse search TEXT` and `powerpulse similar CONVERSATION_ID`."""
    from ..similarity.search import SearchUnavailable, search_conversations
    from .readonly import connect_locked

    try:
        conn = connect_locked(settings.duckdb_path)
    except NoWarehouse as exc:
        print(f"powerpulse: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "search":
            rows = search_conversations(conn, args.text, args.k, settings)
            asked = {"search": args.text}
        else:
            cursor = conn.execute(
                "SELECT * FROM similar_conversations($id, $k)",
                {"id": args.conversation_id, "k": max(0, args.k)},
            )
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            asked = {"similar_to": args.conversation_id}
    except SearchUnavailable as exc:
        print(f"powerpulse: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    if args.json:
        print(json.dumps({**asked, "conversations": rows}, default=str, ensure_ascii=False))
    elif not rows:
        print("no conversations to compare with (none embedded yet, or no customer text)")
    else:
        for row in rows:
            print(f"{row['similarity']:6.1%}  {row['day']}  {row['conversation_id']}")
            print(f"        {_cell(row['summary'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
