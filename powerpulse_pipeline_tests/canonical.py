"""Table rows in a form two runs of the same data agree on, float noise aside."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

# Sums and means differ in their last bits between Python and SQL, and between two orders of
# the same rows. Floats are compared to 7 significant digits, cut at irrational offsets: a
# plain round() puts its boundaries exactly where averages of short decimals land
# (0.1875625), so float noise would flip them.
_OFFSET = 1 / math.pi


def _float(value: float) -> Any:
    if value == 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(abs(value)) + _OFFSET)
    return [exponent, math.floor(value / 10.0 ** (exponent - 6) + _OFFSET)]


def canonical(value: Any) -> Any:
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value if value is None or isinstance(value, int | str | bool) else str(value)
