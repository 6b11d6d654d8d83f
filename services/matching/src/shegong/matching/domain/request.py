"""A resident's order (点单) from placement to follow-up (回访): matching's main aggregate.

open → offered → accepted → in_delivery → completed → followed_up, with escalation
(社区响应: community → street → district) while nobody has taken it, cancellation before
delivery, and an unsatisfied follow-up that reopens the need.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shegong.contracts.matching import (
    DeliveryFinished,
    DeliveryStarted,
    FollowUpRecorded,
    OfferDeclined,
    OrderAccepted,
    OrderEscalated,
    OrderOffered,
    ProviderKind,
    RequestCancelled,
    RequestPlaced,
    ResidentContactPurged,
    ResponseLevel,
)
from shegong.kernel.events.aggregate import Aggregate, DomainError

LEVELS = list(ResponseLevel)
UNTAKEN = ("open", "offered")
UNSATISFIED = 2  # satisfaction at or below this may reopen the need


def level_rank(level: ResponseLevel | None) -> int:
    return 0 if level is None else LEVELS.index(level) + 1


def responding_region(community: str, level: ResponseLevel) -> str:
    """The region that answers at ``level``: the community, its street, its district."""
    parts = community.split("/")
    keep = {ResponseLevel.COMMUNITY: 3, ResponseLevel.STREET: 2, ResponseLevel.DISTRICT: 1}
    return "/".join(parts[: keep[level]])


_STATUS_ZH = {
    "open": "待派单",
    "offered": "已派单待接单",
    "accepted": "已接单",
    "in_delivery": "服务中",
    "completed": "已完成",
    "followed_up": "已回访",
    "cancelled": "已取消",
}
_ACTIONS_ZH = {
    "offer": "派单",
    "decline": "拒单",
    "accept": "接单",
    "assign": "指派",
    "escalate": "升级",
}


def _zh(action: str, status: str) -> str:
    return f"订单状态为“{_STATUS_ZH.get(status, status)}”，不能{action}"


class Request(Aggregate):
    type_name = "request"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.placed: RequestPlaced | None = None
        self.status = "open"
        self.offered: list[str] = []
        self.declined: dict[str, str] = {}
        self.replaced: set[str] = set()  # providers of a reopened need
        self.provider_id: str | None = None
        self.provider_kind: ProviderKind | None = None
        self.level: ResponseLevel | None = None
        self.max_level: ResponseLevel | None = None  # highest ever reached (indicators)
        self.accept_by: datetime | None = None
        self.hours: float | None = None
        self.started_at: datetime | None = None
        self.follow_up_by: date | None = None
        self.satisfaction: int | None = None

    # -- commands ---------------------------------------------------------------
    @classmethod
    def place(cls, event: RequestPlaced) -> Request:
        if event.window_start and event.window_end and event.window_end < event.window_start:
            raise DomainError(
                "window_end is before window_start",
                field="window_end",
                zh="服务时段的结束早于开始",
            )
        if len([p for p in event.community.split("/") if p.strip()]) != 3:
            raise DomainError(
                "community must be a region path 区县/街道/社区, e.g. 安定区/永定路街道/东关社区",
                field="community",
                zh="社区须写成“区县/街道/社区”，如 安定区/永定路街道/东关社区",
            )
        request = cls(event.request_id)
        request.record(event)
        return request

    @property
    def department(self) -> str | None:
        """The department that placed the order and owns it (None: the city's)."""
        return self.placed.department if self.placed else None

    @property
    def excluded(self) -> frozenset[str]:
        return frozenset(self.declined) | frozenset(self.replaced)

    def offer(
        self, provider_ids: list[str], scores: list[float], accept_by: datetime | None = None
    ) -> bool:
        self._untaken("offer")
        fresh = [p for p in provider_ids if p not in self.offered and p not in self.excluded]
        if not fresh:
            return False
        keep = [s for p, s in zip(provider_ids, scores, strict=False) if p in fresh]
        self.record(
            OrderOffered(request_id=self.id, provider_ids=fresh, scores=keep, accept_by=accept_by)
        )
        return True

    def decline(self, provider_id: str, reason: str) -> None:
        self._untaken("decline")
        if provider_id not in self.offered:
            raise DomainError(
                f"{provider_id} was not offered this order",
                field="provider_id",
                code="conflict",
                zh="该服务者未收到此单的派单",
            )
        if provider_id in self.declined:
            raise DomainError(
                "already declined", field="provider_id", code="conflict", zh="已拒绝过此单"
            )
        self.record(OfferDeclined(request_id=self.id, provider_id=provider_id, reason=reason))

    @property
    def all_declined(self) -> bool:
        return bool(self.offered) and all(p in self.declined for p in self.offered)

    def accept(self, provider_id: str, kind: ProviderKind) -> None:
        self._untaken("accept")
        if provider_id not in self.offered or provider_id in self.declined:
            raise DomainError(
                f"{provider_id} holds no open offer for this order",
                field="provider_id",
                code="conflict",
                zh="该服务者没有此单的待接派单（已过期、已拒绝或已被他人接单）",
            )
        self.record(OrderAccepted(request_id=self.id, provider_id=provider_id, provider_kind=kind))

    def assign(self, provider_id: str, kind: ProviderKind, by: str) -> None:
        """Staff at the responding level assign by hand (派单)."""
        self._untaken("assign")
        self.record(
            OrderAccepted(
                request_id=self.id,
                provider_id=provider_id,
                provider_kind=kind,
                assigned_by=by,
                level=self.level,
            )
        )

    def next_level(self) -> ResponseLevel | None:
        rank = level_rank(self.level)
        return LEVELS[rank] if rank < len(LEVELS) else None

    def escalate(self, respond_by: datetime | None, reason: str = "sla") -> ResponseLevel:
        self._untaken("escalate")
        level = self.next_level()
        if level is None:
            raise DomainError("already at the district level", code="conflict", zh="已升级到区级")
        assert self.placed is not None
        self.record(
            OrderEscalated(
                request_id=self.id,
                level=level,
                region=responding_region(self.placed.community, level),
                respond_by=respond_by if level != ResponseLevel.DISTRICT else None,
                reason=reason,  # type: ignore[arg-type]
            )
        )
        return level

    def start(self, at: datetime) -> None:
        if self.status != "accepted":
            raise DomainError(
                f"cannot start a {self.status} order",
                code="conflict",
                zh=_zh("开始服务", self.status),
            )
        assert self.provider_id is not None
        self.record(
            DeliveryStarted(request_id=self.id, provider_id=self.provider_id, started_at=at)
        )

    def finish(self, at: datetime, hours: float, follow_up_by: date) -> None:
        if self.status not in ("accepted", "in_delivery"):
            raise DomainError(
                f"cannot finish a {self.status} order",
                code="conflict",
                zh=_zh("完成服务", self.status),
            )
        assert self.provider_id is not None
        self.record(
            DeliveryFinished(
                request_id=self.id,
                provider_id=self.provider_id,
                finished_at=at,
                hours=hours,
                follow_up_by=follow_up_by,
            )
        )

    def follow_up(self, satisfaction: int, notes: str | None, on: date, reopen: bool) -> None:
        if self.status != "completed":
            raise DomainError(
                f"cannot follow up a {self.status} order",
                code="conflict",
                zh=_zh("回访", self.status),
            )
        if reopen and satisfaction > UNSATISFIED:
            raise DomainError(
                f"only an unsatisfied follow-up (≤ {UNSATISFIED}) reopens the need",
                field="reopen",
                zh=f"只有不满意的回访（≤ {UNSATISFIED}）才能重新开启需求",
            )
        self.record(
            FollowUpRecorded(
                request_id=self.id,
                satisfaction=satisfaction,
                notes=notes,
                followed_up_on=on,
                reopened=reopen,
            )
        )

    def cancel(self, reason: str) -> None:
        if self.status in ("in_delivery", "completed", "followed_up", "cancelled"):
            raise DomainError(
                f"cannot cancel a {self.status} order", code="conflict", zh=_zh("取消", self.status)
            )
        self.record(RequestCancelled(request_id=self.id, reason=reason))

    def _untaken(self, what: str) -> None:
        if self.status not in UNTAKEN:
            raise DomainError(
                f"cannot {what}: the order is {self.status}",
                field="request_id",
                code="conflict",
                zh=_zh(_ACTIONS_ZH.get(what, what), self.status),
            )

    # -- state ------------------------------------------------------------------
    def when_RequestPlaced(self, e: RequestPlaced) -> None:
        self.placed, self.accept_by = e, e.accept_by

    def when_OrderOffered(self, e: OrderOffered) -> None:
        self.offered.extend(e.provider_ids)
        self.status = "offered"
        if e.accept_by is not None:
            self.accept_by = e.accept_by

    def when_OfferDeclined(self, e: OfferDeclined) -> None:
        self.declined[e.provider_id] = e.reason

    def when_OrderAccepted(self, e: OrderAccepted) -> None:
        self.status, self.provider_id, self.provider_kind = (
            "accepted",
            e.provider_id,
            e.provider_kind,
        )

    def when_OrderEscalated(self, e: OrderEscalated) -> None:
        self.level = e.level
        if level_rank(e.level) > level_rank(self.max_level):
            self.max_level = e.level

    def when_DeliveryStarted(self, e: DeliveryStarted) -> None:
        self.status, self.started_at = "in_delivery", e.started_at

    def when_DeliveryFinished(self, e: DeliveryFinished) -> None:
        self.status, self.hours, self.follow_up_by = "completed", e.hours, e.follow_up_by

    def when_FollowUpRecorded(self, e: FollowUpRecorded) -> None:
        self.satisfaction = e.satisfaction
        if e.reopened:
            # The need is open again; whoever served it is not asked again.
            if self.provider_id:
                self.replaced.add(self.provider_id)
            self.status, self.provider_id, self.provider_kind = "open", None, None
            self.offered, self.level = [], None
        else:
            self.status = "followed_up"

    def when_RequestCancelled(self, e: RequestCancelled) -> None:
        self.status = "cancelled"

    def when_ResidentContactPurged(self, e: ResidentContactPurged) -> None:
        # The vault's values are gone; on erasure the masked forms and the resident's
        # own words go too (a replay shows the order without them).
        if e.reason == "erasure" and self.placed is not None:
            gone = dict.fromkeys(("resident_phone_masked", "resident_address_masked", "notes"))
            self.placed = self.placed.model_copy(update=gone)

    def view(self) -> dict[str, Any]:
        assert self.placed is not None
        p = self.placed
        return {
            "request_id": self.id,
            "version": self.version,
            "status": self.status,
            "community": p.community,
            "target_group": p.target_group.value,
            "service_type": p.service_type.value,
            "service_type_zh": p.service_type.zh,
            "urgency": p.urgency.value,
            "window_start": p.window_start,
            "window_end": p.window_end,
            "notes": p.notes,
            "resident_phone_masked": p.resident_phone_masked,
            "resident_address_masked": p.resident_address_masked,
            "offered": list(self.offered),
            "declined": dict(self.declined),
            "provider_id": self.provider_id,
            "provider_kind": self.provider_kind.value if self.provider_kind else None,
            "level": self.level.value if self.level else None,
            "hours": self.hours,
            "follow_up_by": self.follow_up_by,
            "satisfaction": self.satisfaction,
        }
