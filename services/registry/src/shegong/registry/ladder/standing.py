"""A worker's standing on the ladder (阶梯位置): the eligibility decisions published so
far and the expert-pool admission. Its own aggregate (stream ``ladder:<worker_id>``), so
the worker's own history stays as the departments wrote it."""

from __future__ import annotations

from datetime import date

from shegong.contracts.ladder import ExpertPoolAdmitted, LadderEligibilityChanged
from shegong.kernel.aggregate import Aggregate, DomainError
from shegong.registry.ladder.rules import Decision


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

    def decide(self, decisions: list[Decision], as_of: date) -> None:
        """Publish each decision that changed (a worker starts as eligible for nothing)."""
        for d in decisions:
            if self.eligible.get(d.step, False) != d.eligible:
                self.record(
                    LadderEligibilityChanged(
                        worker_id=self.worker_id,
                        step=d.step,  # type: ignore[arg-type]
                        eligible=d.eligible,
                        as_of=as_of,
                        rules=d.rules,
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

    def when_LadderEligibilityChanged(self, e: LadderEligibilityChanged) -> None:
        self.eligible[e.step] = e.eligible

    def when_ExpertPoolAdmitted(self, e: ExpertPoolAdmitted) -> None:
        self.admitted_on = e.admitted_on
