"""A recurring programme (常态化项目): a one-off activity made standing — daily 八段锦,
weekly drum rehearsal — with a recurrence rule (RFC 5545 RRULE) and check-ins (打卡)
at its occurrences."""

from __future__ import annotations

import re
from datetime import MAXYEAR, date, datetime, time
from typing import Any, TypeVar

from dateutil.rrule import rrule, rrulestr

from shegong.contracts.matching import CheckedIn, ProgrammeCreated
from shegong.kernel.events.aggregate import Aggregate, DomainError


def parse_rule(text: str, starts_on: date) -> rrule:
    """The rule, anchored at ``starts_on``; a clear error naming the field otherwise."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    try:
        rule = rrulestr(body, dtstart=datetime.combine(starts_on, time()))
    except (ValueError, TypeError) as err:
        raise DomainError(
            f"rrule is not a valid RFC 5545 rule: {err}",
            field="rrule",
            zh=f"重复规则 rrule 不是有效的 RFC 5545 规则：{err}",
        ) from err
    if not isinstance(rule, rrule):
        raise DomainError(
            "rrule must be a single RRULE", field="rrule", zh="rrule 只能是一条 RRULE"
        )
    return within_days(body, rule, starts_on)


# A programme meets on days. Finer rules ask dateutil for every second (FREQ=SECONDLY: 31
# million a year) or, with INTERVAL=0, loop for ever: one look at such a programme's
# calendar held matching's event loop for good (round 8). BYEASTER is dateutil's own and
# not periodic in 400 years (below).
_PART = re.compile(r"([A-Z]+)=([^;]*)")
_NOT_DAYS = {"HOURLY", "MINUTELY", "SECONDLY"}
_NOT_DAY_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND", "BYEASTER"}
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def within_days(body: str, rule: rrule, starts_on: date) -> rrule:
    parts = dict(_PART.findall(body.upper()))
    wrong = None
    if parts.get("FREQ") in _NOT_DAYS or _NOT_DAY_PARTS & parts.keys():
        wrong = "a programme meets on days: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, no hours"
        wrong_zh = "活动按天重复：FREQ 只能是 DAILY、WEEKLY、MONTHLY 或 YEARLY，不能按时分秒"
    elif not parts.get("INTERVAL", "1").isdigit() or int(parts.get("INTERVAL", "1")) < 1:
        wrong, wrong_zh = "INTERVAL must be 1 or more", "INTERVAL 须为不小于1的整数"
    elif not FIRST_DAY <= starts_on <= LAST_DAY:
        wrong = f"starts_on must lie from {FIRST_DAY} to {LAST_DAY}"
        wrong_zh = f"开始日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间"
    if wrong is not None:
        raise DomainError(f"rrule: {wrong}", field="rrule", zh=f"重复规则 rrule：{wrong_zh}")
    return rule


# The Gregorian calendar repeats every 400 years, weekdays included.
_CYCLE = 400


def occurrences(rule: rrule, start: date, end: date) -> list[date]:
    """Occurrence days from ``start`` to ``end`` inclusive.

    dateutil looks for a rule's next day until the year 9999: a rule that never meets
    again (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) cost 18 s of the event loop per look.
    The rule and the window are moved whole 400-year cycles later, as close to 9999 as
    they go (the same days, weekdays and leap years), so that search ends within one
    cycle; the days found are moved back."""
    years = (MAXYEAR - end.year) // _CYCLE * _CYCLE
    until = rule._until  # dateutil keeps a rule's parts private
    moved = rule.replace(
        dtstart=_later(rule._dtstart, years),
        # an end past 9999 once moved ends nothing the window needs
        until=None if until is None or until.year + years > MAXYEAR else _later(until, years),
    )
    found = moved.between(
        datetime.combine(_later(start, years), time()),
        datetime.combine(_later(end, years), time()),
        inc=True,
    )
    return [_later(d.date(), -years) for d in found]


_Day = TypeVar("_Day", date, datetime)


def _later(day: _Day, years: int) -> _Day:
    """``day`` so many years later; a multiple of 400 keeps 29 February a day."""
    return day.replace(year=day.year + years)


class Programme(Aggregate):
    type_name = "programme"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.created: ProgrammeCreated | None = None
        self.check_ins: set[tuple[date, str]] = set()

    @classmethod
    def create(cls, event: ProgrammeCreated) -> Programme:
        rule = parse_rule(event.rrule, event.starts_on)
        # A rule that never meets (30 February) is a mistake, and each look at its
        # calendar would search a whole 400-year cycle for its next day.
        first_years = event.starts_on.replace(year=event.starts_on.year + 4, day=1)
        if not occurrences(rule, event.starts_on, first_years):
            raise DomainError(
                "rrule: no day in the programme's first four years",
                field="rrule",
                zh="重复规则 rrule：开始后四年内没有任何一天符合该规则",
            )
        programme = cls(event.programme_id)
        programme.record(event)
        return programme

    @property
    def department(self) -> str | None:
        """The department that runs the programme (None: the city's)."""
        return self.created.department if self.created else None

    @property
    def rule(self) -> rrule:
        assert self.created is not None
        return parse_rule(self.created.rrule, self.created.starts_on)

    def check_in(self, occurrence: date, participant: str, today: date, **served: Any) -> bool:
        """Record a check-in; False when this participant already checked in then.
        ``served``: ``provider_id``, ``hours``, ``members``, ``started_at`` of a provider
        who served there (``CheckedIn``)."""
        if occurrence > today:
            raise DomainError(
                "cannot check in to a future occurrence",
                field="occurrence",
                zh="不能为尚未到来的场次签到",
            )
        if not occurrences(self.rule, occurrence, occurrence):
            raise DomainError(
                f"{occurrence} is not an occurrence of this programme",
                field="occurrence",
                zh=f"{occurrence} 不是该项目的活动场次",
            )
        if (occurrence, participant) in self.check_ins:
            return False
        self.record(
            CheckedIn(
                programme_id=self.id, occurrence=occurrence, participant=participant, **served
            )
        )
        return True

    def when_ProgrammeCreated(self, e: ProgrammeCreated) -> None:
        self.created = e

    def when_CheckedIn(self, e: CheckedIn) -> None:
        self.check_ins.add((e.occurrence, e.participant))
