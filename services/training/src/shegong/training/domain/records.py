"""Bases (培训基地 / 实践基地), appraisals (考核) and exam results (职业水平考试).

Each is its own small aggregate; its id is derived from what makes it unique (a worker's
appraisal for a period, a worker's exam of a year and level), so recording the same
fact twice is a no-op and a re-imported sheet changes nothing.
"""

from __future__ import annotations

from shegong.contracts.training import AssessmentRecorded, BaseRegistered, ExamResultRecorded
from shegong.kernel.events.aggregate import Aggregate, DomainError


class TrainingBase(Aggregate):
    type_name = "base"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.registered: BaseRegistered | None = None

    @classmethod
    def register(cls, event: BaseRegistered) -> TrainingBase:
        base = cls(event.base_id)
        base.record(event)
        return base

    def when_BaseRegistered(self, e: BaseRegistered) -> None:
        self.registered = e

    @property
    def department(self) -> str | None:
        """The department that owns the base (None: the city's)."""
        return self.registered.department if self.registered else None


def assessment_id(worker_id: str, period: str) -> str:
    return f"assessment:{worker_id}:{period}"


class Assessment(Aggregate):
    """A worker's appraisal for one period; a corrected grade is a new event."""

    type_name = "assessment"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.last: AssessmentRecorded | None = None

    def assess(self, event: AssessmentRecorded) -> bool:
        if self.last is not None and self.last.data() == event.data():
            return False
        self.record(event)
        return True

    def when_AssessmentRecorded(self, e: AssessmentRecorded) -> None:
        self.last = e


def exam_id(worker_id: str, year: int, level: str) -> str:
    return f"exam:{worker_id}:{year}:{level}"


class ExamResult(Aggregate):
    """One worker's result in one year's exam at one level."""

    type_name = "exam"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.result: ExamResultRecorded | None = None

    def record_result(self, event: ExamResultRecorded) -> bool:
        if self.result is not None:
            if self.result.passed == event.passed:
                return False
            raise DomainError(
                f"the {event.exam_year} {event.level} exam is already recorded as "
                f"{'passed' if self.result.passed else 'failed'} "
                f"(该年度该级别考试成绩已登记为{'通过' if self.result.passed else '未通过'})",
                field="passed",
                code="conflict",
            )
        self.record(event)
        return True

    def when_ExamResultRecorded(self, e: ExamResultRecorded) -> None:
        self.result = e
