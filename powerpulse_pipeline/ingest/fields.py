"""Reading single fields of an exported message: times, sides, names, text."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from .records import AGENT, CUSTOMER

TIME_FIELDS = ("timestamp", "created_time", "sent_at")
TEXT_FIELDS = ("text", "message", "content")
ID_FIELDS = ("message_id", "mid", "id")
ROLE_FIELDS = ("sender_type", "role")

CUSTOMER_ROLES = {"customer", "user", "client", "visitor", "contact"}
BUSINESS_ROLES = {"page", "agent", "business", "admin", "staff", "operator", "human_agent"}
BOT_ROLES = {"bot", "app", "system", "automation", "automated"}

# Epoch numbers above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_MS_THRESHOLD = 1e11


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (naive means UTC) or an epoch number in seconds or milliseconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _from_epoch(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text)
            # An offset at year 1 or 9999 leaves datetime's range when converted.
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, int | float):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an integer hundreds of digits long
            return None
    return None


def parse_epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return _from_epoch(float(value) / 1000.0, already_seconds=True)
    except (ValueError, OverflowError):
        return None


def _from_epoch(number: float, already_seconds: bool = False) -> datetime | None:
    if not math.isfinite(number) or number <= 0:
        return None
    seconds = number if already_seconds or number < _MS_THRESHOLD else number / 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def message_time(msg: dict[str, Any]) -> datetime | None:
    if "timestamp_ms" in msg:
        found = parse_epoch_ms(msg["timestamp_ms"])
        if found is not None:
            return found
    for name in TIME_FIELDS:
        if name in msg:
            found = parse_time(msg[name])
            if found is not None:
                return found
    return None


def message_text(msg: dict[str, Any]) -> str | None:
    for name in TEXT_FIELDS:
        value = msg.get(name)
        if isinstance(value, str):
            return value
    return None


def message_id(msg: dict[str, Any]) -> str | None:
    for name in ID_FIELDS:
        value = msg.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _name_of(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


def sender_identities(msg: dict[str, Any]) -> tuple[str, ...]:
    """Every name or id the message gives for its sender, for matching page names."""
    found: list[str] = []
    sender = msg.get("from")
    if isinstance(sender, dict):
        for key in ("id", "name"):
            value = sender.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                found.append(str(value))
    elif isinstance(sender, str) and sender:
        found.append(sender)
    for key in ("sender_name", "sender_id"):
        value = msg.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            found.append(str(value))
    return tuple(found)


def recipient_ids(msg: dict[str, Any]) -> tuple[str, ...]:
    """The ids in a Graph API message's `to.data[]`: a message to the Page is the customer's."""
    to = msg.get("to")
    data = to.get("data") if isinstance(to, dict) else None
    if not isinstance(data, list):
        return ()
    return tuple(
        str(item["id"])
        for item in data
        if isinstance(item, dict)
        and isinstance(item.get("id"), str | int)
        and not isinstance(item.get("id"), bool)
    )


def sender_display_name(msg: dict[str, Any]) -> str | None:
    return _name_of(msg.get("from")) or _name_of(msg.get("sender_name"))


def explicit_agent_name(msg: dict[str, Any]) -> str | None:
    return _name_of(msg.get("agent_name")) or _name_of(msg.get("agent"))


def explicit_side(msg: dict[str, Any]) -> tuple[str, bool] | None:
    """(role, marked_bot) when the message itself says which side sent it."""
    for name in ROLE_FIELDS:
        value = msg.get(name)
        if isinstance(value, str):
            role = value.strip().lower()
            if role in CUSTOMER_ROLES:
                return CUSTOMER, False
            if role in BOT_ROLES:
                return AGENT, True
            if role in BUSINESS_ROLES:
                return AGENT, False
    echo = msg.get("is_echo")
    if isinstance(echo, bool):
        if echo:
            return AGENT, msg.get("app_id") not in (None, "", 0)
        return CUSTOMER, False
    from_page = msg.get("from_page")
    if isinstance(from_page, bool):
        return (AGENT, False) if from_page else (CUSTOMER, False)
    return None


def matches_page(identities: tuple[str, ...], page_names: frozenset[str]) -> bool:
    return any(identity.casefold() in page_names for identity in identities)


def repair_mojibake(text: str) -> str:
    """DYI exports write UTF-8 bytes as latin-1 code points (e.g. 'i\u00e2\u0080\u0099m')."""
    if not text or all(ord(ch) < 128 for ch in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
