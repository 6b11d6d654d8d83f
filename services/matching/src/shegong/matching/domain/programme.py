"""A recurring programme (常态化项目): a one-off activity made standing — daily 八段锦,
weekly drum rehearsal — with a recurrence rule (RFC 5545 RRULE) and check-ins (打卡)
at its occurrences."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

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
    return rule


def occurrences(rule: rrule, start: date, end: date) -> list[date]:
    """Occurrence days from ``start`` to ``end`` inclusive."""
    found = rule.between(datetime.combine(start, time()), datetime.combine(end, time()), inc=True)
    return [d.date() for d in found]


class Programme(Aggregate):
    type_name = "programme"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.created: ProgrammeCreated | None = None
        self.check_ins: set[tuple[date, str]] = set()

    @classmethod
    def create(cls, event: ProgrammeCreated) -> Programme:
        parse_rule(event.rrule, event.starts_on)
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
