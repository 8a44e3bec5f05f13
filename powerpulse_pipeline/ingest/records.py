"""What a parsed export yields: normalised messages plus an account of what was skipped."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from ..warehouse.tables import RAW_MESSAGES

CUSTOMER = "customer"
AGENT = "agent"


class RejectedFile(ValueError):
    """The whole file is unusable; the message says what is wrong and where."""


def has_lone_surrogate(*texts: str | None) -> bool:
    """JSON may escape half of a UTF-16 pair (\\ud800); such text cannot be stored."""
    try:
        "".join(t for t in texts if t).encode("utf-8")
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


RAW_MESSAGE_FIELDS = tuple(RawMessage.__dataclass_fields__)
# The parsed columns: raw_messages' own, less what storing adds (file, time).
RAW_MESSAGE_SCHEMA = pa.schema(
    [f for f in RAW_MESSAGES.arrow_schema() if f.name in RAW_MESSAGE_FIELDS]
)


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


class MessageColumns:
    """Parsed messages column by column, moved to Arrow every FLUSH_ROWS rows: a million
    messages cost a few Arrow buffers, not a million Python objects."""

    FLUSH_ROWS = 50_000

    def __init__(self, schema: pa.Schema | None = None) -> None:
        self.schema = schema or RAW_MESSAGE_SCHEMA
        self.batches: list[pa.RecordBatch] = []
        self._flushed = 0
        self._reset()

    def _reset(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in RAW_MESSAGE_FIELDS}
        (
            self._chat_id,
            self._message_key,
            self._message_id,
            self._sent_at,
            self._sender_role,
            self._sender_name,
            self._agent_name,
            self._text,
            self._marked_bot,
        ) = (column.append for column in self.columns.values())

    def append(
        self,
        chat_id: str,
        message_key: str,
        message_id: str | None,
        sent_at: datetime,
        sender_role: str,
        sender_name: str | None,
        agent_name: str | None,
        text: str | None,
        marked_bot: bool,
    ) -> None:
        self._chat_id(chat_id)
        self._message_key(message_key)
        self._message_id(message_id)
        self._sent_at(sent_at)
        self._sender_role(sender_role)
        self._sender_name(sender_name)
        self._agent_name(agent_name)
        self._text(text)
        self._marked_bot(marked_bot)
        if len(self.columns["chat_id"]) >= self.FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        pending = len(self.columns["chat_id"])
        if pending:
            self.batches.append(pa.RecordBatch.from_pydict(self.columns, schema=self.schema))
            self._flushed += pending
            self._reset()

    def __len__(self) -> int:
        return self._flushed + len(self.columns["chat_id"])

    def to_table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self.batches, schema=self.schema)

    def rows(self) -> list[RawMessage]:
        table = self.to_table()
        return [RawMessage(**row) for row in table.to_pylist()]


@dataclass
class ParseResult:
    format: str
    columns: MessageColumns = field(default_factory=MessageColumns)
    threads: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_skip_location: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[RawMessage]:
        """As objects, for tests and small files; the pipeline uses `columns`."""
        return self.columns.rows()

    def skip(self, reason: str, location: str, count: int = 1) -> None:
        self.skipped[reason] += count
        self.first_skip_location.setdefault(reason, location)

    def skipped_summary(self) -> list[str]:
        return [
            f"{count} x {reason} (first at {self.first_skip_location[reason]})"
            for reason, count in self.skipped.most_common()
        ]
