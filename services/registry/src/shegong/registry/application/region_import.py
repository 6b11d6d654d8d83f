"""Importing the region tree with urban resident population (区县 乡镇街道 社区村 城镇常住人口)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shegong.kernel.events.store import CommandContext, EventStore
from shegong.registry.domain.region import Region, region_stream
from shegong.registry.imports.regions import parse_regions


@dataclass
class RegionImportReport:
    rows_read: int = 0
    nodes: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        rows = {(r.get("sheet"), r["row"]) for r in self.rejected}  # a sheet's row
        return {**self.__dict__, "rejected_rows": len(rows)}


class RegionImporter:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def import_file(
        self, data: bytes, filename: str, ctx: CommandContext
    ) -> RegionImportReport:
        parsed = parse_regions(data, filename)
        report = RegionImportReport(rows_read=parsed.rows_read, nodes=len(parsed.nodes))
        report.rejected = [r.report() for r in parsed.rejections]
        async with self.store.transaction(ctx) as tx:
            touched = []
            for node in parsed.nodes:
                region = await tx.load(Region, region_stream(node.code))
                is_new = region is None
                region = region or Region(region_stream(node.code))
                if region.define(
                    node.code, node.name, node.level.value, node.parent, node.urban_population
                ):
                    touched.append(region)
                    if is_new:
                        report.new += 1
                    else:
                        report.changed += 1
                else:
                    report.unchanged += 1
            report.events = len(await tx.save_all(touched))
        return report
