"""Detect which of the three export formats a file is, and parse it (DESIGN.md section 3).

`parse_export` never raises for a bad message (it is skipped and counted); it raises
`RejectedFile` only when the file as a whole is unusable, saying what is wrong and where.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from json.decoder import scanstring
from typing import Any

from . import fields
from .records import (
    AGENT,
    CUSTOMER,
    ParseResult,
    RejectedFile,
    has_lone_surrogate,
    message_key,
    printable,
)

GROUPED = "grouped"
DYI = "messenger_dyi"
GRAPH = "graph_api"

NO_TIME = "message has no usable time"

_SHAPES_HELP = (
    "expected one of: an object of thread id -> array of messages; a Messenger "
    "'Download Your Information' thread (participants + messages); or a Graph API "
    "conversations response (data[].messages.data[])"
)


@dataclass(slots=True)
class _Candidate:
    chat_id: str
    where: str  # JSON path of the array holding it
    index: int
    sent_at: datetime
    text: str | None
    message_id: str | None
    identities: tuple[str, ...]
    display_name: str | None
    agent_name: str | None
    side: str | None
    marked_bot: bool
    side_from_page_name: bool = False
    recipients: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        return f"{self.where}[{self.index}]"


def parse_export(
    raw: bytes, page_names: tuple[str, ...] = (), page_ids: tuple[str, ...] = ()
) -> ParseResult:
    """`page_ids` are the synced Pages' ids (POWERPULSE_FB_PAGE_IDS): a message from one is
    the business's, a message to one is the customer's, whatever else is configured."""
    if not raw.strip():
        raise RejectedFile(f"the file is empty ({len(raw)} bytes)")
    body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    _check_utf8(body)
    names = frozenset(name.casefold() for name in page_names)
    try:
        try:
            # The grouped format, by far the largest, is read one thread at a time: memory
            # holds the file's bytes once and one thread's objects, not a decoded copy of
            # the whole file (four bytes a character as soon as it holds one emoji) and
            # every thread's objects.
            result, candidates = _parse_grouped(_top_level_members(body))
        except _NotGrouped:
            result, candidates = _parse_document(_DECODER.decode(body.decode("utf-8")), names)
    except _ByteOffsetError as exc:
        line_start = body.rfind(b"\n", 0, exc.pos) + 1
        column = len(body[line_start : exc.pos].decode("utf-8", "replace")) + 1
        line = body.count(b"\n", 0, exc.pos) + 1
        raise RejectedFile(f"not valid JSON: {exc.msg} at line {line} column {column}") from exc
    except json.JSONDecodeError as exc:
        raise RejectedFile(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise RejectedFile(
            "the JSON is nested too deeply to read (arrays or objects inside each other "
            "hundreds of levels deep); no chat export looks like this"
        ) from exc

    if not candidates and not result.columns:
        checked = sum(result.skipped.values())
        where = "; ".join(result.skipped_summary()) or "the file holds no messages"
        if set(result.skipped) - {NO_TIME}:
            raise RejectedFile(f"no usable message ({checked} messages checked: {where})")
        raise RejectedFile(
            f"no message with a usable time ({checked} messages checked: {where}); a message "
            "needs timestamp/created_time/sent_at (ISO 8601 or epoch s/ms) or timestamp_ms"
        )
    _sides_from_page_ids(candidates, frozenset(page_ids))
    _resolve_sides(candidates, names, result)
    for cand in candidates:
        _keep(cand, result)
    if not result.columns:
        raise RejectedFile(
            "no message says which side sent it: "
            + "; ".join(result.skipped_summary())
            + ". Set POWERPULSE_PAGE_NAMES to the Page's sender names or ids"
        )
    return result


def _parse_document(document: Any, names: frozenset[str]) -> tuple[ParseResult, list[_Candidate]]:
    """The whole-document reading, for every format (and the reference for streaming)."""
    fmt = detect_format(document)
    if fmt == DYI:
        return _parse_dyi(document, names)
    if fmt == GRAPH:
        return _parse_graph(document)
    return _parse_grouped(iter(document.items()))


def _keep(cand: _Candidate, result: ParseResult) -> None:
    """Store a candidate whose side is known (those still unknown are skipped, counted)."""
    if cand.side is None:
        return
    agent_name = cand.agent_name
    if (
        agent_name is None
        and cand.side == AGENT
        and not cand.marked_bot
        and not cand.side_from_page_name
    ):
        agent_name = cand.display_name
    result.columns.append(
        cand.chat_id,
        message_key(cand.chat_id, cand.message_id, cand.sent_at, cand.side, cand.text),
        cand.message_id,
        cand.sent_at,
        cand.side,
        cand.display_name,
        agent_name,
        cand.text,
        cand.marked_bot,
    )


class _NotGrouped(Exception):
    """The document must be read whole: another format, or a shape streaming would change."""


_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Top-level keys that may make a document a DYI thread or a Graph API response.
_OTHER_FORMAT_KEYS = frozenset({"participants", "messages", "data"})


class _ByteOffsetError(ValueError):
    """A JSON error found while streaming; `pos` is a byte offset into the file."""

    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = pos


_UTF8_CHUNK = 1 << 24
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _check_utf8(body: bytes) -> None:
    """Reject a file that is not UTF-8, without keeping a decoded copy of it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(body), _UTF8_CHUNK):
        try:
            decoder.decode(body[start : start + _UTF8_CHUNK])
        except UnicodeDecodeError as exc:
            raise RejectedFile(
                f"not UTF-8 text: invalid byte at offset {start + exc.start}"
            ) from exc
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise RejectedFile(f"not UTF-8 text: invalid byte at offset {exc.start}") from exc


def _top_level_members(body: bytes) -> Iterator[tuple[str, Any]]:
    """(key, value) of the top-level object, one at a time, as json.loads would read them.

    The structure is read from the bytes seen as latin-1 (one character a byte, so offsets
    are byte offsets and the text costs one byte a byte); a value near non-ASCII bytes is
    read from its own bytes as UTF-8 (_Values), so every string is exactly what json.loads
    gives. Raises _NotGrouped (before yielding a first member that is not a
    thread) when the document is not a plain grouped export, so it is read whole instead.
    """
    text = body.decode("latin-1")
    try:
        yield from _members(text, body)
    except json.JSONDecodeError as exc:
        raise _ByteOffsetError(exc.msg, exc.pos) from exc


class _Values:
    """Reads the JSON value at a byte offset. Pure-ASCII stretches are read from the latin-1
    text directly; a value with non-ASCII bytes is read once, from its bytes as UTF-8 (a
    window that grows until it holds the whole value)."""

    WINDOW = 1 << 15  # an ASCII stretch this long is read straight from the latin-1 text
    FIRST_READ = 1 << 12  # a thread is a few kB: decode that much first, double if short

    def __init__(self, text: str, body: bytes) -> None:
        self.text = text
        self.body = body
        self.next_non_ascii = -1  # cached: searching again from every value would be quadratic

    def _non_ascii_after(self, start: int) -> int:
        if self.next_non_ascii < start:
            found = _NON_ASCII.search(self.text, start)
            self.next_non_ascii = found.start() if found else len(self.text)
        return self.next_non_ascii

    def read(self, start: int) -> tuple[Any, int]:
        if self._non_ascii_after(start) - start > self.WINDOW:
            value, end = _DECODER.raw_decode(self.text, start)
            if self._non_ascii_after(start) >= end:
                return value, end
        return self._read_utf8(start)

    def _read_utf8(self, start: int) -> tuple[Any, int]:
        body = self.body
        size = self.FIRST_READ
        while True:
            end = min(len(body), start + size)
            while end < len(body) and 0x80 <= body[end] < 0xC0:
                end -= 1  # never cut a character in two
            window = body[start:end].decode("utf-8")
            complete = end == len(body)
            try:
                value, chars = _DECODER.raw_decode(window)
            except json.JSONDecodeError:
                if complete:
                    # a real error: read it where json.loads would, as a byte offset
                    return _DECODER.raw_decode(self.text, start)
                size *= 2
                continue
            if chars < len(window) or complete:  # the value ended inside the window
                return value, start + len(window[:chars].encode("utf-8"))
            size *= 2


def _members(text: str, body: bytes) -> Iterator[tuple[str, Any]]:
    values = _Values(text, body)
    index = _WHITESPACE.match(text, 0).end()
    if not text.startswith("{", index):
        raise _NotGrouped
    seen: set[str] = set()
    index = _WHITESPACE.match(text, index + 1).end()
    if text.startswith("}", index):
        raise _NotGrouped  # an empty object: rejected by the whole-document path
    while True:
        if not text.startswith('"', index):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index
            )
        key_start = index
        key, index = scanstring(text, index + 1)
        if _NON_ASCII.search(text, key_start, index):
            key = scanstring(body[key_start:index].decode("utf-8"), 1)[0]
        if key in seen or key in _OTHER_FORMAT_KEYS:
            raise _NotGrouped  # duplicate keys and format markers: json.loads decides
        seen.add(key)
        index = _WHITESPACE.match(text, index).end()
        if not text.startswith(":", index):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _WHITESPACE.match(text, index + 1).end()
        value, index = values.read(index)
        if len(seen) == 1 and not isinstance(value, list):
            raise _NotGrouped
        yield key, value
        index = _WHITESPACE.match(text, index).end()
        if text.startswith(",", index):
            index = _WHITESPACE.match(text, index + 1).end()
            continue
        if text.startswith("}", index):
            break
        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
    end = _WHITESPACE.match(text, index + 1).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)


class HugeNumber:
    """An integer too long for Python to convert: kept as a marker, never used as a value."""


# Python refuses int() of more than 4300 digits; no time or id is anywhere near that.
_MAX_INT_DIGITS = 1000


def _parse_int(literal: str) -> int | HugeNumber:
    return int(literal) if len(literal) <= _MAX_INT_DIGITS else HugeNumber()


_DECODER = json.JSONDecoder(parse_int=_parse_int)


def detect_format(document: Any) -> str:
    if isinstance(document, dict):
        if isinstance(document.get("participants"), list) and isinstance(
            document.get("messages"), list
        ):
            return DYI
        data = document.get("data")
        if isinstance(data, list) and (
            not data or all(isinstance(item, dict) and "messages" in item for item in data)
        ):
            return GRAPH
        if document and any(isinstance(value, list) for value in document.values()):
            return GROUPED
        keys = ", ".join(repr(key) for key in list(document)[:5]) or "none"
        raise RejectedFile(
            f"unrecognised shape: a JSON object whose keys ({keys}) hold no message arrays; "
            + _SHAPES_HELP
        )
    kind = type(document).__name__
    kind = {"list": "array", "str": "string", "int": "number", "float": "number"}.get(kind, kind)
    raise RejectedFile(f"unrecognised shape: the top level is a JSON {kind}; " + _SHAPES_HELP)


def _candidate(
    msg: Any, chat_id: str, where: str, index: int, result: ParseResult, repair: bool = False
) -> _Candidate | None:
    if not isinstance(msg, dict):
        result.skip("message is not a JSON object", f"{where}[{index}]")
        return None
    sent_at = fields.message_time(msg)
    if sent_at is None:
        result.skip(NO_TIME, f"{where}[{index}]")
        return None
    text = fields.message_text(msg)
    display = fields.sender_display_name(msg)
    if repair:
        text = fields.repair_mojibake(text) if text else text
        display = fields.repair_mojibake(display) if display else display
    explicit = fields.explicit_side(msg)
    identities = fields.sender_identities(msg)
    cand = _Candidate(
        chat_id=chat_id,
        where=where,
        index=index,
        sent_at=sent_at,
        text=text,
        message_id=fields.message_id(msg),
        identities=tuple(fields.repair_mojibake(i) for i in identities) if repair else identities,
        display_name=display,
        agent_name=fields.explicit_agent_name(msg),
        side=explicit[0] if explicit else None,
        marked_bot=explicit[1] if explicit else False,
        recipients=fields.recipient_ids(msg),
    )
    if has_lone_surrogate(
        chat_id, text, cand.message_id, display, cand.agent_name, *cand.identities
    ):
        result.skip(
            "text, id or name holds a lone UTF-16 surrogate (broken \\u escape)",
            f"{where}[{index}]",
        )
        return None
    return cand


def _parse_grouped(
    members: Iterator[tuple[str, Any]],
) -> tuple[ParseResult, list[_Candidate]]:
    """Messages whose side the export states go straight to columns; the rest wait for
    _resolve_sides, which needs every thread."""
    result = ParseResult(format=GROUPED)
    undecided: list[_Candidate] = []
    for chat_id, thread in members:
        where = f"$[{printable(json.dumps(chat_id, ensure_ascii=False))}]"
        if not isinstance(thread, list):
            result.skip("thread is not an array of messages", where)
            continue
        result.threads += 1
        chat = str(chat_id)
        for index, msg in enumerate(thread):
            cand = _candidate(msg, chat, where, index, result)
            if cand is None:
                continue
            if cand.side is None:
                undecided.append(cand)
            else:
                _keep(cand, result)
    return result, undecided


def _parse_graph(document: dict[str, Any]) -> tuple[ParseResult, list[_Candidate]]:
    result = ParseResult(format=GRAPH)
    candidates: list[_Candidate] = []
    for index, conversation in enumerate(document["data"]):
        where = f"$.data[{index}]"
        messages = conversation.get("messages")
        if isinstance(messages, dict):
            messages = messages.get("data")
        chat_id = conversation.get("id")
        if not isinstance(messages, list) or not isinstance(chat_id, str | int) or chat_id == "":
            result.skip("conversation has no id or no messages.data array", where)
            continue
        result.threads += 1
        for m_index, msg in enumerate(messages):
            cand = _candidate(msg, str(chat_id), f"{where}.messages.data", m_index, result)
            if cand:
                candidates.append(cand)
    return result, candidates


def _parse_dyi(
    document: dict[str, Any], page_names: frozenset[str]
) -> tuple[ParseResult, list[_Candidate]]:
    result = ParseResult(format=DYI, threads=1)
    participants = [
        fields.repair_mojibake(p["name"])
        for p in document["participants"]
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    ]
    chat_id = document.get("thread_path")
    if not isinstance(chat_id, str) or not chat_id:
        chat_id = "dyi:" + "|".join(sorted(participants))
    candidates = [
        cand
        for index, msg in enumerate(document["messages"])
        if (cand := _candidate(msg, chat_id, "$.messages", index, result, repair=True))
    ]
    senders = sorted({c.display_name for c in candidates if c.display_name})
    business = {name for name in senders if name.casefold() in page_names}
    if not business:
        title = document.get("title")
        title = fields.repair_mojibake(title) if isinstance(title, str) else None
        others = [p for p in participants if p != title]
        # In a Page's own export the thread title is the customer: the other participant
        # is the Page. Only trusted when that leaves exactly one candidate.
        if title in participants and len(participants) == 2 and len(others) == 1:
            business = {others[0]}
            if page_names:
                result.warnings.append(
                    f"no sender matched POWERPULSE_PAGE_NAMES; took {others[0]!r} as the Page "
                    f"because the thread title names the other participant"
                )
    if not business and candidates:
        raise RejectedFile(
            "cannot tell which participant is the business Page in this Messenger thread "
            f"(senders: {', '.join(senders) or 'none'}); "
            "set POWERPULSE_PAGE_NAMES to the Page's name"
        )
    for cand in candidates:
        if cand.side is None:
            cand.side = AGENT if cand.display_name in business else CUSTOMER
            cand.side_from_page_name = True
    return result, candidates


def _sides_from_page_ids(candidates: list[_Candidate], page_ids: frozenset[str]) -> None:
    if not page_ids:
        return
    for cand in candidates:
        if cand.side is not None:
            continue
        if page_ids.intersection(cand.identities):
            cand.side = AGENT
        elif page_ids.intersection(cand.recipients):
            cand.side = CUSTOMER
        else:
            continue
        cand.side_from_page_name = True


def _resolve_sides(
    candidates: list[_Candidate], page_names: frozenset[str], result: ParseResult
) -> None:
    unresolved = [c for c in candidates if c.side is None]
    if not unresolved:
        return
    if page_names:
        matched_any = False
        for cand in unresolved:
            is_page = fields.matches_page(cand.identities, page_names)
            matched_any = matched_any or is_page
            cand.side = AGENT if is_page else CUSTOMER
            cand.side_from_page_name = True
        if not matched_any:
            result.warnings.append(
                "no sender matched POWERPULSE_PAGE_NAMES: every such message was taken as "
                "the customer's"
            )
        return
    # No names configured: the Page is the sender present in the most threads (in every
    # thread, in a clean export), provided it is a clear winner over at least 2 threads.
    per_thread: dict[str, set[str]] = {}
    for cand in unresolved:
        per_thread.setdefault(cand.chat_id, set()).update(cand.identities)
    page = _most_common_sender(per_thread)
    for cand in unresolved:
        if page is None or not cand.identities:
            result.skip(
                "sender side unknown (no role/is_echo/from_page, POWERPULSE_PAGE_NAMES is "
                "empty, and no sender stands out across threads)",
                cand.location,
            )
            continue
        cand.side = AGENT if page & set(cand.identities) else CUSTOMER
        cand.side_from_page_name = True


def _most_common_sender(per_thread: dict[str, set[str]]) -> frozenset[str] | None:
    """The identities (id and name) of the sender seen in the most threads, if unambiguous."""
    counts: Counter[str] = Counter()
    for identities in per_thread.values():
        counts.update(identities)
    if not counts:
        return None
    top = max(counts.values())
    leaders = frozenset(identity for identity, count in counts.items() if count == top)
    # Several leaders are one sender only when they always appear together (its id and name).
    together = all(leaders <= ids or not leaders & ids for ids in per_thread.values())
    return leaders if top >= 2 and together else None
