"""Landing a pull as a Graph API conversations file in the inbox, whole or not at all.

The file is written under a dot-name the inbox sensor never reads, flushed to disk, then
renamed into place: a crash leaves either no file or the complete one. Files are kept (the raw
record of what the API said); the inbox sensor ingests them like any dropped export.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LANDING_FOLDER = "messenger"


def landing_dir(inbox: Path, page_id: str) -> Path:
    return inbox / LANDING_FOLDER / page_id


def land(
    inbox: Path, page_id: str, conversations: list[dict[str, Any]], pulled_at: datetime
) -> Path:
    """Write `{"data": [...]}` to messenger/<page>/<day>/<time>-<n>.json and return its path."""
    day = pulled_at.astimezone(UTC)
    folder = landing_dir(inbox, page_id) / day.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    stem = day.strftime("%H%M%S.%f")
    # ASCII with escapes, as the API sends it: a lone surrogate in a reply stays a readable
    # escape (ingestion skips that message) instead of making the file unwritable.
    body = json.dumps({"data": conversations}, separators=(",", ":"))
    for n in range(1000):
        target = folder / f"{stem}-{n:03d}.json"
        if not target.exists():
            break
    else:
        raise FileExistsError(f"{folder}: no free name for {stem}")
    temp = folder / f".{target.name}.tmp"
    with open(temp, "w", encoding="ascii") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    return target
