"""A node of the region tree (区—街道—社区): every indicator rolls up along it."""

from __future__ import annotations

from typing import Any

from shegong.contracts.registry import RegionDefined
from shegong.kernel.events.aggregate import Aggregate


def region_stream(code: str) -> str:
    return f"region:{code}"


class Region(Aggregate):
    type_name = "region"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.definition: dict[str, Any] = {}

    def define(
        self, code: str, name: str, level: str, parent: str | None, population: int | None
    ) -> bool:
        """Record the definition if it says something new. A population left blank (a
        node only implied by its children) never erases one already known."""
        if population is None:
            population = self.definition.get("urban_population")
        event = RegionDefined(
            code=code,
            name=name,
            level=level,
            parent=parent,  # type: ignore[arg-type]
            urban_population=population,
        )
        if event.data() == self.definition:
            return False
        self.record(event)
        return True

    def when_RegionDefined(self, e: RegionDefined) -> None:
        self.definition = e.data()
