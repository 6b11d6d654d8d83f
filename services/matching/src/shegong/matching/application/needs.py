"""Needs surveys (需求调查) into the needs register (需求台账), and unmet needs.

A row names a community, a household, a target group and one or more needs (服务需求,
separated by 、 , ; or spaces). The file is read by the kernel's spreadsheet layer
(:mod:`shegong.kernel.data.sheets`: title lines above the header skipped, a file without the
needed columns refused whole). A bad row is reported with its row number and field, in
English and Chinese, and never stops the good ones; importing the same file again adds
nothing.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import NeedRecorded, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.data.sheets import Cell, CellError, HeadedSheet, cell_text, read_headed
from shegong.kernel.data.sheets.vocabulary import (
    COMMUNITY_HEADERS,
    COUNTY_HEADERS,
    TOWNSHIP_HEADERS,
)
from shegong.kernel.events.store import Append, CommandContext, EventStore
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import needs, programmes, requests, within

COLUMNS: dict[str, tuple[str, ...]] = {
    # a place in the words every importer reads, this survey's own label first
    "county": ("区县", *COUNTY_HEADERS),
    "township": ("街道", *TOWNSHIP_HEADERS, "street"),
    "community": ("社区", *COMMUNITY_HEADERS),
    "household": ("户", "户号", "住户", "household"),
    "target_group": ("服务对象", "对象类别", "target_group"),
    "needs": ("服务需求", "需求", "needs"),
}
_REQUIRED = ("community", "household", "target_group", "needs")
CHUNK = 500  # needs stored per transaction (NeedsImporter.import_file)
_SPLIT = re.compile(r"[、,，;；/\s]+")


@dataclass
class SurveyReport:
    rows_read: int = 0
    recorded: int = 0
    already_known: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def read_survey(data: bytes, filename: str) -> HeadedSheet:
    """The survey's header found; raises ``TabularFileError`` for a file refused whole."""
    return read_headed(data, filename, COLUMNS, marker="community", required=_REQUIRED)


def _text(cell: Cell) -> str:
    try:
        return cell_text(cell) or ""
    except CellError:  # a number too long for Excel to keep: its digits
        return str(int(cell)) if isinstance(cell, float) else ""


class NeedsImporter:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def import_file(self, data: bytes, filename: str, ctx: CommandContext) -> SurveyReport:
        """The survey's needs, in transactions of ``CHUNK`` needs with the event loop
        free between them. SQLite's statements run on the loop's thread (kernel
        ``ops/db.py``): in one transaction, with every known need read to compare, a
        10,000-row survey held matching's loop — every request, ``/health`` too — 14 s,
        a 99,000-row one more than 5 minutes (round 9). Importing the file again adds
        nothing: each chunk compares with the needs stored before it."""
        # Off the event loop: a 99,000-row survey's rows took 11 s to check.
        report, parsed = await asyncio.to_thread(_parse_file, data, filename)
        needs_found = [need for _, need in parsed]
        for start in range(0, len(needs_found), CHUNK):
            await self._store(needs_found[start : start + CHUNK], ctx, report)
            await asyncio.sleep(0)  # the loop serves what waits before the next chunk
        return report

    async def _store(
        self, chunk: list[dict[str, Any]], ctx: CommandContext, report: SurveyReport
    ) -> None:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            # The needs stored of the chunk's households only (the unique index's order)
            communities = sorted({need["community"] for need in chunk})
            households = sorted({need["household"] for need in chunk})
            columns = (needs.c.community, needs.c.household, needs.c.service_type)
            stored = select(*columns).where(
                needs.c.community.in_(communities), needs.c.household.in_(households)
            )
            known = {
                (r.community, r.household, r.service_type) for r in await tx.conn.execute(stored)
            }
            batches: list[Append] = []
            rows: list[dict[str, Any]] = []
            for need in chunk:
                key = (need["community"], need["household"], need["service_type"].value)
                if key in known:
                    report.already_known += 1
                    continue
                known.add(key)
                event = NeedRecorded(need_id=str(uuid.uuid4()), **need)
                batches.append(Append(event.need_id, "need", 0, [event]))
                rows.append(
                    {
                        "need_id": event.need_id,
                        "community": event.community,
                        "household": event.household,
                        "target_group": event.target_group.value,
                        "service_type": event.service_type.value,
                        "surveyed_on": event.surveyed_on,
                    }
                )
            if rows:  # one statement for the chunk's rows
                await tx.conn.execute(needs.insert(), rows)
            await tx.append_many(batches)
            report.recorded += len(batches)


def _parse_file(
    data: bytes, filename: str
) -> tuple[SurveyReport, list[tuple[int, dict[str, Any]]]]:
    """The survey read and its rows checked (blocking: run off the loop)."""
    sheet = read_survey(data, filename)
    report = SurveyReport()
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, cells in sheet.rows:
        report.rows_read += 1
        parsed.extend(_parse_row(number, cells, sheet.columns, report, sheet.row_sheet))
    return report, parsed


def _parse_row(
    number: int,
    cells: Sequence[Cell],
    header: dict[str, int],
    report: SurveyReport,
    sheet: str | None = None,  # the row's sheet, when the workbook had more than one read
) -> list[tuple[int, dict[str, Any]]]:
    def cell(key: str) -> str:
        i = header.get(key)
        return _text(cells[i]) if i is not None and i < len(cells) else ""

    def reject(field_name: str, reason: str, reason_zh: str) -> list[tuple[int, dict[str, Any]]]:
        # Quoted cells never show a whole ID number or phone (a shifted column).
        report.rejected.append(
            {
                **({"sheet": sheet} if sheet is not None else {}),
                "row": number,
                "field": field_name,
                "reason": redact_numbers(reason),
                "reason_zh": redact_numbers(f"{COLUMNS[field_name][0]}：{reason_zh}"),
            }
        )
        return []

    community = cell("community")
    if "county" in header and "/" not in community:
        community = "/".join(p for p in (cell("county"), cell("township"), community) if p)
    if len([p for p in community.split("/") if p]) != 3:
        return reject(
            "community",
            "needs 区县/街道/社区 (or the three columns)",
            "应填写为 区县/街道/社区（或分三列填写）",
        )
    household = cell("household")
    if not household:
        return reject("household", "is empty", "未填写")
    if redact_numbers(household) != household:
        # A surveyor who keys households by the resident's phone (or ID number) would put
        # it onto matching.events and every department's needs register whole (round 8).
        return reject(
            "household",
            "is a phone or an ID number: write the household's own number (门牌/户号)",
            "填写的是手机号或身份证号，请改填门牌号或户号",
        )
    try:
        group = TargetGroup.parse(cell("target_group"))
    except ValueError as err:
        choices = " / ".join(m.zh for m in TargetGroup)
        return reject(
            "target_group", str(err), f"“{cell('target_group')}”不在可选值中，应为：{choices}"
        )
    out = []
    for raw in (n for n in _SPLIT.split(cell("needs")) if n):
        try:
            service_type = ServiceType.parse(raw)
        except ValueError:
            return reject(
                "needs",
                f"{raw!r} is not a service type (健康管理, 助餐, 探访 …)",
                f"“{raw}”不是服务类型（健康管理、助餐、探访……）",
            )
        out.append(
            (
                number,
                {
                    "community": community,
                    "household": household[:64],
                    "target_group": group,
                    "service_type": service_type,
                },
            )
        )
    if not out:
        return reject("needs", "is empty", "未填写")
    return out


async def unmet_needs(engine: AsyncEngine, community: str | None = None) -> list[dict[str, Any]]:
    """Per community: surveyed needs with no completed order and no programme for them."""
    async with reading(engine) as conn:
        query = select(needs)
        if community:
            query = query.where(within(needs.c.community, community))
        surveyed = list(await conn.execute(query))
        served = set(
            (
                await conn.execute(
                    select(requests.c.community, requests.c.service_type).where(
                        requests.c.status.in_(("completed", "followed_up"))
                    )
                )
            ).all()
        )
        served |= set(
            (await conn.execute(select(programmes.c.community, programmes.c.service_type))).all()
        )
    by_community: dict[str, dict[str, Any]] = {}
    for n in surveyed:
        if (n.community, n.service_type) in served:
            continue
        entry = by_community.setdefault(n.community, {"community": n.community, "unmet": {}})
        label = ServiceType(n.service_type)
        item = entry["unmet"].setdefault(n.service_type, {"label_zh": label.zh, "households": 0})
        item["households"] += 1
    return sorted(by_community.values(), key=lambda e: e["community"])
