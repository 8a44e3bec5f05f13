"""Mask personal data before a transcript leaves the machine (on by default)."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes: card-like.
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# Phone: a leading + or ( or grouped digits, 8-15 digits in all. Dates (2024-05-01) are not.
_PHONE = re.compile(r"(?<![\w-])(?:\+|\(?\d)[\d ().-]{6,}\d(?![\w-])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
# Account, contract, order and meter numbers: a run of 6+ digits, maybe with letters around.
_ACCOUNT = re.compile(r"\b[A-Za-z]{0,4}-?\d{6,}\b")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if _luhn_ok(digits) else "[number]"


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    if _DATE.match(text.strip()) or not 8 <= len(digits) <= 15:
        return text
    return "[phone]"


def mask_pii(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    text = _PHONE.sub(_phone, text)
    return _ACCOUNT.sub("[number]", text)
