"""An exam's results keyed by 准考证号 alone (人事考试网's score list), with the 报名表 —
准考证号, 姓名, 身份证号 — on another sheet of the same workbook: each result is its
candidate's, as the 报名表 says. A 准考证号 the 报名表 does not have, or has for two people,
refuses its row naming the field; nothing is guessed."""

from __future__ import annotations

from collections.abc import Iterable

from shegong.kernel.data.sheets import Cell, CellError, TabularFileError, cell_text
from shegong.training.imports.sheets import EXAM_COLUMNS, RowProblem, SheetRow, read_sheet

TICKET_HEADERS = (
    "准考证号",
    "准考证号码",
    "准考证",
    "准考证编号",
    "考号",
    "考生编号",
    "admission ticket no.",
    "admission ticket",
    "ticket no.",
    "ticket no",
    "exam no.",
    "candidate no.",
)
# what a result says (a 报名表 says none of it); who a candidate is (a 报名表 says it)
_RESULT = ("passed", "score", "certificate_no", "certified_on")
_WHO = ("name", "id_number", "phone", "id_tail", "organization", "level")
_CONFLICT = object()


def _ticket(cell: Cell) -> str | None:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    try:
        text = cell_text(cell)
    except CellError:
        return None
    return text.strip().lstrip("'") if text else None


def _blank(row: SheetRow, field: str) -> bool:
    try:
        return cell_text(row.values.get(field)) is None
    except CellError:
        return False


def _register(rows: Iterable[SheetRow]) -> dict[str, SheetRow | object]:
    found: dict[str, SheetRow | object] = {}
    for row in rows:
        ticket = _ticket(row.values.get("ticket"))
        if ticket and not (_blank(row, "name") and _blank(row, "id_number")):
            seen = found.get(ticket)
            found[ticket] = row if seen is None else _CONFLICT
    return found


def rows_by_ticket(data: bytes, filename: str) -> list[SheetRow] | None:
    """The results of a workbook whose results name their candidates by 准考证号 and whose
    other sheet (a 报名表: no result on it) says who each 准考证号 is — each result row
    with the candidate's 姓名, 身份证号 (and level) filled in; ``None`` when the file is
    not so (no 准考证号 column, or no such 报名表)."""
    try:
        rows = list(
            read_sheet(data, filename, {**EXAM_COLUMNS, "ticket": TICKET_HEADERS}, ["ticket"])
        )
    except TabularFileError:
        return None
    sheets: dict[str | None, list[SheetRow]] = {}
    for row in rows:
        sheets.setdefault(row.sheet, []).append(row)
    registers = {
        sheet
        for sheet, its in sheets.items()
        if len(sheets) > 1
        and not any(not _blank(r, f) for r in its for f in _RESULT)
        and any(not _blank(r, "name") or not _blank(r, "id_number") for r in its)
    }
    if not registers:
        return None
    register = _register(r for sheet in registers for r in sheets[sheet])
    joined = []
    for row in rows:
        if row.sheet in registers:
            continue
        found = register.get(_ticket(row.values.get("ticket")) or "")
        if isinstance(found, SheetRow) and _blank(row, "name") and _blank(row, "id_number"):
            for field in _WHO:
                if _blank(row, field):
                    row.values[field] = found.values.get(field)
        joined.append(row)
    return joined


def check_ticket(row: SheetRow) -> None:
    """Refuse a result whose 准考证号 found nobody on the workbook's 报名表 (or two)."""
    ticket = _ticket(row.values.get("ticket"))
    if ticket and all(_blank(row, f) for f in ("name", "id_number", "phone")):
        raise RowProblem(
            "ticket",
            "ticket: this 准考证号 is not on the workbook's 报名表 (or is there for two "
            "people): the candidate is unknown; give the name and ID number",
            "准考证号：报名表中没有该准考证号（或对应多人），无法确认考生，请填写姓名和身份证号",
        )
