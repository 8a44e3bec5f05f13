"""The strict JSON schema sent to the model, and the check of what comes back."""

from __future__ import annotations

import json
import math
from typing import Any

from . import quality

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not_applicable"
MAX_NOTE_CHARS = 300


class SchemaViolation(ValueError):
    """The reply is not JSON or breaks the schema; retried, then recorded as failed."""


def _verdict_schema(category: quality.Category) -> dict[str, Any]:
    # The four categories that always apply cannot be answered "not applicable": the schema
    # says so, rather than a check after the fact.
    # The rubric is in the prompt; repeating it here would add its tokens to every request.
    verdicts = [PASS, FAIL] if category.always else [PASS, FAIL, NOT_APPLICABLE]
    return {"type": "string", "enum": verdicts}


QUALITY_PROPERTIES: dict[str, dict[str, Any]] = {
    **{f"qa_{c.name}": _verdict_schema(c) for c in quality.CATEGORIES},
    "coaching_note": {"type": "string"},
}


def response_format(topics: tuple[str, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "sentiment": {"type": "number", "description": "-1 to 1"},
        "satisfaction": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
        "resolved": {"type": "boolean"},
        "topics": {"type": "array", "items": {"type": "string", "enum": list(topics)}},
        "language": {"type": "string", "description": "ISO 639-1 code"},
        "summary": {"type": "string"},
        **QUALITY_PROPERTIES,
    }
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "conversation_score",
            "strict": True,
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": properties,
                "required": list(properties),
            },
        },
    }


def _quality(data: dict[str, Any], reviewed: bool) -> dict[str, Any]:
    verdicts: dict[str, Any] = {}
    for category in quality.CATEGORIES:
        key = f"qa_{category.name}"
        value = data.get(key)
        allowed = QUALITY_PROPERTIES[key]["enum"]
        if value not in allowed:
            raise SchemaViolation(f"{key} {value!r} is not one of {allowed}")
        verdicts[key] = None if value == NOT_APPLICABLE else value == PASS
    note = data.get("coaching_note")
    if not isinstance(note, str):
        raise SchemaViolation("coaching_note is not a string")
    if not reviewed:
        # Nobody answered: there is no agent to review, whatever the model filled in.
        return {key: None for key in verdicts} | {"coaching_note": None}
    return verdicts | {"coaching_note": " ".join(note.split())[:MAX_NOTE_CHARS] or None}


def parse_reply(
    content: str | None, topics: tuple[str, ...], reviewed: bool = True
) -> dict[str, Any]:
    """The checked fields of a ScoreRecord. `reviewed`: the transcript has a human reply."""
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
        **_quality(data, reviewed),
    }
