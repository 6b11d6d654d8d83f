"""One month as a calendar grid (Monday first), for every page that places things on dates:
training sessions (培训日历) and programme occurrences (项目打卡)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    today: dt.date

    @classmethod
    def parse(cls, value: str | None, today: dt.date | None = None) -> Month:
        """``2026-11`` → that month; empty or malformed → this month."""
        today = today or dt.date.today()
        found = _MONTH.match((value or "").strip())
        if found and 2000 <= int(found[1]) <= 2100 and 1 <= int(found[2]) <= 12:
            return cls(int(found[1]), int(found[2]), today)
        return cls(today.year, today.month, today)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def prev(self) -> str:
        day = self.first - dt.timedelta(days=1)
        return f"{day.year:04d}-{day.month:02d}"

    @property
    def next(self) -> str:
        day = self.last + dt.timedelta(days=1)
        return f"{day.year:04d}-{day.month:02d}"

    @property
    def weeks(self) -> list[list[dt.date]]:
        return calendar.Calendar(firstweekday=0).monthdatescalendar(self.year, self.month)

    def contains(self, day: dt.date) -> bool:
        return (day.year, day.month) == (self.year, self.month)


T = TypeVar("T")


def by_day(items: Iterable[T], day_of: Callable[[T], Any]) -> dict[dt.date, list[T]]:
    """Items keyed by their date (an ISO string as the APIs give it, or a date)."""
    placed: dict[dt.date, list[T]] = {}
    for item in items:
        value = day_of(item)
        if not value:
            continue
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        placed.setdefault(day, []).append(item)
    return placed
