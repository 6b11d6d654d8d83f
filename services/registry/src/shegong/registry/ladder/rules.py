"""The career ladder's rules (三级进阶), as ``config`` read them, evaluated — pure.

A decision lists every rule of a step with whether it is met and what the worker has,
so a refusal always says why (e.g. "62 h of 90 h in the last 3 years").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shegong.contracts.ladder import RuleOutcome
from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import AppraisalGrade
from shegong.registry.ladder.config import KINDS, Step, load_ladder

__all__ = ["Decision", "Facts", "Step", "evaluate", "load_ladder", "years_before"]


@dataclass(frozen=True)
class Facts:
    """What the events say about one person (all of their records), as of a day."""

    certificates: list[tuple[CertificateLevel, date]] = field(default_factory=list)
    training: list[tuple[date, float]] = field(default_factory=list)
    appraisals: list[tuple[str, AppraisalGrade, date]] = field(default_factory=list)
    # (hired_on, left_on) of each record that names a hire date.
    service: list[tuple[date, date | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    step: str
    label: str
    label_zh: str
    rules: list[RuleOutcome]

    @property
    def eligible(self) -> bool:
        return all(r.met for r in self.rules)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "label": self.label,
            "label_zh": self.label_zh,
            "eligible": self.eligible,
            "rules": [r.model_dump() for r in self.rules],
        }


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _certificate_held(rule: dict[str, Any], facts: Facts, as_of: date) -> tuple[bool, str]:
    level = CertificateLevel(rule["level"])
    years = int(rule.get("years", 0))
    held = [d for lv, d in facts.certificates if lv.rank >= level.rank and d <= as_of]
    if not held:
        return False, f"no {level.zh} or above"
    since = min(held)
    met = since <= years_before(as_of, years)
    return met, f"{level.zh} or above since {since.isoformat()} (needs {years} years)"


def _certificate_not_held(rule: dict[str, Any], facts: Facts, as_of: date) -> tuple[bool, str]:
    level = CertificateLevel(rule["level"])
    held = [lv for lv, d in facts.certificates if lv.rank >= level.rank and d <= as_of]
    if held:
        best = max(held, key=lambda lv: lv.rank)
        return False, f"already holds {best.zh}"
    return True, f"no {level.zh} or above yet"


def _in_service(rule: dict[str, Any], facts: Facts, as_of: date) -> tuple[bool, str]:
    years = int(rule["years"])
    active = [h for h, left in facts.service if h <= as_of and (left is None or left > as_of)]
    if not active:
        return False, "not in service on any roster"
    since = min(active)
    met = since <= years_before(as_of, years)
    return met, f"in service since {since.isoformat()} (needs {years} years)"


def _training_hours(rule: dict[str, Any], facts: Facts, as_of: date) -> tuple[bool, str]:
    years = int(rule.get("years", 3))
    start = years_before(as_of, years)
    hours = sum(h for d, h in facts.training if start < d <= as_of)
    return hours >= float(rule["hours"]), f"{hours:g} h of {float(rule['hours']):g} h since {start}"


def _appraisal_at_least(rule: dict[str, Any], facts: Facts, as_of: date) -> tuple[bool, str]:
    grade = AppraisalGrade(rule["grade"])
    periods = int(rule.get("periods", 1))
    latest = sorted((a for a in facts.appraisals if a[2] <= as_of), key=lambda a: a[0])[-periods:]
    if len(latest) < periods:
        return False, f"{len(latest)} appraisal(s) on record, needs {periods}"
    met = all(g.rank >= grade.rank for _, g, _ in latest)
    shown = ", ".join(f"{p}: {g.zh}" for p, g, _ in latest)
    return met, f"{shown} (needs {grade.zh} or better)"


_EVALUATORS = {
    "certificate_held": _certificate_held,
    "certificate_not_held": _certificate_not_held,
    "in_service": _in_service,
    "training_hours": _training_hours,
    "appraisal_at_least": _appraisal_at_least,
}


assert set(_EVALUATORS) == set(KINDS), "every rule kind the file may name is evaluated"


def evaluate(steps: list[Step], facts: Facts, as_of: date) -> list[Decision]:
    decisions = []
    for step in steps:
        outcomes = []
        for rule in step.rules:
            met, detail = _EVALUATORS[rule["kind"]](rule, facts, as_of)
            outcomes.append(
                RuleOutcome(
                    rule=rule["key"],
                    label=rule["label"],
                    label_zh=rule["label_zh"],
                    met=met,
                    detail=detail,
                )
            )
        decisions.append(Decision(step.key, step.label, step.label_zh, outcomes))
    return decisions
