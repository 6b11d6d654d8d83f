"""A training session (培训班次) and who enrolled, attended and completed it.

The session is the consistency boundary for capacity (名额) and for "one person, one
attendance": a second sign-in by the same worker is not a second attendance.
"""

from __future__ import annotations

from datetime import date, datetime

from shegong.contracts.training import (
    AttendanceRecorded,
    EnrolmentAccepted,
    SessionKind,
    SessionScheduled,
    TrainingCompleted,
)
from shegong.kernel.events.aggregate import Aggregate, DomainError


class Session(Aggregate):
    type_name = "session"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.kind = SessionKind.LECTURE
        self.title = ""
        self.held_on = date.min
        self.hours = 0.0
        self.capacity: int | None = None
        self.skills: list[str] = []
        self.base_id: str | None = None
        # The department holding the session (its base's); None on an entry written
        # before sessions named one: the handler then asks the base.
        self.department: str | None = None
        self.enrolled: set[str] = set()
        self.attended: set[str] = set()
        self.completed: set[str] = set()

    # -- commands ---------------------------------------------------------------
    @classmethod
    def schedule(cls, event: SessionScheduled) -> Session:
        session = cls(event.session_id)
        session.record(event)
        return session

    def enrol(self, worker_id: str) -> bool:
        """Enrol (报名); refused past capacity. False when already enrolled."""
        if worker_id in self.enrolled:
            return False
        if self.capacity is not None and len(self.enrolled) >= self.capacity:
            raise DomainError(
                f"session {self.id} is full: {len(self.enrolled)} of {self.capacity} places "
                f"taken (名额已满：已报名{len(self.enrolled)}人，容量{self.capacity}人)",
                field="worker_id",
                code="conflict",
            )
        self.record(EnrolmentAccepted(session_id=self.id, worker_id=worker_id))
        return True

    def attend(self, worker_id: str, signed_at: datetime, source: str = "api") -> bool:
        """Record a sign-in (签到). False when this worker already signed in."""
        if worker_id in self.attended:
            return False
        self.record(
            AttendanceRecorded(
                session_id=self.id,
                worker_id=worker_id,
                signed_at=signed_at,
                source=source,  # type: ignore[arg-type]
            )
        )
        return True

    def complete(
        self, worker_id: str, hours: float | None, score: float | None, completed_on: date
    ) -> bool:
        """Record completion (结业) with hours; only for someone who attended."""
        if worker_id not in self.attended:
            raise DomainError(
                f"worker {worker_id} has no attendance in session {self.id} (未签到，不能结业)",
                field="worker_id",
            )
        if worker_id in self.completed:
            return False
        credited = self.hours if hours is None else hours
        if credited > self.hours:
            raise DomainError(
                f"hours {credited} exceed the session's {self.hours} (学时超过本班次学时)",
                field="hours",
            )
        self.record(
            TrainingCompleted(
                session_id=self.id,
                worker_id=worker_id,
                kind=self.kind,
                title=self.title,
                skills=self.skills,
                hours=credited,
                score=score,
                completed_on=completed_on,
            )
        )
        return True

    # -- state ------------------------------------------------------------------
    def when_SessionScheduled(self, e: SessionScheduled) -> None:
        self.kind, self.title, self.held_on = e.kind, e.title, e.held_on
        self.hours, self.capacity, self.skills = e.hours, e.capacity, list(e.skills)
        self.base_id, self.department = e.base_id, e.department

    def when_EnrolmentAccepted(self, e: EnrolmentAccepted) -> None:
        self.enrolled.add(e.worker_id)

    def when_AttendanceRecorded(self, e: AttendanceRecorded) -> None:
        self.attended.add(e.worker_id)

    def when_TrainingCompleted(self, e: TrainingCompleted) -> None:
        self.completed.add(e.worker_id)

    def view(self) -> dict[str, object]:
        return {
            "session_id": self.id,
            "kind": self.kind.value,
            "kind_zh": self.kind.zh,
            "title": self.title,
            "held_on": self.held_on,
            "hours": self.hours,
            "capacity": self.capacity,
            "enrolled": len(self.enrolled),
            "attended": len(self.attended),
            "completed": len(self.completed),
        }
