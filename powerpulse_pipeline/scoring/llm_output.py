"""The strict JSON schema sent to the model, and the check of what comes back."""

from __future__ import annotations

import json
import math
from typing import Any


class SchemaViolation(ValueError):
    """The reply is not JSON or breaks the schema; retried, then recorded as failed."""


def response_format(topics: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "conversation_score",
            "strict": True,
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "sentiment": {"type": "number", "description": "-1 to 1"},
                    "satisfaction": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
                    "resolved": {"type": "boolean"},
                    "topics": {"type": "array", "items": {"type": "string", "enum": list(topics)}},
                    "language": {"type": "string", "description": "ISO 639-1 code"},
                    "summary": {"type": "string"},
                },
                "required": [
                    "sentiment",
                    "satisfaction",
                    "resolved",
                    "topics",
                    "language",
                    "summary",
                ],
            },
        },
    }


def parse_reply(content: str | None, topics: tuple[str, ...]) -> dict[str, Any]:
    if not content:
        raise SchemaViolation("empty reply")
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise SchemaViolation(f"reply is not JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(data, dict):
        raise SchemaViolation("reply is not a JSON object")
    sentiment = data.get("sentiment")
    if isinstance(sentiment, bool) or not isinstance(sentiment, int | float):
        raise SchemaViolation("sentiment is not a number")
    if not math.isfinite(sentiment) or not -1.0 <= sentiment <= 1.0:
        raise SchemaViolation(f"sentiment {sentiment} is outside -1..1")
    satisfaction = data.get("satisfaction")
    if isinstance(satisfaction, bool) or satisfaction not in (1, 2, 3, 4, 5):
        raise SchemaViolation(f"satisfaction {satisfaction!r} is not an integer 1..5")
    if not isinstance(data.get("resolved"), bool):
        raise SchemaViolation("resolved is not a boolean")
    found = data.get("topics")
    if not isinstance(found, list) or not all(isinstance(t, str) for t in found):
        raise SchemaViolation("topics is not an array of strings")
    unknown = [t for t in found if t not in topics]
    if unknown:
        raise SchemaViolation(f"topics outside the configured list: {unknown[:3]}")
    for name in ("language", "summary"):
        if not isinstance(data.get(name), str):
            raise SchemaViolation(f"{name} is not a string")
    return {
        "sentiment": float(sentiment),
        "satisfaction": int(satisfaction),
        "resolved": data["resolved"],
        "topics": tuple(dict.fromkeys(found)) or ("other",),
        "language": data["language"].strip().lower()[:8] or None,
        "summary": data["summary"].strip()[:500],
    }
