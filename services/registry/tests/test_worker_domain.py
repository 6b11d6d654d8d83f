"""The worker aggregate's rules, pure (no I/O): milliseconds each."""

from __future__ import annotations

from datetime import date

import pytest

from shegong.contracts.registry import (
    CertificateLevel,
    Post,
    Region,
    WorkerCertified,
    WorkerProfileUpdated,
    WorkerRegistered,
)
from shegong.kernel.events.aggregate import DomainError
from shegong.registry.domain.worker import Worker

TODAY = date(2025, 1, 1)


def registration(**overrides: object) -> WorkerRegistered:
    return WorkerRegistered(
        worker_id="w1",
        department="civil-affairs",
        name="张伟",
        post=Post.COMMUNITY_WORKER,
        region=Region(county="安定区"),
        hired_on=date(2023, 3, 1),
        **overrides,  # type: ignore[arg-type]
    )


def registered(**overrides: object) -> Worker:
    worker = Worker.register("w1", registration(**overrides))
    worker.collect_pending()
    return worker


def test_history_rebuilds_the_same_state() -> None:
    worker = registered()
    worker.certify(CertificateLevel.INTERMEDIATE, date(2024, 6, 1), "Z1", TODAY)
    worker.certify(CertificateLevel.ASSISTANT, date(2022, 6, 1), "A1", TODAY)
    worker.update_profile({"organization": "红叶社工服务中心"})
    worker.leave(date(2024, 12, 1), "调动")
    history = [
        registration(),
        *worker.collect_pending(),
    ]
    rebuilt = Worker.rehydrate("w1", history)
    assert rebuilt.view() == worker.view()
    assert rebuilt.version == 5
    assert rebuilt.highest_certificate is CertificateLevel.INTERMEDIATE


def test_profile_update_records_only_what_changed() -> None:
    worker = registered()
    assert worker.update_profile({"post": Post.COMMUNITY_WORKER, "name": "张伟"}) is False
    assert worker.collect_pending() == []
    assert worker.update_profile(
        {"region": Region(county="安定区", township="永定路街道"), "name": "张伟"}
    )
    (event,) = worker.collect_pending()
    assert isinstance(event, WorkerProfileUpdated)
    assert event.changed == ["region"]
    assert (
        worker.update_profile({"region": Region(county="安定区", township="永定路街道")}) is False
    )


def test_same_certificate_twice_is_no_event_but_a_clash_is_refused() -> None:
    worker = registered()
    assert worker.certify(CertificateLevel.ASSISTANT, date(2024, 1, 2), "C-1", TODAY)
    assert not worker.certify(CertificateLevel.ASSISTANT, date(2024, 1, 2), "C-1", TODAY)
    with pytest.raises(DomainError) as err:
        worker.certify(CertificateLevel.SENIOR, date(2024, 1, 2), "C-1", TODAY)
    assert err.value.field == "certificate_no" and err.value.code == "duplicate"
    assert [type(e) for e in worker.collect_pending()] == [WorkerCertified]


def test_future_certificate_and_impossible_departures_are_refused() -> None:
    worker = registered()
    with pytest.raises(DomainError, match="future") as err:
        worker.certify(CertificateLevel.ASSISTANT, date(2030, 1, 1), None, TODAY)
    assert err.value.field == "certified_on"
    with pytest.raises(DomainError) as err:
        worker.leave(date(2020, 1, 1), None)
    assert err.value.field == "left_on"
    worker.leave(date(2024, 1, 1), None)
    with pytest.raises(DomainError) as err:
        worker.leave(date(2024, 2, 1), None)
    assert err.value.code == "conflict"


def test_hired_before_born_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        registered(birth_date=date(2024, 1, 1))
    assert err.value.field == "hired_on"


def test_a_mask_alone_changes_a_number_held_stays() -> None:
    """A volunteer platform's row gives a mask only (138****5678): imported again with
    another mask, the record's mask changes (it stayed the first, the census comparing a
    number the list no longer shows); beside a full number held, a mask leaves it as it is."""
    worker = registered(phone_masked="138****5678")
    assert worker.update_profile({"phone_masked": "139****0001"})
    (event,) = worker.collect_pending()
    assert event.changed == ["phone_masked"] and worker.profile["phone_masked"] == "139****0001"
    held = registered(phone_hash="f" * 32, phone_masked="138****5678")
    assert held.update_profile({"phone_masked": "139****0001"}) is False
    assert held.update_profile({"phone_hash": "f" * 32, "phone_masked": "139****0001"}) is False
