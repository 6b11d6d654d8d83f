"""The worker (社会工作人才) as one department records them: the registry's aggregate.

Guard clauses refuse what cannot be true before any event exists; state changes only
by applying events, so the same code rebuilds a worker from its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from shegong.contracts.registry import (
    CertificateLevel,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
)
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.events.aggregate import Aggregate, DomainError


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


# What a clerk types as text. A phone or ID number in it (a shifted roster row: the ID
# number under 工作单位, the phone under 村(社区)) keeps its first three digits, as matching's
# free text does: it would go whole onto the bus and to every department's census.
TEXT_FIELDS = ("name", "former_name", "organization", "channel")


def without_numbers(field: str, value: Any) -> Any:
    """``value`` of profile ``field`` with every long number cut (``redact_numbers``)."""
    if field in TEXT_FIELDS and isinstance(value, str):
        return redact_numbers(value)
    if field == "region" and value is not None:
        parts = _plain(value)
        return {k: redact_numbers(v) if isinstance(v, str) else v for k, v in parts.items()}
    return value


# Profile fields a department may change after registration.
PROFILE_FIELDS = (
    "name",
    "former_name",
    "phone_hash",
    "phone_masked",
    "phone_parts",
    "other_phones_hash",
    "organization",
    "org_type",
    "post",
    "region",
    "hired_on",
    "channel",
)


# Kept for the census's linkage, not shown in a worker's view.
_CENSUS_ONLY: tuple[str, ...] = ("other_phones_hash", "former_name", "id_number_swaps_hash")
_CENSUS_ONLY += ("document_type", "document_hash")  # a passport's, a 回乡证's
_CENSUS_ONLY += ("birth_year_by_age",)  # 年龄: a birth year ±1, for linkage only


@dataclass
class Certificate:
    level: CertificateLevel
    certified_on: date
    certificate_no: str | None


class Worker(Aggregate):
    type_name = "worker"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.profile: dict[str, Any] = {}
        self.certificates: list[Certificate] = []
        self.left_on: date | None = None

    # -- commands ---------------------------------------------------------------
    @classmethod
    def register(cls, worker_id: str, event: WorkerRegistered) -> Worker:
        if event.hired_on and event.birth_date and event.hired_on < event.birth_date:
            raise DomainError(
                "hired_on is before birth_date", field="hired_on", zh="入职日期早于出生日期"
            )
        cut = {f: without_numbers(f, getattr(event, f)) for f in (*TEXT_FIELDS, "region")}
        if any(cut[f] != _plain(getattr(event, f)) for f in cut):
            event = event.model_validate({**event.model_dump(), **cut})
        worker = cls(worker_id)
        worker.record(event)
        return worker

    def update_profile(self, changes: dict[str, Any]) -> bool:
        """Record only what really changed; returns False when nothing did."""
        changes = {k: without_numbers(k, _plain(v)) for k, v in changes.items() if v is not None}
        changed = {k: v for k, v in changes.items() if self.profile.get(k) != v}
        # An unchanged number's mask and parts (or a number kept over a row that gives a mask
        # only) stay; a mask alone (138****5678, a volunteer platform's) may change.
        if "phone_hash" not in changed and (
            changes.get("phone_hash") or self.profile.get("phone_hash")
        ):
            changed.pop("phone_masked", None)
            changed.pop("phone_parts", None)
        if not changed:
            return False
        hired_on = changed.get("hired_on")
        if hired_on and self.left_on and hired_on > self.left_on:
            raise DomainError(
                "hired_on is after the recorded departure",
                field="hired_on",
                zh="入职日期晚于已登记的离职日期",
            )
        self.record(WorkerProfileUpdated(worker_id=self.id, changed=sorted(changed), **changed))
        return True

    def certify(
        self, level: CertificateLevel, certified_on: date, certificate_no: str | None, today: date
    ) -> bool:
        if certified_on > today:
            raise DomainError(
                f"certified_on {certified_on} is in the future",
                field="certified_on",
                zh=f"取证日期 {certified_on} 晚于今天",
            )
        for cert in self.certificates:
            if certificate_no and cert.certificate_no == certificate_no:
                if cert.level == level and cert.certified_on == certified_on:
                    return False  # the same certificate again: nothing new
                raise DomainError(
                    f"certificate {certificate_no} is already recorded as {cert.level.zh} "
                    f"({cert.certified_on})",
                    field="certificate_no",
                    code="duplicate",
                    zh=f"证书编号 {certificate_no} 已登记为{cert.level.zh}（{cert.certified_on}）",
                )
            if not certificate_no and cert.level == level and cert.certified_on == certified_on:
                return False
        self.record(
            WorkerCertified(
                worker_id=self.id,
                level=level,
                certified_on=certified_on,
                certificate_no=certificate_no,
            )
        )
        return True

    def leave(self, left_on: date, reason: str | None) -> None:
        if self.left_on is not None:
            raise DomainError(
                f"already left on {self.left_on}",
                field="left_on",
                code="conflict",
                zh=f"已于 {self.left_on} 离职",
            )
        hired_on = self.profile.get("hired_on")
        if hired_on and left_on < hired_on:
            raise DomainError(
                f"left_on {left_on} is before hired_on {hired_on}",
                field="left_on",
                zh=f"离职日期 {left_on} 早于入职日期 {hired_on}",
            )
        reason = redact_numbers(reason)
        self.record(WorkerLeft(worker_id=self.id, left_on=left_on, reason=reason))

    # -- state ------------------------------------------------------------------
    @property
    def highest_certificate(self) -> CertificateLevel | None:
        levels = [c.level for c in self.certificates]
        return max(levels, key=lambda lv: lv.rank) if levels else None

    def when_WorkerRegistered(self, e: WorkerRegistered) -> None:
        self.profile = e.model_dump(exclude={"type", "worker_id"})

    def when_WorkerProfileUpdated(self, e: WorkerProfileUpdated) -> None:
        for name in e.changed:
            self.profile[name] = _plain(getattr(e, name))

    def when_WorkerCertified(self, e: WorkerCertified) -> None:
        self.certificates.append(Certificate(e.level, e.certified_on, e.certificate_no))

    def when_WorkerLeft(self, e: WorkerLeft) -> None:
        self.left_on = e.left_on

    def view(self) -> dict[str, Any]:
        return {
            "worker_id": self.id,
            "version": self.version,
            **{k: v for k, v in self.profile.items() if k not in _CENSUS_ONLY},
            "certificates": [c.__dict__ for c in self.certificates],
            "highest_certificate": self.highest_certificate,
            "left_on": self.left_on,
        }
