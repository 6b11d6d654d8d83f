"""Dates a command may carry: within 1900–2100, as the sheets' dates are (round 10).

A roster's or a sheet's date is read within 1900–2100 (``sheets/dates.py``); a JSON
command took any date Python has. One department key registered a worker hired on
9999-12-31 (201), and training's pre-job obligations — the hiring day plus the window —
overflowed for every caller from then on: ``/obligations/prejob/overdue`` and
``/indicators/training`` answered 500 to everyone, the console's training pages and the
annual report with them, until an administrator removed the record. :data:`Day` and
:data:`Moment` refuse a day outside 1900-01-01 … 2100-12-31 with a 422 naming the field in
English and Chinese (``web/validation.py`` knows the error's type); the readers that add
to a stored day (events of before) saturate instead of failing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

__all__ = ["DATE_OUT_OF_RANGE", "FIRST_DAY", "LAST_DAY", "Day", "Moment", "later"]

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
DATE_OUT_OF_RANGE = "date_out_of_range"


def _refused() -> PydanticCustomError:
    return PydanticCustomError(
        DATE_OUT_OF_RANGE,
        "must be between {first} and {last}",
        {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
    )


def _day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise _refused()
    return value


def _moment(value: datetime) -> datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise _refused()
    return value


Day = Annotated[date, AfterValidator(_day)]
Moment = Annotated[datetime, AfterValidator(_moment)]


def later(day: date, days: int) -> date:
    """``day`` plus ``days``, or the last day Python has when that is past it (a day
    stored before commands were bounded must not make a report fail)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min
