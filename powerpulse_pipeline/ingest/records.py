"""What a parsed export yields: normalised messages plus an account of what was skipped."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

CUSTOMER = "customer"
AGENT = "agent"


class RejectedFile(ValueError):
    """The whole file is unusable; the message says what is wrong and where."""


def has_lone_surrogate(text: str) -> bool:
    """JSON may escape half of a UTF-16 pair (\\ud800); such text cannot be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(text: str) -> str:
    """Text safe to store, log and write to a file: lone surrogates become \\udXXX escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class RawMessage:
    chat_id: str
    message_key: str
    message_id: str | None
    sent_at: datetime  # timezone-aware, UTC
    sender_role: str  # CUSTOMER | AGENT
    sender_name: str | None
    agent_name: str | None
    text: str | None
    marked_bot: bool  # the export itself says a bot or an app sent it


def message_key(
    chat_id: str, message_id: str | None, sent_at: datetime, role: str, text: str | None
) -> str:
    """Dedup identity inside a thread: the export's id, else time + side + text (DESIGN 5)."""
    if message_id:
        return f"id:{message_id}"
    digest = hashlib.sha1(
        f"{chat_id}\x1f{sent_at.isoformat()}\x1f{role}\x1f{text or ''}".encode()
    ).hexdigest()
    return f"h:{digest[:20]}"


@dataclass
class ParseResult:
    format: str
    messages: list[RawMessage] = field(default_factory=list)
    threads: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_skip_location: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, location: str, count: int = 1) -> None:
        self.skipped[reason] += count
        self.first_skip_location.setdefault(reason, location)

    def skipped_summary(self) -> list[str]:
        return [
            f"{count} x {reason} (first at {self.first_skip_location[reason]})"
            for reason, count in self.skipped.most_common()
        ]
