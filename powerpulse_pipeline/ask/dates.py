"""Date words (DESIGN.md section 9) resolved against an as-of day, and the previous period
each is compared with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# "may" alone is a month only after "in" or "during" ("may I see ..." is not May).
_MONTH_ALONE = "|".join(sorted((m for m in MONTHS if m != "may"), key=len, reverse=True))
_ISO = r"\d{4}-\d{2}-\d{2}"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "fourteen": 14, "thirty": 30, "ninety": 90,
}  # fmt: skip
_N = r"\d{1,4}|" + "|".join(_NUMBER_WORDS)


@dataclass(frozen=True)
class Range:
    start: date
    end: date
    words: str  # how the question said it
    # calendar: compared with the previous calendar unit rather than the days just before
    unit: str | None = None

    def previous(self) -> tuple[date, date]:
        if self.unit == "week":
            start = self.start - timedelta(days=7)
            return start, start + timedelta(days=6)
        if self.unit in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.unit]
            start = _add_months(self.start, -months)
            return start, self.start - timedelta(days=1)
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days), self.start - timedelta(days=1)

    def text(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> date:
    return _add_months(date(year, month, 1), 1) - timedelta(days=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _unit_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return _quarter_start(day)
    return date(day.year, 1, 1)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


# (pattern, kind of phrase for _resolve); tried in order, the first match wins.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:between|from)\s+({_ISO})\s+(?:and|to|until|till|-)\s+({_ISO})\b"), "span"),
    (re.compile(rf"\b({_ISO})\s*(?:\.\.|to|until|-)\s*({_ISO})\b"), "span"),
    (re.compile(rf"\bsince\s+({_ISO})\b"), "since"),
    (re.compile(rf"\b(?:on\s+)?({_ISO})\b"), "day"),
    (re.compile(rf"\b(?:the\s+)?(?:last|past|previous)\s+({_N})\s+(days?|weeks?)\b"), "last_n"),
    (re.compile(r"\b(?:this|current)\s+(week|month|quarter|year)\b"), "this"),
    (re.compile(r"\b(?:last|previous)\s+(week|month|quarter|year)\b"), "last"),
    (re.compile(r"\byesterday\b"), "yesterday"),
    (re.compile(r"\btoday\b"), "today"),
    (re.compile(rf"\b(?:in\s+|during\s+)?({_MONTH})\.?\s+(\d{{4}})\b"), "month_year"),
    (re.compile(rf"\b(?:in\s+|during\s+)?({_MONTH_ALONE})\b(?!\s*\d)"), "month"),
    (re.compile(r"\b(?:in|during)\s+(may)\b(?!\s*\d)"), "month"),
    (re.compile(r"\b(?:in\s+|during\s+)?(?:the\s+year\s+)?(20\d{2})\b"), "year"),
]


class DateError(ValueError):
    """Date words that name no valid range (2025-02-30, an end before the start)."""


def find_range(text: str, as_of: date) -> tuple[Range | None, str]:
    """The first date phrase in `text` (lowercase) and the text without it."""
    for pattern, kind in _PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        found = _resolve(kind, match, as_of)
        rest = (text[: match.start()] + " " + text[match.end() :]).strip()
        return found, rest
    return None, text


def _resolve(kind: str, match: re.Match[str], as_of: date) -> Range:
    words = match.group(0).strip()
    try:
        if kind == "span":
            start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
            if end < start:
                raise DateError(f"{words!r} ends before it starts")
            return Range(start, end, words)
        if kind == "since":
            return Range(date.fromisoformat(match.group(1)), as_of, words)
        if kind == "day":
            day = date.fromisoformat(match.group(1))
            return Range(day, day, words)
    except ValueError as exc:
        if isinstance(exc, DateError):
            raise
        raise DateError(f"{words!r} is not a date") from exc
    if kind == "last_n":
        count = _number(match.group(1)) * (7 if match.group(2).startswith("week") else 1)
        if count < 1:
            raise DateError(f"{words!r} names no day")
        return Range(as_of - timedelta(days=count - 1), as_of, words)
    if kind == "this":
        unit = match.group(1)
        return Range(_unit_start(as_of, unit), as_of, words, unit)
    if kind == "last":
        unit = match.group(1)
        this_start = _unit_start(as_of, unit)
        start = _unit_start(this_start - timedelta(days=1), unit)
        return Range(start, this_start - timedelta(days=1), words, unit)
    if kind == "yesterday":
        day = as_of - timedelta(days=1)
        return Range(day, day, words)
    if kind == "today":
        return Range(as_of, as_of, words)
    if kind == "month_year":
        month, year = MONTHS[match.group(1)], int(match.group(2))
        return Range(date(year, month, 1), _month_end(year, month), words, "month")
    if kind == "month":
        month = MONTHS[match.group(1)]
        year = as_of.year if month <= as_of.month else as_of.year - 1
        end = as_of if (year, month) == (as_of.year, as_of.month) else _month_end(year, month)
        return Range(date(year, month, 1), end, words, "month")
    year = int(match.group(1))
    return Range(date(year, 1, 1), date(year, 12, 31), words, "year")
