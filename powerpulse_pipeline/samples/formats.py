"""Write generated threads in the three export formats of DESIGN.md section 3."""

from __future__ import annotations

import json
import zlib
from datetime import UTC
from typing import Any

from .dialogues import Thread

PAGE_NAME = "Brightwave Energy & Fibre"
PAGE_ID = "104729358211"


def grouped_export(threads: list[Thread]) -> dict[str, list[dict[str, Any]]]:
    """The primary format, with the field aliases real exporters use, in mixed spellings."""
    document: dict[str, list[dict[str, Any]]] = {}
    for t_index, thread in enumerate(threads):
        messages = []
        for index, line in enumerate(thread.lines):
            msg: dict[str, Any] = {"message_id": f"m_{thread.chat_id}_{index}"}
            if t_index % 2:
                msg["timestamp"] = line.sent_at.astimezone(UTC).isoformat()
                msg["text"] = line.text
                msg["sender_type"] = "bot" if line.bot else line.role
            else:
                msg["timestamp_ms"] = int(line.sent_at.timestamp() * 1000)
                msg["message"] = line.text
                msg["role"] = "bot" if line.bot else ("user" if line.role == "customer" else "page")
            if line.agent:
                msg["agent_name"] = line.agent
            messages.append(msg)
        document[thread.chat_id] = messages
    return document


def _mojibake(text: str) -> str:
    """How DYI exports escape text: UTF-8 bytes written as latin-1 code points."""
    return text.encode("utf-8").decode("latin-1")


def dyi_thread(thread: Thread, page_name: str = PAGE_NAME) -> dict[str, Any]:
    """A Page's "Download Your Information" message_1.json: newest first, mojibake text."""
    messages = [
        {
            "sender_name": _mojibake(page_name if line.role == "agent" else thread.customer),
            "timestamp_ms": int(line.sent_at.timestamp() * 1000),
            "content": _mojibake(line.text),
            "is_geoblocked_for_viewer": False,
        }
        for line in sorted(thread.lines, key=lambda line: line.sent_at, reverse=True)
    ]
    return {
        "participants": [{"name": _mojibake(thread.customer)}, {"name": _mojibake(page_name)}],
        "messages": messages,
        "title": _mojibake(thread.customer),
        "is_still_participant": True,
        "thread_type": "Regular",
        "thread_path": f"inbox/{thread.chat_id}",
        "magic_words": [],
    }


def graph_api_export(threads: list[Thread]) -> dict[str, Any]:
    """GET /{page-id}/conversations?fields=messages{message,from,created_time}."""
    data = []
    for thread in threads:
        customer_id = str(10**14 + zlib.crc32(thread.customer.encode()))
        data.append(
            {
                "id": f"t_{thread.chat_id}",
                "messages": {
                    "data": [
                        {
                            "id": f"m_{thread.chat_id}_{index}",
                            "message": line.text,
                            "from": (
                                {"id": PAGE_ID, "name": PAGE_NAME}
                                if line.role == "agent"
                                else {"id": customer_id, "name": thread.customer}
                            ),
                            "created_time": line.sent_at.astimezone(UTC).strftime(
                                "%Y-%m-%dT%H:%M:%S+0000"
                            ),
                        }
                        for index, line in reversed(list(enumerate(thread.lines)))
                    ]
                },
            }
        )
    return {"data": data, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIUm"}}}


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)
