"""The career ladder's rules (rules.toml): every decision names each rule, met or not."""

from __future__ import annotations

from datetime import date

import pytest

from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import AppraisalGrade
from shegong.registry.ladder.rules import Facts, evaluate, load_ladder
from shegong.registry.ladder.standing import LadderStanding

STEPS = load_ladder()
AS_OF = date(2025, 7, 1)


def decisions(facts: Facts, as_of: date = AS_OF) -> dict[str, dict[str, object]]:
    return {d.step: d.as_dict() for d in evaluate(STEPS, facts, as_of)}


def rules(decision: dict[str, object]) -> dict[str, dict[str, object]]:
    return {r["rule"]: r for r in decision["rules"]}  # type: ignore[attr-defined,index]


def test_the_configuration_declares_the_whole_ladder() -> None:
    assert [s.key for s in STEPS] == ["assistant", "intermediate", "senior_review", "expert_pool"]
    assert all(r["label_zh"] for s in STEPS for r in s.rules)


def test_a_newcomer_meets_nothing_and_is_told_why() -> None:
    got = decisions(Facts())
    senior = rules(got["senior_review"])
    assert got["senior_review"]["eligible"] is False
    assert {k: v["met"] for k, v in senior.items()} == {
        "intermediate_certificate_years": False,
        "training_hours_3y": False,
        "appraisal_competent": False,
    }
    assert senior["intermediate_certificate_years"]["detail"] == "no 社会工作师 or above"
    assert senior["training_hours_3y"]["detail"].startswith("0 h of 90 h")
    assert "0 appraisal(s) on record" in senior["appraisal_competent"]["detail"]


def test_senior_review_when_every_rule_is_met() -> None:
    facts = Facts(
        certificates=[(CertificateLevel.INTERMEDIATE, date(2019, 6, 30))],
        training=[(date(2023, 5, 1), 40), (date(2024, 5, 1), 30), (date(2025, 3, 1), 24)],
        appraisals=[("2024", AppraisalGrade.COMPETENT, date(2025, 1, 10))],
    )
    got = decisions(facts)
    assert got["senior_review"]["eligible"] is True
    assert got["expert_pool"]["eligible"] is True
    assert rules(got["senior_review"])["training_hours_3y"]["detail"].startswith("94 h of 90 h")


@pytest.mark.parametrize(
    ("change", "unmet"),
    [
        (
            {"certificates": [(CertificateLevel.INTERMEDIATE, date(2021, 6, 30))]},
            "intermediate_certificate_years",
        ),
        (
            {"certificates": [(CertificateLevel.ASSISTANT, date(2010, 6, 30))]},
            "intermediate_certificate_years",
        ),
        ({"training": [(date(2021, 5, 1), 200), (date(2025, 3, 1), 24)]}, "training_hours_3y"),
        (
            {"appraisals": [("2024", AppraisalGrade.BASIC, date(2025, 1, 10))]},
            "appraisal_competent",
        ),
    ],
)
def test_one_unmet_rule_is_named_and_the_others_stay_met(
    change: dict[str, object], unmet: str
) -> None:
    base: dict[str, object] = {
        "certificates": [(CertificateLevel.SENIOR, date(2018, 1, 1))],
        "training": [(date(2024, 5, 1), 100)],
        "appraisals": [("2024", AppraisalGrade.EXCELLENT, date(2025, 1, 10))],
    }
    got = decisions(Facts(**{**base, **change}))  # type: ignore[arg-type]
    senior = rules(got["senior_review"])
    assert got["senior_review"]["eligible"] is False
    assert [k for k, v in senior.items() if not v["met"]] == [unmet]


def test_the_latest_appraisal_counts() -> None:
    facts = Facts(
        certificates=[(CertificateLevel.INTERMEDIATE, date(2020, 1, 1))],
        appraisals=[
            ("2023", AppraisalGrade.INCOMPETENT, date(2024, 1, 10)),
            ("2024", AppraisalGrade.EXCELLENT, date(2025, 1, 10)),
        ],
    )
    pool = rules(decisions(facts)["expert_pool"])
    assert pool["appraisal_competent"]["met"] is True
    assert "2024: 优秀" in str(pool["appraisal_competent"]["detail"])


def test_an_unknown_rule_kind_is_refused_when_loading() -> None:
    text = """
[steps.senior_review]
label = "x"
label_zh = "x"
[[steps.senior_review.rules]]
key = "k"
kind = "astrology"
label = "x"
label_zh = "x"
"""
    with pytest.raises(ValueError, match="line 7: rule 'k': unknown kind 'astrology'"):
        load_ladder(text)


def test_standing_publishes_only_changes() -> None:
    standing = LadderStanding("ladder:w1")
    facts = Facts(
        certificates=[(CertificateLevel.INTERMEDIATE, date(2020, 1, 1))],
        appraisals=[("2024", AppraisalGrade.COMPETENT, date(2025, 1, 10))],
    )
    standing.decide(evaluate(STEPS, facts, AS_OF), AS_OF)
    first = standing.collect_pending()
    assert [(e.step, e.eligible) for e in first] == [("expert_pool", True)]  # type: ignore[attr-defined]
    standing.decide(evaluate(STEPS, facts, AS_OF), AS_OF)
    assert standing.collect_pending() == []
