"""A grouped export is read one thread at a time from its bytes; whatever the document, the
result (messages, skips, warnings) or the rejection is exactly that of reading it whole."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.ingest import formats
from powerpulse_pipeline.ingest.records import ParseResult, RejectedFile

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], max_codepoint=0x1F64F), max_size=12
)
MESSAGE = st.fixed_dictionaries(
    {"timestamp_ms": st.integers(1_600_000_000_000, 1_700_000_000_000)},
    optional={
        "message_id": TEXT,
        "text": TEXT,
        "role": st.sampled_from(["user", "page", "bot", "x"]),
        "agent_name": TEXT,
    },
)
THREAD = st.one_of(st.lists(MESSAGE, max_size=4), TEXT, st.integers())
KEY = st.one_of(TEXT, st.sampled_from(["data", "messages", "participants", "é😀"]))


def whole(raw: bytes) -> Any:
    """The reference: json.loads of the whole text, then the same field rules."""
    if not raw.strip():
        return "rejected"  # an empty file is refused before any parsing
    try:
        text = raw.decode("utf-8-sig")
        document = json.loads(text, parse_int=formats._parse_int)
        result, candidates = formats._parse_document(document, frozenset())
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RejectedFile as exc:
        return str(exc)
    formats._resolve_sides(candidates, frozenset(), result)
    for cand in candidates:
        formats._keep(cand, result)
    return summary(result) if len(result.columns) else "rejected"


def summary(result: ParseResult) -> Any:
    return (
        result.format,
        result.threads,
        sorted(map(repr, result.messages)),
        dict(result.skipped),
        result.first_skip_location,
        result.warnings,
    )


def streamed(raw: bytes) -> Any:
    try:
        return summary(formats.parse_export(raw))
    except RejectedFile as exc:
        message = str(exc)
        return message if message.startswith("not valid JSON") else "rejected"


def document_bytes(members: list[tuple[str, Any]], ascii_only: bool, spaces: bool) -> bytes:
    """Members written in order, duplicates kept (json.dumps of a dict cannot)."""
    sep = ", " if spaces else ","
    colon = ": " if spaces else ":"
    body = sep.join(
        json.dumps(k, ensure_ascii=ascii_only) + colon + json.dumps(v, ensure_ascii=ascii_only)
        for k, v in members
    )
    return ("{" + body + "}").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(st.tuples(KEY, THREAD), max_size=4),
    ascii_only=st.booleans(),
    spaces=st.booleans(),
    cut=st.one_of(st.none(), st.integers(0, 400)),
)
def test_streaming_reads_exactly_what_the_whole_document_gives(
    members: list[tuple[str, Any]], ascii_only: bool, spaces: bool, cut: int | None
) -> None:
    raw = document_bytes(members, ascii_only, spaces)
    if cut is not None:
        raw = raw[:cut]  # a truncated copy: the JSON error, at the same line and column
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return  # cut inside a character: not UTF-8, rejected before any parsing
    expected = whole(raw)
    found = streamed(raw)
    if isinstance(expected, str) and not expected.startswith("not valid JSON"):
        expected = "rejected"
    assert found == expected


def test_threads_longer_than_the_read_window_and_characters_across_its_edge() -> None:
    messages = [
        {"timestamp_ms": 1_650_000_000_000 + i, "role": "user", "text": "x" * i + "é😀"}
        for i in range(800)
    ]
    for shift in range(4):  # moves the multi-byte characters across the window's edge
        members = [("ascii", [{"timestamp_ms": 1_650_000_000_000, "text": "a" * shift}])]
        members += [("é", messages), ("t2", messages[:3]), ("plain", messages[:1])]
        raw = document_bytes(members, ascii_only=False, spaces=True)
        assert len(raw) > 4 * formats._Values.WINDOW
        assert streamed(raw) == whole(raw) != "rejected"
        broken = raw[: len(raw) // 2] + b"\x01" + raw[len(raw) // 2 :]
        assert streamed(broken) == whole(broken)
        assert str(whole(broken)).startswith("not valid JSON")
