"""Lines of a printed form among a table's rows, which are nobody's record.

A department's list is a form as much as a table: a total under each 区县's rows (小计
52人, in the 序号 column), who filled it in and checked it (填表人：张晓  审核人：李明)
and the seal at the end, and — where it was laid out for printing — the header row again
at the top of every page. Such a line is told by its first non-blank cell, whichever
column that is, or by the marker column repeating its own header; so is a heading over
a part of the list (一、禅城区, 第一网格) and a numbered line left blank (a printed form's
序号 1 to 50 with twelve names written in): one cell written, left of the marker's
column, and nothing else on the line. The table's rows
leave it out and :attr:`~.headed.HeadedSheet.form_lines` lists it, so an importer can
say which lines it did not read and why (:meth:`FormLine.rejection`).

A cell written 同上 ("as above", or the ditto mark 〃) holds what the same column holds
on the row above, as a merged cell does (:func:`ditto_rows`): the clerk's 街道 or 工作单位
over a run of rows typed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shegong.kernel.data.tabular import Cell

__all__ = ["DITTO", "FORM_LABEL", "FormLine", "ditto_rows", "form_rows"]

# A total (合计, 小计：52人, 共计 12 名), who filled the form in, checked or approved it
# (填表人：, 审核人 李明), when and for whom (填表日期：, 填报单位：), the seal, a note that
# the rest is blank. A person's name never has the colon or these words alone.
FORM_LABEL = re.compile(
    r"(?:合\s*计|总\s*计|小\s*计|共\s*计|累\s*计)(?:[:：\s].*|\d.*)?"
    r"|(?:填表|制表|审核|审批|经办|负责|联系|填报|统计)人?\s*[:：].*"
    r"|(?:填表|制表|填报|报送|统计)(?:日期|时间|单位).*"
    r"|.*(?:（盖章）|\(盖章\)|盖\s*章|签字|签名)[:：]?.*"
    r"|以下空白|(?:说明|注|备注)\s*[:：].*"
)


# 同上 (as above), 同上。, 〃 (the ditto mark), 同前: the cell above's value, typed once.
DITTO = re.compile(r"\s*(?:同\s*上|同\s*前|〃+)\s*[。.]?\s*")


@dataclass(frozen=True, slots=True)
class FormLine:
    """A line left out of the table: its row number, sheet (more than one read), what it
    began with (a total, a signature line) and whether it was the header again."""

    row_number: int
    sheet: str | None
    text: str
    header: bool
    section: bool = False  # a heading over part of the list, or a numbered line left blank

    @property
    def reason(self) -> tuple[str, str]:
        if self.section:
            return (
                "is not a person's row: a heading over part of the list, or a numbered "
                "line left blank",
                "不是人员行：是分组标题行或只有序号的空行",
            )
        if self.header:
            return (
                "is not a person's name: the header row again (a printed page's)",
                "不是人名：是重复的表头行（分页打印时的表头）",
            )
        return (
            "is not a person's name: a total or a line of the form (合计, 填表人：, 盖章)",
            "不是人名：是合计或表格的落款、说明行",
        )


def form_rows(
    rows: Iterator[tuple[int, Sequence[Cell]]],
    header: Sequence[Cell],
    marker_at: int,
    sheet: str | None,
    found: list[FormLine],
) -> Iterator[tuple[int, Sequence[Cell]]]:
    """``rows`` without the form's own lines, each appended to ``found`` as it is met."""
    again = header[marker_at] if marker_at < len(header) else None
    again = again.strip() if isinstance(again, str) else None
    for number, cells in rows:
        if again is not None and marker_at < len(cells):
            at_marker = cells[marker_at]
            if isinstance(at_marker, str) and at_marker.strip() == again:
                found.append(FormLine(number, sheet, again, header=True))
                continue
        first = next((c for c in cells if c is not None and c != ""), None)
        if isinstance(first, str) and FORM_LABEL.fullmatch(text := first.strip()):
            found.append(FormLine(number, sheet, text[:20], header=False))
            continue
        heading = _lone_cell(cells, marker_at)
        if heading is not None:
            found.append(FormLine(number, sheet, heading[:20], header=False, section=True))
            continue
        yield number, cells


_LONG_NUMBER = re.compile(r"\d{6}")  # an ID number or a phone: a person's, not a heading


def _lone_cell(cells: Sequence[Cell], marker_at: int) -> str | None:
    """The text of the line's one written cell when it is left of the marker's column
    (一、禅城区 or a bare 序号 7), else ``None``: a line with anything else written on it,
    or with its one value right of the name (an ID number alone), is a person's row with
    the name missing, and refused as such."""
    written = [
        (at, c)
        for at, c in enumerate(cells)
        if c is not None and not (isinstance(c, str) and not c.strip())
    ]
    if len(written) != 1 or written[0][0] >= marker_at:
        return None
    value = written[0][1]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = text.strip()
    return None if _LONG_NUMBER.search(text) else text


def ditto_rows(rows: Iterator[tuple[int, Sequence[Cell]]]) -> Iterator[tuple[int, Sequence[Cell]]]:
    """``rows`` with each 同上 / 〃 cell given the value of its column on the row above
    (that one's own 同上 resolved first); on the first row it stays as written."""
    above: list[Cell] = []
    for number, cells in rows:
        if any(isinstance(c, str) and DITTO.fullmatch(c) for c in cells):
            cells = [
                above[at]
                if isinstance(c, str)
                and DITTO.fullmatch(c)
                and at < len(above)
                and above[at] is not None
                else c
                for at, c in enumerate(cells)
            ]
        above = list(cells)
        yield number, cells
