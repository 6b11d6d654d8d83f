"""The province's tables (省级报表) as XLSX (openpyxl): one sheet per table, in the column
template documented in ``shared/report/TEMPLATE.md`` — :data:`TEMPLATE` is that template,
and a test keeps the two equal.

Every sheet starts with its title (row 1) and the data's day and region (row 2), the
column headers in row 3, then one row for the whole (合计) and one per county (or child of
the region). Counts are numbers, rates are fractions shown as percentages, an unknown
figure is an empty cell.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

from shegong.report.document import repack
from shegong.report.text import STAFFING_STANDARD, share

__all__ = ["TEMPLATE", "build_xlsx"]

Value = Callable[[dict[str, Any]], Any]
Column = tuple[str, str, Value]  # header, number format ("" / "0.0%" / "0.0"), value


def _w(key: str) -> Value:
    return lambda u: u["workforce"].get(key)


def _t(key: str) -> Value:
    return lambda u: u["training"].get(key)


def _s(key: str) -> Value:
    return lambda u: u["services"].get(key)


def _meets(u: dict[str, Any]) -> str | None:
    ratio = u["workforce"].get("community_workers_per_10k")
    return None if ratio is None else ("是" if ratio >= STAFFING_STANDARD else "否")


def _level(level: str) -> Value:
    return lambda u: (u["workforce"].get("by_level") or {}).get(level, 0)


def _minutes(u: dict[str, Any]) -> float | None:
    median = u["services"]["time_to_accept_s"].get("median")
    return None if median is None else round(median / 60, 1)


# Sheet name → (title, columns). The first column of every sheet is 区划 (the unit's name).
TEMPLATE: dict[str, tuple[str, list[Column]]] = {
    "表1 专业人员总体情况": (
        "社会工作专业人员总体情况",
        [
            ("专业人员总量（人）", "", _w("professionals")),
            ("上年同期（人）", "", _w("professionals_prev")),
            ("同比增长", "0.0%", _w("professionals_yoy")),
            ("持证专业人员（人）", "", _w("certified")),
            ("上年同期持证（人）", "", _w("certified_prev")),
            ("持证同比增长", "0.0%", _w("certified_yoy")),
            ("本年新增专业人员（人）", "", _w("new_professionals")),
            ("本年新增持证（人）", "", _w("newly_certified")),
            ("持证转化率", "0.0%", _w("conversion_rate")),
        ],
    ),
    "表2 三级进阶": (
        "持证等级与三级进阶",
        [
            ("助理社会工作师（人）", "", _level("assistant")),
            ("社会工作师（人）", "", _level("intermediate")),
            ("高级社会工作师（人）", "", _level("senior")),
            ("市级专家库（人）", "", _w("expert_pool")),
            ("社区持证社工（人）", "", _w("certified_in_community")),
        ],
    ),
    "表3 社区工作者配备": (
        "社区工作者配备",
        [
            ("社区工作者（人）", "", _w("community_workers")),
            ("本年新配备（人）", "", _w("new_community_workers")),
            ("城镇常住人口（人）", "", _w("urban_population")),
            ("每万城镇常住人口配备（人）", "0.0", _w("community_workers_per_10k")),
            ("配备标准（人/万人）", "", lambda u: STAFFING_STANDARD),
            ("是否达标", "", _meets),
        ],
    ),
    "表4 培训情况": (
        "分层分类培训情况",
        [
            ("培训期数（期）", "", _t("sessions")),
            ("培训人次（人次）", "", _t("person_times")),
            ("参训人数（人）", "", _t("trainees")),
            ("完成学时（学时）", "0.0", _t("hours")),
            ("岗前培训覆盖率", "0.0%", lambda u: share(u["training"]["prejob_coverage"])),
            ("考前冲刺通过率", "0.0%", lambda u: share(u["training"]["examprep_pass_rate"])),
        ],
    ),
    "表5 服务情况": (
        "“社工+志愿”服务情况",
        [
            ("居民点单（件）", "", _s("requests")),
            ("接单率", "0.0%", _s("acceptance_rate")),
            ("接单时长中位数（分钟）", "0.0", _minutes),
            ("升级至社区响应比例", "0.0%", lambda u: u["services"]["escalation_rate"]["community"]),
            ("完成率", "0.0%", _s("completion_rate")),
            ("回访率", "0.0%", _s("follow_up_coverage")),
            ("回访满意度（5分制）", "0.00", _s("mean_satisfaction")),
            ("志愿服务时长（小时）", "0.0", lambda u: u["services"]["hours"]["volunteer"]),
            (
                "常态化项目打卡（人次）",
                "",
                lambda u: u["services"]["programme_attendance"]["check_ins"],
            ),
        ],
    ),
}


def _kinds_sheet(wb: Workbook, f: dict[str, Any], subtitle: str) -> None:
    ws = wb.create_sheet("表6 培训分类")
    ws.append(["培训分类与培训网络"])
    ws.append([subtitle])
    ws.append(["类别", "名称", "培训期数（期）", "培训人次（人次）"])
    for group, rows in (
        ("培训类型", f["training"]["by_kind"]),
        ("基地层级", f["training"]["by_tier"]),
    ):
        for row in rows.values():
            ws.append([group, row["label_zh"], row["sessions"], row["person_times"]])
    _style(ws, 4)


def _notes_sheet(wb: Workbook, f: dict[str, Any]) -> None:
    ws = wb.create_sheet("说明")
    ws.append(["项目", "内容"])
    ws.append(["年度", f["year"]])
    ws.append(["区划", f["region_name"]])
    ws.append(["数据截至", f["as_of_date"]])
    for service, found in f["positions"].items():
        for source, pos in found.items():
            ws.append([f"事件位置 {service}", f"{source} 第 {pos} 条"])
    review = (f.get("workforce") or {}).get("review") or {}
    if review.get("queued_pairs"):
        basis = f["workforce"].get("basis")
        ws.append(
            [
                "人员库口径",
                f"最佳估计：待人工核对的 {review['queued_pairs']} 对配对中 "
                f"{review['counted_as_one']} 对（匹配概率 ≥ 0.5）按一人计"
                if basis == "best_estimate"
                else f"已确认链接：待人工核对的 {review['queued_pairs']} 对配对按两人计",
            ]
        )
    if f.get("published"):
        ws.append(["发布并冻结", f"{f['published']['at']}（{f['published']['by']}）"])
    ws.append(
        [
            "来源",
            "shegong 平台：registry /indicators/workforce、training /indicators/training、"
            "matching /indicators/services",
        ]
    )
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 22, 90


def _style(ws: Any, header_row: int = 3) -> None:
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for i, column in enumerate(ws.iter_cols(min_row=header_row), start=1):
        ws.column_dimensions[column[0].column_letter].width = 16 if i > 1 else 20


def _text_not_formulas(wb: Workbook) -> None:
    """openpyxl writes a string that starts with "=" as a formula: a region, a session kind
    or a publisher's name (the key's name and ``X-Actor``) written ``=HYPERLINK(…)`` would run
    in the province's copy of the tables. The tables hold no formula of their own: every
    such cell is text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def build_xlsx(f: dict[str, Any]) -> bytes:
    """The province's tables for figures ``f`` as .xlsx bytes."""
    wb = Workbook()
    day = date.fromisoformat(f["as_of_date"])
    wb.properties.creator = "shegong"
    wb.properties.created = wb.properties.modified = datetime(day.year, day.month, day.day)
    wb.remove(wb.active)
    subtitle = f"区划：{f['region_name']}　数据截至：{f['as_of_date']}"
    units = [(f"{f['region_name']}（合计）", f), *((u["name"], u) for u in f["units"])]
    for name, (title, columns) in TEMPLATE.items():
        ws = wb.create_sheet(name)
        ws.append([f"{f['year']}年{title}"])
        ws.append([subtitle])
        ws.append(["区划", *(header for header, _, _ in columns)])
        for label, unit in units:
            ws.append([label, *(value(unit) for _, _, value in columns)])
        for row in ws.iter_rows(min_row=4, min_col=2):
            for cell, (_, fmt, _) in zip(row, columns, strict=True):
                if fmt:
                    cell.number_format = fmt
        _style(ws)
    _kinds_sheet(wb, f, subtitle)
    _notes_sheet(wb, f)
    _text_not_formulas(wb)
    buf = io.BytesIO()
    # openpyxl's own writer, without ``save_workbook``'s stamping of the clock as "modified".
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return repack(buf.getvalue(), day)
