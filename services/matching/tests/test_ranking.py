"""Eligibility and the explainable score, pure (no I/O)."""

from __future__ import annotations

from datetime import date, timedelta

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.matching.domain.ranking import Candidate, Need, ineligibility, rank, region_path

TODAY = date(2025, 6, 1)
HOME = region_path("安定区/永定路街道/东关社区")


def need(service: ServiceType, group: TargetGroup = TargetGroup.ELDERLY, **kw: object) -> Need:
    return Need(service, group, HOME, TODAY, **kw)  # type: ignore[arg-type]


def worker(pid: str, region: str = "安定区/永定路街道/东关社区", **kw: object) -> Candidate:
    return Candidate(pid, ProviderKind.SOCIAL_WORKER, pid, region_path(region), 3, **kw)  # type: ignore[arg-type]


def volunteer(pid: str, **kw: object) -> Candidate:
    return Candidate(pid, ProviderKind.VOLUNTEER, pid, HOME, 3, **kw)  # type: ignore[arg-type]


def test_eligibility_names_the_reason() -> None:
    psych = need(ServiceType.PSYCHOLOGICAL_SUPPORT)
    assert "certificate" in (ineligibility(psych, worker("w")) or "")
    assert ineligibility(psych, worker("w", certificate_rank=1)) is None
    assert "certificate" in (ineligibility(psych, volunteer("v", supervised=True)) or "")
    assert "capacity" in (
        ineligibility(need(ServiceType.MEAL_HELP), worker("w", open_assignments=3)) or ""
    )
    assert "not active" in (
        ineligibility(need(ServiceType.MEAL_HELP), worker("w", active=False)) or ""
    )
    assert "unavailable" in (
        ineligibility(need(ServiceType.MEAL_HELP), worker("w", available=False)) or ""
    )
    assert "rehabilitation" in (ineligibility(need(ServiceType.REHABILITATION), worker("w")) or "")
    assert (
        ineligibility(
            need(ServiceType.REHABILITATION), worker("w", skills=frozenset({"rehabilitation"}))
        )
        is None
    )
    kids = need(ServiceType.HOME_VISIT, TargetGroup.CHILDREN)
    assert "unsupervised" in (ineligibility(kids, volunteer("v")) or "")
    assert ineligibility(kids, volunteer("v", supervised=True)) is None
    assert ineligibility(need(ServiceType.MEAL_HELP), volunteer("v")) is None
    assert "declined" in (
        ineligibility(need(ServiceType.MEAL_HELP, exclude=frozenset({"v"})), volunteer("v")) or ""
    )


def test_score_orders_by_proximity_then_load_training_satisfaction_fairness() -> None:
    visit = need(ServiceType.HOME_VISIT)
    pool = [
        worker("district", "安定区/中华路街道/西岩社区"),
        worker("street", "安定区/永定路街道/西关社区"),
        worker("community"),
        worker("busy", open_assignments=2),
        worker("trained", trained_on={"home_visit": TODAY - timedelta(days=10)}),
        worker("liked", satisfaction_sum=10, satisfaction_n=2),
        worker("elsewhere", "岷县/岷阳镇/北关村"),
    ]
    ranked = rank(visit, pool, 10)
    order = [r.candidate.provider_id for r in ranked]
    assert order[:3] == ["trained", "liked", "community"]
    assert order.index("community") < order.index("busy") < order.index("street")
    assert order.index("street") < order.index("district") < order.index("elsewhere")
    explained = ranked[0].explain()
    assert explained["parts"]["training"] > 0.9 and set(explained["weights"]) == set(
        explained["parts"]
    )
    assert [r.candidate.provider_id for r in rank(visit, pool, 2)] == order[:2]


def test_fairness_prefers_who_served_less() -> None:
    meal = need(ServiceType.MEAL_HELP)
    ranked = rank(meal, [worker("veteran", completed=9), worker("newcomer")], 2)
    assert [r.candidate.provider_id for r in ranked] == ["newcomer", "veteran"]


def test_one_person_is_one_candidate_through_their_best_record() -> None:
    visit = need(ServiceType.HOME_VISIT)
    both = ("a-civil", "b-health")
    near = worker("b-health", records=both, open_assignments=1)
    far = worker("a-civil", "安定区/中华路街道/西岩社区", records=both, open_assignments=1)
    ranked = rank(visit, [far, near, worker("other", "安定区/永定路街道/西关社区")], 10)
    assert [r.candidate.provider_id for r in ranked] == ["b-health", "other"]
    assert ranked[0].explain()["merged_records"] == list(both)
    assert "merged_records" not in ranked[1].explain()
    # Offered (or declined) through one record: not again through the other.
    again = need(ServiceType.HOME_VISIT, exclude=frozenset({"a-civil"}))
    assert "another record" in (ineligibility(again, near) or "")
    assert [r.candidate.provider_id for r in rank(again, [far, near], 10)] == []
    # The person's load is the record's: full through both.
    assert "capacity" in (ineligibility(visit, worker("a", records=both, open_assignments=3)) or "")
