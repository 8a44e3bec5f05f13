"""The dashboard as one self-contained HTML file: the data as JSON, Plotly's own bundle from
the installed `plotly` package, and the page's script, all inline. It opens from disk with no
network (the page's Content-Security-Policy forbids every request)."""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def plotly_bundle() -> str:
    """Plotly's own JS bundle, from the installed package."""
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    if "</script" in bundle.lower():  # would end the inline script early
        raise RuntimeError("the installed plotly bundle cannot be inlined")
    return bundle


def _template() -> str:
    return resources.files(__package__).joinpath("template.html").read_text(encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    # "<" as \u003c: no text from a chat can close the script element or open a comment.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    payload = (
        payload.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )
    page = _template()
    head, tail = page.split("__PLOTLY__")
    return head.replace("__DATA__", payload) + plotly_bundle() + tail


def write(path: Path, html: str) -> int:
    """Replace the file atomically: a reader sees the old page or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.writing")
    try:
        staging.write_text(html, encoding="utf-8")
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)  # a full disk must not leave half a page behind
    return len(html.encode("utf-8"))
