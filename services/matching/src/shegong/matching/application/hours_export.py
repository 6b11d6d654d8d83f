"""The hours ledger (服务时长台账) as a volunteer service record export (志愿服务记录):
person, team, organisation, service, place, time, hours and evaluation, one row per
entry. The evaluation is the follow-up of the entry's own delivery: after a reopen, the
first delivery keeps its rating and the next shows 待回访 until it is followed up. Cells
a spreadsheet would run as a formula are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.kernel.data.formula import safe_cell
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import hours_ledger

HEADER = (
    "记录编号 entry",
    "姓名 person",
    "类别 kind",
    "服务队 team",
    "组织 organisation",
    "服务项目 service",
    "服务地点 place",
    "开始时间 start",
    "结束时间 end",
    "服务时长 hours",
    "服务评价 evaluation",
)


async def ledger_rows(
    engine: AsyncEngine, year: int | None = None, provider_id: str | None = None
) -> list[dict[str, Any]]:
    query = select(hours_ledger)
    if year is not None:
        query = query.where(hours_ledger.c.year == year)
    if provider_id is not None:
        query = query.where(hours_ledger.c.provider_id == provider_id)
    async with reading(engine) as conn:
        rows = await conn.execute(query.order_by(hours_ledger.c.entry))
        return [r._asdict() for r in rows]


def record_line(row: dict[str, Any]) -> Sequence[Any]:
    satisfaction = row.get("satisfaction")
    return (
        row["entry"],
        row["person"],
        ProviderKind(row["provider_kind"]).zh,
        row["team"] or "",
        row["organisation"] or "",
        ServiceType(row["service_type"]).zh,
        row["community"],
        _stamp(row["started_at"]),
        _stamp(row["finished_at"]),
        f"{row['hours']:g}",
        # A programme's hours have no follow-up (回访) to wait for.
        "" if row.get("programme_id") else f"满意度 {satisfaction}/5" if satisfaction else "待回访",
    )


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(v) for v in record_line(row)])
    return "\ufeff" + out.getvalue()  # a BOM: Excel opens UTF-8 CSV correctly


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)
