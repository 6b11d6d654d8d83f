"""The volunteer hours record (志愿服务时长记录表) a department hands on — to the national
volunteer record, a street office, an auditor — in CSV or XLSX, by a fixed column
template (``TEMPLATE``; its documentation is ``docs/volunteer-hours-template.md``, kept
equal by a test).

One row per volunteer per service (a team's service appears once per member credited).
The national volunteer number (志愿者编号) is shown in full only to the department that
registered the volunteer — the one that reports them to the national record — and
masked (``31****78``) to everyone else (the city administrator, auditors). A department
key gets its own volunteers' rows only. Text that a spreadsheet would run as a formula is
neutralised in both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import hours_ledger
from shegong.matching.application.hours_export import safe_cell
from shegong.matching.application.provider_state import provider_department
from shegong.matching.application.volunteer_hours import numbers_of

BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    content: str

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


TEMPLATE: tuple[Column, ...] = (
    Column("序号", "No.", "1, 2, 3 … in the file"),
    Column("志愿者姓名", "Volunteer", "the volunteer's name as registered"),
    Column(
        "志愿者编号",
        "Volunteer number",
        "national volunteer number: in full for the registering department, masked otherwise",
    ),
    Column("服务队", "Team", "the volunteer team the hours were served in, or empty"),
    Column("服务组织", "Organisation", "the organisation of the team or the volunteer"),
    Column("服务类别", "Service", "the service type in Chinese (e.g. 探访, 助餐)"),
    Column("服务来源", "Source", "订单 (an order) or 常态化项目 (a programme)"),
    Column("服务地点", "Place", "the community, 区县/街道/社区"),
    Column("开始时间", "Start", "YYYY-MM-DD HH:MM, Beijing time"),
    Column("结束时间", "End", "YYYY-MM-DD HH:MM, Beijing time"),
    Column("服务时长（小时）", "Hours", "hours served, a number"),
    Column(
        "服务评价",
        "Evaluation",
        "满意度 n/5 after the follow-up, 待回访 before, empty for programmes",
    ),
    Column("台账编号", "Ledger entry", "the hours-ledger entry, to trace a row back"),
)
HEADER: tuple[str, ...] = tuple(c.header for c in TEMPLATE)


@dataclass(frozen=True)
class Viewer:
    """Who exports: a department key's department (its own volunteers, numbers in
    full), or nobody's (the administrator, an auditor: everyone, numbers masked)."""

    department: str | None
    own_only: bool


async def record_rows(
    store: EventStore, viewer: Viewer, year: int | None, department: str | None = None
) -> list[tuple[Any, ...]]:
    query = select(hours_ledger).where(hours_ledger.c.provider_kind == ProviderKind.VOLUNTEER.value)
    if year is not None:
        query = query.where(hours_ledger.c.year == year)
    async with reading(store.engine) as conn:
        entries = list(await conn.execute(query.order_by(hours_ledger.c.entry)))
        tx = Transaction(store, conn, CommandContext())
        owners: dict[str, str | None] = {}
        for provider_id in {e.provider_id for e in entries}:
            owners[provider_id] = await provider_department(tx, provider_id)
        numbers = await numbers_of(conn, list(owners))
    wanted = viewer.department if viewer.own_only else department
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        owner = owners[entry.provider_id]
        if (viewer.own_only or department is not None) and owner != wanted:
            continue
        vault = numbers.get(entry.provider_id)
        full = viewer.own_only and owner == viewer.department
        number = "" if vault is None else vault.number if full else vault.number_masked
        rows.append(_line(len(rows) + 1, entry, number))
    return rows


def _line(no: int, e: Any, number: str) -> tuple[Any, ...]:
    if e.programme_id is not None:
        evaluation = ""
    else:
        evaluation = f"满意度 {e.satisfaction}/5" if e.satisfaction else "待回访"
    return (
        no,
        e.person,
        number,
        e.team or "",
        e.organisation or "",
        ServiceType(e.service_type).zh,
        "常态化项目" if e.programme_id is not None else "订单",
        e.community,
        _stamp(e.started_at),
        _stamp(e.finished_at),
        round(float(e.hours), 2),
        evaluation,
        e.entry,
    )


def _stamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def to_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(v) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # a BOM: Excel reads UTF-8


def to_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = "志愿服务时长"
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # Text stays text: never a formula, and shown without a visible quote.
                if cell.value != safe_cell(cell.value):
                    cell.quotePrefix = True
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
