"""Providers registered in matching: volunteers (志愿者), volunteer teams (志愿服务队, e.g.
红色文化服务队, 社区非洲鼓队) and service organisations (服务机构). Social workers come from
the registry's events; matching only records their availability and capacity here.
"""

from __future__ import annotations

from shegong.contracts.matching import ProviderAvailabilitySet, ProviderKind, ProviderRegistered
from shegong.kernel.events.aggregate import Aggregate, DomainError


class Provider(Aggregate):
    type_name = "provider"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.kind: ProviderKind | None = None
        self.available = True
        self.capacity: int | None = None
        # The department that registered it (None: the city's); a social worker's is
        # the registry's fact (``provider_state.provider_department``).
        self.department: str | None = None

    @classmethod
    def register(cls, event: ProviderRegistered) -> Provider:
        if event.kind == ProviderKind.SOCIAL_WORKER:
            raise DomainError(
                "social workers come from the registry; register them there",
                field="kind",
                zh="社工来自人才登记系统（registry），请在那里登记",
            )
        provider = cls(event.provider_id)
        provider.record(event)
        return provider

    def set_availability(
        self,
        available: bool,
        capacity: int | None,
        skills: list[str] | None,
        supervised: bool | None,
    ) -> None:
        self.record(
            ProviderAvailabilitySet(
                provider_id=self.id,
                available=available,
                capacity=capacity,
                skills=skills,
                supervised=supervised,
            )
        )

    def when_ProviderRegistered(self, e: ProviderRegistered) -> None:
        self.kind, self.capacity, self.department = e.kind, e.capacity, e.department

    def when_ProviderAvailabilitySet(self, e: ProviderAvailabilitySet) -> None:
        self.available = e.available
        if e.capacity is not None:
            self.capacity = e.capacity
