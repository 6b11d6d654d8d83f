"""A person's standing on the ladder (阶梯位置): the eligibility decisions published so
far and the expert-pool admission. Its own aggregate (stream ``ladder:<worker_id>``, the
person's lead record), so the worker's own history stays as the departments wrote it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from shegong.contracts.ladder import (
    ExpertPoolAdmitted,
    ExpertPoolLeft,
    LadderEligibilityChanged,
    RuleOutcome,
)
from shegong.kernel.events.aggregate import Aggregate, DomainError
from shegong.registry.ladder.rules import Decision

if TYPE_CHECKING:
    from shegong.registry.ladder.persons import Person


def standing_id(worker_id: str) -> str:
    return f"ladder:{worker_id}"


class LadderStanding(Aggregate):
    type_name = "ladder"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.eligible: dict[str, bool] = {}
        self.admitted_on: date | None = None

    @property
    def worker_id(self) -> str:
        return self.id.removeprefix("ladder:")

    def decide(self, decisions: list[Decision], as_of: date, person: Person | None = None) -> None:
        """Publish each decision that changed (a person starts as eligible for nothing)."""
        for d in decisions:
            if self.eligible.get(d.step, False) != d.eligible:
                self.record(
                    LadderEligibilityChanged(
                        worker_id=self.worker_id,
                        step=d.step,  # type: ignore[arg-type]
                        eligible=d.eligible,
                        as_of=as_of,
                        rules=d.rules,
                        person_id=person.person_id if person else None,
                        worker_ids=list(person.worker_ids) if person else [],
                    )
                )

    def counted_under(self, person: Person, as_of: date) -> None:
        """This record is now one of ``person``'s, decided for under its lead record: what
        it was eligible for on its own is withdrawn, saying so."""
        rule = RuleOutcome(
            rule="census_person",
            label=f"decided for the census person {person.person_id} under record {person.lead}",
            label_zh=f"已与其他记录合并为同一人员，按主记录 {person.lead} 评定",
            met=False,
            detail=f"records {', '.join(person.worker_ids)}",
        )
        for step, eligible in sorted(self.eligible.items()):
            if eligible:
                self.record(
                    LadderEligibilityChanged(
                        worker_id=self.worker_id,
                        step=step,  # type: ignore[arg-type]
                        eligible=False,
                        as_of=as_of,
                        rules=[rule],
                        person_id=person.person_id,
                        worker_ids=list(person.worker_ids),
                    )
                )

    def admit_to_expert_pool(self, decision: Decision, admitted_on: date) -> None:
        if self.admitted_on is not None:
            raise DomainError(
                f"already in the expert pool since {self.admitted_on} (已入库)",
                field="worker_id",
                code="conflict",
            )
        if not decision.eligible:
            unmet = "; ".join(f"{r.label_zh} — {r.detail}" for r in decision.rules if not r.met)
            raise DomainError(
                f"not eligible for the expert pool (不符合入库条件): {unmet}", field="worker_id"
            )
        self.record(
            ExpertPoolAdmitted(
                worker_id=self.worker_id, admitted_on=admitted_on, rules=decision.rules
            )
        )

    def leave_expert_pool(self, left_on: date, reason: str) -> None:
        if self.admitted_on is None:
            raise DomainError(
                "not in the expert pool (不在专家库中)", field="worker_id", code="conflict"
            )
        if left_on < self.admitted_on:
            raise DomainError(
                f"left_on {left_on} is before the admission on {self.admitted_on} "
                "(出库日期早于入库日期)",
                field="left_on",
            )
        self.record(ExpertPoolLeft(worker_id=self.worker_id, left_on=left_on, reason=reason))

    def when_LadderEligibilityChanged(self, e: LadderEligibilityChanged) -> None:
        self.eligible[e.step] = e.eligible

    def when_ExpertPoolAdmitted(self, e: ExpertPoolAdmitted) -> None:
        self.admitted_on = e.admitted_on

    def when_ExpertPoolLeft(self, e: ExpertPoolLeft) -> None:
        self.admitted_on = None
