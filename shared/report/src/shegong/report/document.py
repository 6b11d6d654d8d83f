"""The report as a Word document (python-docx): title, the three sections of sentences,
the charts, tables by county, and a note on where every figure came from.

Nothing in the document depends on the clock: its dates are the figures' day, and the
package's entries carry a fixed time (:func:`repack`), so the same figures give the same
bytes — what lets a published report regenerate identically.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from shegong.report import text
from shegong.report.charts import charts
from shegong.report.text import num, pct, share

__all__ = ["build_docx", "repack"]

BODY_FONT, HEADING_FONT = "宋体", "黑体"

_CAPTIONS = {
    "levels": "图1 持证专业人员证书等级",
    "yoy": "图2 专业人员与持证人数同比",
    "staffing": "图3 各区县每万城镇常住人口社区工作者配备与标准",
    "training": "图4 培训分类期数与人次",
    "accept_time": "图5 居民点单接单时长",
}
# Where each chart goes: after the paragraphs of this section.
_CHARTS_IN = {0: ("levels", "yoy", "staffing"), 1: ("training",), 2: ("accept_time",)}


def repack(data: bytes, when: date) -> bytes:
    """The same zip package with every entry stamped ``when`` (deterministic bytes)."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def _fonts(doc: Any) -> None:
    for name, font, size in (
        ("Normal", BODY_FONT, 12),
        ("Title", HEADING_FONT, 20),
        ("Heading 1", HEADING_FONT, 15),
        ("Caption", BODY_FONT, 10),
    ):
        style = doc.styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _table(doc: Any, caption: str, header: list[str], rows: list[list[str]]) -> None:
    title = doc.add_paragraph(caption, style="Caption")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.keep_with_next = True  # a table's caption stays with it
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]._tr.get_or_add_trPr()
    for flag in ("w:tblHeader", "w:cantSplit"):  # the header repeats on a new page, whole
        head.append(OxmlElement(flag))
    for cell, value in zip(table.rows[0].cells, header, strict=True):
        cell.text = value
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for run in p.runs:
                    run.font.size = Pt(9)


def county_tables(f: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The three tables by county (or by the region's children), with the total first."""
    rows = [("合计", f), *((u["name"], u) for u in f["units"])]
    workforce = [
        [
            name,
            str((w := u["workforce"])["professionals"]),
            str(w["certified"]),
            pct(w.get("professionals_yoy")),
            str(w["new_professionals"]),
            str(w["newly_certified"]),
            str(w["community_workers"]),
            num(w.get("community_workers_per_10k")),
        ]
        for name, u in rows
    ]
    training = [
        [
            name,
            str((t := u["training"])["sessions"]),
            str(t["person_times"]),
            str(t["trainees"]),
            num(t["hours"]),
            pct(share(t["prejob_coverage"])),
        ]
        for name, u in rows
    ]
    services = [
        [
            name,
            str((s := u["services"])["requests"]),
            pct(s.get("acceptance_rate")),
            pct(s.get("follow_up_coverage")),
            num(s.get("mean_satisfaction"), 2),
            num(s["hours"]["volunteer"]),
        ]
        for name, u in rows
    ]
    return [
        (
            "表1 社会工作专业人员队伍情况（按区县）",
            ["区县", "专业人员", "持证", "同比", "新增", "新增持证", "社区工作者", "每万人"],
            workforce,
        ),
        (
            "表2 培训情况（按区县）",
            ["区县", "期数", "人次", "人数", "学时", "岗前覆盖率"],
            training,
        ),
        (
            "表3 “社工+志愿”服务情况（按区县）",
            ["区县", "点单", "接单率", "回访率", "满意度", "志愿时长"],
            services,
        ),
    ]


def provenance(f: dict[str, Any]) -> str:
    """Where the figures came from and as of which event positions."""
    positions = "；".join(
        f"{service}（"
        + "、".join(
            f"{'本服务事件库' if src == service else src} 第 {pos} 条" for src, pos in found.items()
        )
        + "）"
        for service, found in f["positions"].items()
        if found
    )
    note = (
        f"数据说明：本报告数据{text.day_phrase(f['as_of_date'])}（{f['as_of_date']}），"
        "由 shegong 平台根据人员库（registry）、培训（training）、服务（matching）"
        f"三个服务的指标接口计算，计算时各服务已处理的事件位置为：{positions or '—'}。"
    )
    if f.get("published"):
        pub = f["published"]
        note += f"本报告于 {pub['at']} 发布并冻结（{pub['by']}），此后的更正不改变本报告。"
    return note


def build_docx(f: dict[str, Any]) -> bytes:
    """The report for figures ``f`` (see ``figures.collect``) as .docx bytes."""
    doc = Document()
    _fonts(doc)
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin = section.bottom_margin = Cm(2.5)
    day = date.fromisoformat(f["as_of_date"])
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = text.title(f), "shegong", "shegong"
    props.created = props.modified = datetime(day.year, day.month, day.day)
    props.revision = 1

    doc.add_paragraph(text.title(f), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(f"（{f['region_name']}　数据{text.day_phrase(f['as_of_date'])}）")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    images = charts(f)
    for i, (heading, paragraphs) in enumerate(text.sections(f)):
        doc.add_heading(heading, level=1)
        for sentence in paragraphs:
            p = doc.add_paragraph(sentence)
            p.paragraph_format.first_line_indent = Pt(24)
        for name in _CHARTS_IN[i]:
            doc.add_picture(io.BytesIO(images[name]), width=Cm(14))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            doc.add_paragraph(
                _CAPTIONS[name], style="Caption"
            ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading("四、分区县情况", level=1)
    for caption, header, rows in county_tables(f):
        _table(doc, caption, header, rows)
    note = doc.add_paragraph(provenance(f))
    for run in note.runs:
        run.font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return repack(buf.getvalue(), day)
