"""When a conversation's repeat-contact window (observed FCR, DESIGN.md section 5) is closed.

Judged against the newest stored message, not the wall clock: what an export does not cover
yet is unknown, not "did not come back". `conversations` reads it to leave open windows NULL;
ingestion reads it to find the days whose windows a new file closes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# SQL over a relation with `ended_at`; needs the parameters of `window_params`.
WINDOW_END = "ended_at + to_microseconds($window_us)"
WINDOW_CLOSED = f"{WINDOW_END} <= (SELECT max(sent_at) FROM raw_messages)"


def window_params(window: timedelta) -> dict[str, Any]:
    return {"window_us": window // timedelta(microseconds=1)}
