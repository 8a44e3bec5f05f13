"""The one markdown-table helper behind every preview in the Dagster UI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 31, empty: str = "(no rows)"
) -> str:
    if not rows:
        return empty
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    body = "\n".join("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:limit])
    more = f"\n\n… {len(rows) - limit} more rows" if len(rows) > limit else ""
    return f"{header}\n{body}{more}"
