"""An optional opening-hours schedule, and how much of a wait fell inside it.

`POWERPULSE_BUSINESS_HOURS` examples: "mon-fri 09:00-17:00", "sun-thu 08:00-17:00; fri
08:00-13:00", "mon-fri 08:00-12:00,13:00-17:00". Days not named are closed. Times are local
to `POWERPULSE_BUSINESS_TIMEZONE` (default: POWERPULSE_TIMEZONE), DST included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLAUSE = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+?)\s*$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    # weekday (0 = Monday) -> sorted, non-overlapping (start, end) local times
    week: tuple[tuple[tuple[time, time], ...], ...]

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> BusinessHours:
        week: list[list[tuple[time, time]]] = [[] for _ in DAYS]
        for clause in filter(None, (c.strip() for c in text.lower().split(";"))):
            match = _CLAUSE.match(clause)
            if (
                not match
                or match.group(1) not in DAYS
                or (match.group(2) and match.group(2) not in DAYS)
            ):
                raise ScheduleError(
                    f"POWERPULSE_BUSINESS_HOURS: cannot read {clause!r}; "
                    "expected e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00'"
                )
            first = DAYS.index(match.group(1))
            last = DAYS.index(match.group(2) or match.group(1))
            days = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
            for span in match.group(3).split(","):
                found = _SPAN.match(span.strip())
                if not found:
                    raise ScheduleError(
                        f"POWERPULSE_BUSINESS_HOURS: {span.strip()!r} is not like 09:00-17:00"
                    )
                h1, m1, h2, m2 = (int(g) for g in found.groups())
                if h2 == 24 and m2 == 0:
                    end = time.max
                elif h2 < 24 and m2 < 60:
                    end = time(h2, m2)
                else:
                    raise ScheduleError(f"POWERPULSE_BUSINESS_HOURS: bad time in {span!r}")
                if h1 > 23 or m1 > 59 or time(h1, m1) >= end:
                    raise ScheduleError(
                        f"POWERPULSE_BUSINESS_HOURS: {span.strip()!r} must open before it closes"
                    )
                for day in days:
                    week[day].append((time(h1, m1), end))
        for spans in week:
            spans.sort()
            for (_, end_a), (start_b, _) in pairwise(spans):
                if start_b < end_a:
                    raise ScheduleError("POWERPULSE_BUSINESS_HOURS: opening hours overlap")
        if not any(week):
            raise ScheduleError("POWERPULSE_BUSINESS_HOURS names no open hours")
        return cls(zone=zone, week=tuple(tuple(spans) for spans in week))

    def _open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        spans = []
        for start, end in self.week[day.weekday()]:
            opened = datetime.combine(day, start, tzinfo=self.zone)
            closed = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
                if end == time.max
                else datetime.combine(day, end, tzinfo=self.zone)
            )
            # UTC: subtracting two datetimes of the same zone ignores a DST change between.
            spans.append((opened.astimezone(UTC), closed.astimezone(UTC)))
        return spans

    def spans_between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Every opening span (UTC) that may overlap [start, end]: the day before included,
        for spans open past midnight."""
        spans = []
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            spans.extend(self._open_spans(day))
            day += timedelta(days=1)
        return spans
