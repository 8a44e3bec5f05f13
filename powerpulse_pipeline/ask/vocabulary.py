"""The values a question may name, read from the analysts' copy: agents, topics, languages
and the stored days. Names the user types are matched against these locally (typos and
casing forgiven), so no name ever has to be sent to a model."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

import duckdb

from ..semantics.dimensions import AGENT_ROWS

LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "german": "de",
    "french": "fr",
    "portuguese": "pt",
    "italian": "it",
    "dutch": "nl",
}


@dataclass(frozen=True)
class Vocabulary:
    agents: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    first_day: date | None = None
    last_day: date | None = None

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection) -> Vocabulary:
        agents, topics, languages, first, last = conn.execute(
            f"""
            SELECT
                (SELECT list(DISTINCT agent_name ORDER BY agent_name) FROM conversations
                    WHERE {AGENT_ROWS}),
                (SELECT list(DISTINCT t ORDER BY t) FROM conversations, unnest(topics) u(t)),
                (SELECT list(DISTINCT language ORDER BY language) FROM conversations
                    WHERE language IS NOT NULL),
                (SELECT min(day) FROM conversations),
                (SELECT max(day) FROM conversations)
            """
        ).fetchone()
        return cls(tuple(agents or ()), tuple(topics or ()), tuple(languages or ()), first, last)

    def match_agent(self, typed: str, cutoff: float = 0.8) -> tuple[str, ...]:
        """The agents a typed name means: the full name, a unique first or last name, or
        the closest spelling of one of them."""
        typed = " ".join(typed.lower().split())
        by_full = {a.lower(): a for a in self.agents}
        if typed in by_full:
            return (by_full[typed],)
        parts: dict[str, set[str]] = {}
        for agent in self.agents:
            for part in agent.lower().split():
                parts.setdefault(part, set()).add(agent)
        if typed in parts:
            return tuple(sorted(parts[typed]))
        close = difflib.get_close_matches(typed, [*by_full, *parts], n=1, cutoff=cutoff)
        if not close:
            return ()
        return (by_full[close[0]],) if close[0] in by_full else tuple(sorted(parts[close[0]]))

    def agent_words(self) -> set[str]:
        return {part for agent in self.agents for part in agent.lower().split()}

    def match_topic(self, typed: str, known: tuple[str, ...], cutoff: float = 0.85) -> str | None:
        names = {t.replace("_", " "): t for t in (*self.topics, *known)}
        typed = typed.lower().replace("_", " ")
        for candidate in (typed, typed.removesuffix("s")):
            if candidate in names:
                return names[candidate]
        close = difflib.get_close_matches(typed, list(names), n=1, cutoff=cutoff)
        return names[close[0]] if close else None
