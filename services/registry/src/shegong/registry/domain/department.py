"""A department (部门) that reports workers: 民政 civil-affairs, 人社 hrss, 团委 youth-league …"""

from __future__ import annotations

from shegong.contracts.registry import DepartmentRegistered
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.events.aggregate import Aggregate


def department_stream(code: str) -> str:
    return f"department:{code}"


class Department(Aggregate):
    type_name = "department"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.code = ""
        self.name = ""

    @classmethod
    def register(cls, code: str, name: str) -> Department:
        department = cls(department_stream(code))
        # A name is text a clerk types: a phone or ID number in it keeps its first three
        # digits, as a worker's name does — it goes onto the bus (round 8).
        department.record(DepartmentRegistered(code=code, name=redact_numbers(name) or name))
        return department

    def when_DepartmentRegistered(self, e: DepartmentRegistered) -> None:
        self.code, self.name = e.code, e.name
