"""The conversation a follow-up refines: the earlier questions as typed and the last
semantic query, kept on disk as JSON (`--new` forgets it)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..semantics.query import SemanticQuery
from .dates import Range

MAX_QUESTIONS = 20


@dataclass
class Session:
    questions: list[str] = field(default_factory=list)
    query: SemanticQuery | None = None
    range: Range | None = None

    def to_json(self) -> dict[str, Any]:
        found = self.range
        return {
            "questions": self.questions[-MAX_QUESTIONS:],
            "query": self.query.to_json() if self.query else None,
            "range": (
                {
                    "start": found.start.isoformat(),
                    "end": found.end.isoformat(),
                    "words": found.words,
                    "unit": found.unit,
                }
                if found
                else None
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        raw = data.get("range")
        found = (
            Range(
                date.fromisoformat(raw["start"]),
                date.fromisoformat(raw["end"]),
                str(raw.get("words", "")),
                raw.get("unit"),
            )
            if raw
            else None
        )
        query = data.get("query")
        return cls(
            [str(q) for q in data.get("questions", [])][-MAX_QUESTIONS:],
            SemanticQuery.from_json(query) if query else None,
            found,
        )


def load(path: Path) -> Session:
    """The session on disk; a missing or unreadable one is a new session."""
    try:
        return Session.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Session()


def save(path: Path, session: Session) -> None:
    """Written whole (a temp file renamed over it), so a killed command leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(session.to_json(), indent=1), encoding="utf-8")
    os.replace(staging, path)
