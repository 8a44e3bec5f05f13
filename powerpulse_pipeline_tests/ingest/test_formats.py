"""Every input format, field alias and rejection of DESIGN.md section 3, by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from powerpulse_pipeline.ingest.formats import DYI, GRAPH, GROUPED, parse_export
from powerpulse_pipeline.ingest.records import RejectedFile

from ..conftest import SHARED_DATA


def parse(document: object, page_names: tuple[str, ...] = ()):
    return parse_export(json.dumps(document, ensure_ascii=False).encode(), page_names)


def test_grouped_time_formats_and_aliases() -> None:
    doc = {
        "FB1": [
            {"timestamp": "2024-05-01T10:00:00+02:00", "text": "a", "sender_type": "customer"},
            {"created_time": "2024-05-01T09:00:00", "message": "b", "role": "page"},
            {"sent_at": "2024-05-01T09:30:00Z", "content": "c", "role": "user"},
            {"timestamp_ms": 1714557600000, "text": "d", "role": "agent"},
            {"timestamp": 1714557660, "text": "e", "role": "customer"},
            {"timestamp": 1714557720000, "text": "f", "role": "business"},
            {"timestamp": "1714557780", "text": "g", "role": "customer"},
        ]
    }
    result = parse(doc)
    assert result.format == GROUPED
    times = {m.text: m.sent_at for m in result.messages}
    assert times["a"] == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)  # offset honoured
    assert times["b"] == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # naive means UTC
    assert times["c"] == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert times["d"] == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # epoch ms field
    assert times["e"] == datetime(2024, 5, 1, 10, 1, tzinfo=UTC)  # epoch seconds
    assert times["f"] == datetime(2024, 5, 1, 10, 2, tzinfo=UTC)  # epoch ms number
    assert times["g"] == datetime(2024, 5, 1, 10, 3, tzinfo=UTC)  # numeric string
    roles = {m.text: m.sender_role for m in result.messages}
    assert roles == {
        "a": "customer",
        "b": "agent",
        "c": "customer",
        "d": "agent",
        "e": "customer",
        "f": "agent",
        "g": "customer",
    }


def test_grouped_side_flags_bots_and_agent_names() -> None:
    doc = {
        "FB1": [
            {"mid": "m1", "timestamp": "2024-05-01T10:00:00Z", "text": "hi", "is_echo": False},
            {
                "mid": "m2",
                "timestamp": "2024-05-01T10:00:01Z",
                "text": "auto",
                "is_echo": True,
                "app_id": 263902037430900,
            },
            {
                "mid": "m3",
                "timestamp": "2024-05-01T10:05:00Z",
                "text": "hello",
                "is_echo": True,
                "agent": {"name": "Maria"},
            },
            {"id": "m4", "timestamp": "2024-05-01T10:06:00Z", "text": "ok", "from_page": False},
            {
                "message_id": "m5",
                "timestamp": "2024-05-01T10:07:00Z",
                "text": "bye",
                "from_page": True,
                "agent_name": "Tom",
            },
            {
                "message_id": "m6",
                "timestamp": "2024-05-01T10:08:00Z",
                "text": "menu",
                "sender_type": "bot",
            },
        ]
    }
    result = parse(doc)
    by_id = {m.message_id: m for m in result.messages}
    assert [by_id[i].sender_role for i in ("m1", "m2", "m3", "m4", "m5", "m6")] == [
        "customer",
        "agent",
        "agent",
        "customer",
        "agent",
        "agent",
    ]
    assert by_id["m2"].marked_bot and by_id["m6"].marked_bot
    assert not by_id["m3"].marked_bot
    assert by_id["m3"].agent_name == "Maria" and by_id["m5"].agent_name == "Tom"
    assert by_id["m1"].message_key == "id:m1"


def test_grouped_sides_from_page_names() -> None:
    doc = {
        "T1": [
            {"timestamp": "2024-05-01T10:00:00Z", "text": "q", "from": {"id": "42", "name": "Ann"}},
            {"timestamp": "2024-05-01T10:01:00Z", "text": "a", "from": {"id": "7", "name": "Acme"}},
            {"timestamp": "2024-05-01T10:02:00Z", "text": "x", "sender_name": "Ann"},
            {"timestamp": "2024-05-01T10:03:00Z", "text": "y", "sender_id": "7"},
            {"timestamp": "2024-05-01T10:04:00Z", "text": "z", "from": "acme"},
        ]
    }
    result = parse(doc, page_names=("ACME", "7"))
    assert [m.sender_role for m in result.messages] == [
        "customer",
        "agent",
        "customer",
        "agent",
        "agent",
    ]
    # A message from the Page itself names no human agent.
    assert all(m.agent_name is None for m in result.messages)


def test_grouped_without_side_info_uses_sender_seen_in_most_threads() -> None:
    doc = {
        f"T{i}": [
            {"timestamp": f"2024-05-0{i}T10:00:00Z", "text": "q", "sender_name": f"Cust{i}"},
            {"timestamp": f"2024-05-0{i}T10:05:00Z", "text": "a", "sender_name": "Acme Page"},
        ]
        for i in (1, 2, 3)
    }
    doc["T4"] = [{"timestamp": "2024-05-04T10:00:00Z", "text": "unanswered", "sender_name": "C4"}]
    result = parse(doc)
    assert {(m.chat_id, m.text): m.sender_role for m in result.messages}[
        ("T4", "unanswered")
    ] == "customer"
    assert sum(m.sender_role == "agent" for m in result.messages) == 3


def test_single_thread_without_any_side_info_is_rejected_with_advice() -> None:
    doc = {"T1": [{"timestamp": "2024-05-01T10:00:00Z", "text": "q", "sender_name": "Ann"}]}
    with pytest.raises(RejectedFile, match="POWERPULSE_PAGE_NAMES"):
        parse(doc)


def test_bad_messages_are_skipped_and_counted_with_their_location() -> None:
    doc = {
        "T1": [
            {"timestamp": "2024-05-01T10:00:00Z", "text": "ok", "role": "customer"},
            {"timestamp": "yesterday", "text": "bad time", "role": "customer"},
            "not an object",
            {"text": "no time at all", "role": "customer"},
        ],
        "T2": "not a list",
    }
    result = parse(doc)
    assert [m.text for m in result.messages] == ["ok"]
    assert result.skipped["message has no usable time"] == 2
    assert result.first_skip_location["message has no usable time"] == '$["T1"][1]'
    assert result.skipped["message is not a JSON object"] == 1
    assert result.first_skip_location["thread is not an array of messages"] == '$["T2"]'


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def test_dyi_thread_repairs_mojibake_orders_and_finds_the_page_by_title() -> None:
    doc = {
        "participants": [{"name": mojibake("Zoë Ødegaard")}, {"name": "Acme Energy"}],
        "messages": [
            {
                "sender_name": "Acme Energy",
                "timestamp_ms": 1714557900000,
                "content": mojibake("Gern geschehen 😊"),
            },
            {
                "sender_name": mojibake("Zoë Ødegaard"),
                "timestamp_ms": 1714557600000,
                "content": mojibake("I’m without power ⚡"),
            },
            {
                "sender_name": mojibake("Zoë Ødegaard"),
                "timestamp_ms": 1714557500000,
                "photos": [{"uri": "x.jpg"}],
            },
        ],
        "title": mojibake("Zoë Ødegaard"),
        "thread_path": "inbox/zoe_123",
    }
    raw = ("\ufeff" + json.dumps(doc)).encode("utf-8")  # real exports may carry a BOM
    result = parse_export(raw)
    assert result.format == DYI
    ordered = sorted(result.messages, key=lambda m: m.sent_at)
    assert [m.text for m in ordered] == [None, "I’m without power ⚡", "Gern geschehen 😊"]
    assert [m.sender_role for m in ordered] == ["customer", "customer", "agent"]
    assert ordered[1].sender_name == "Zoë Ødegaard"
    assert {m.chat_id for m in ordered} == {"inbox/zoe_123"}


def test_dyi_page_names_win_over_the_title() -> None:
    doc = {
        "participants": [{"name": "Ann"}, {"name": "Acme"}],
        "messages": [
            {"sender_name": "Ann", "timestamp_ms": 1714557600000, "content": "q"},
            {"sender_name": "Acme", "timestamp_ms": 1714557700000, "content": "a"},
        ],
        "title": "Something else",
    }
    with pytest.raises(RejectedFile, match="cannot tell which participant"):
        parse(doc)
    result = parse(doc, page_names=("acme",))
    assert {m.text: m.sender_role for m in result.messages} == {"q": "customer", "a": "agent"}
    assert result.messages[0].chat_id == "dyi:Acme|Ann"


@pytest.mark.skipif(not (SHARED_DATA / "messenger-dyi-fixture").exists(), reason="no shared data")
def test_real_dyi_fixture_from_shared_data() -> None:
    raw = (SHARED_DATA / "messenger-dyi-fixture" / "2A_7M.json").read_bytes()
    result = parse_export(raw)  # title "Alice": Bob owns the export
    assert result.format == DYI and len(result.messages) == 7
    assert {m.sender_name: m.sender_role for m in result.messages} == {
        "Alice": "customer",
        "Bob": "agent",
    }
    assert sum(m.text is None for m in result.messages) == 4  # media-only messages kept


def test_graph_api_response() -> None:
    doc = {
        "data": [
            {
                "id": "t_100",
                "messages": {
                    "data": [
                        {
                            "id": "m_2",
                            "message": "We fixed it",
                            "from": {"id": "900", "name": "Acme"},
                            "created_time": "2024-05-01T10:05:00+0000",
                        },
                        {
                            "id": "m_1",
                            "message": "Broken",
                            "from": {"id": "1", "name": "Ann"},
                            "created_time": "2024-05-01T10:00:00+0000",
                        },
                    ]
                },
            },
            {
                "id": "t_200",
                "messages": {
                    "data": [
                        {
                            "id": "m_4",
                            "message": "Hi",
                            "from": {"id": "900", "name": "Acme"},
                            "created_time": "2024-05-02T11:00:00+0000",
                        },
                        {
                            "id": "m_3",
                            "message": "Help",
                            "from": {"id": "2", "name": "Bo"},
                            "created_time": "2024-05-02T10:00:00+0000",
                        },
                    ]
                },
            },
        ],
        "paging": {},
    }
    result = parse(doc)
    assert result.format == GRAPH and result.threads == 2
    assert {m.message_id: m.sender_role for m in result.messages} == {
        "m_1": "customer",
        "m_2": "agent",
        "m_3": "customer",
        "m_4": "agent",
    }
    assert result.messages[0].sent_at == datetime(2024, 5, 1, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b'{"T1": [ {"timestamp": 1,', "not valid JSON: .* line 1 column"),
        (b"\xff\xfe\x00{", "not UTF-8"),
        (b"[1, 2, 3]", "top level is a JSON array"),
        (b'{"hello": "world"}', "keys \\('hello'\\) hold no message arrays"),
        (b'{"T1": [{"text": "no time", "role": "customer"}]}', "no message with a usable time"),
        (b'{"data": [{"id": "t1", "messages": {"data": []}}]}', "no message with a usable time"),
    ],
)
def test_unusable_files_are_rejected_saying_what_and_where(raw: bytes, expected: str) -> None:
    with pytest.raises(RejectedFile, match=expected):
        parse_export(raw)
