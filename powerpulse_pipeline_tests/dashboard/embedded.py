"""The data a dashboard page embeds, read back from its HTML."""

from __future__ import annotations

import json
import re
from typing import Any


def embedded_data(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page embeds no data"
    return json.loads(found.group(1))
