"""Plain-language questions (DESIGN.md section 9): question -> semantic query (the offline
parser, or the LLM under a strict schema) -> SQL compiled by the semantic layer -> rows and
one sentence. SQL a model writes itself passes the guard first.

From a notebook:

    from powerpulse_pipeline.ask import ask
    answer = ask("CSAT by week last month", as_of="2025-03-12")
    answer.answer, answer.frame()
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .answer import Answer


def ask(question: str, as_of: date | str | None = None, new: bool = False) -> Answer:
    """Answer as `powerpulse ask` does, with the same session (so follow-ups work)."""
    from ..settings import Settings
    from .answer import Asker
    from .cli import session_path
    from .llm import model_for

    settings = Settings.from_env()
    day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    asker = Asker(settings, session_path(settings), llm=model_for(settings))
    try:
        return asker.ask(question, as_of=day, new=new)
    finally:
        asker.connection().close()
