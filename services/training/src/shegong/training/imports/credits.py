"""学分 instead of 学时: a continuing-education record that credits its people in credits,
with the sheet's own rule of how many hours a credit is — stated in the header
(学分（1学分=3学时）), a line above it (说明：1学分=2学时) or a note below the table
(注：每学分折合2学时). Without a stated rule the credits are refused, never converted on a
guess."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from shegong.training.imports.sheets import RowProblem, SheetRow, written_number

_NUMBER = r"(\d+(?:\.\d+)?)"
_ONE_CREDIT = re.compile(
    rf"(?:(?:1|一)\s*个?\s*学分|每\s*(?:个\s*)?学分)\s*"
    rf"(?:=|等于|折合为?|折算为?|计为?|相当于|为|合|按)?\s*{_NUMBER}\s*个?\s*(?:学时|课时|小时)"
)
_CREDITS = re.compile(rf"{_NUMBER}\s*(?:个)?\s*(?:学分)?")


def credit_rule(texts: Iterable[str | None]) -> float | None:
    """The hours one credit is, as the first of ``texts`` that states it says it."""
    for text in texts:
        if text and (match := _ONE_CREDIT.search(unicodedata.normalize("NFKC", text))):
            hours = float(match.group(1))
            if hours > 0:
                return hours
    return None


def sheet_rules(rows: Iterable[SheetRow]) -> dict[str | None, float]:
    """Each sheet's rule (by sheet name), from its title, its headers' notes and its lines
    that are no person (a note under the table)."""
    texts: dict[str | None, list[str | None]] = {}
    for row in rows:
        said = texts.setdefault(row.sheet, [])
        said += [*row.title, *row.notes]
        if row.not_a_person():
            said.append(row.text("name"))
    return {sheet: hours for sheet, said in texts.items() if (hours := credit_rule(said))}


def credit_hours(
    row: SheetRow, hours_per_credit: float | None, session_hours: float
) -> float | None:
    """The hours a row's 学分 credit, at most the session's; ``None`` without the column,
    blank or 0 (attendance only, as a 学时 of 0). Credits without the sheet's rule, or
    that are no number, refuse the row for a clerk."""
    read = written_number(
        row,
        "credits",
        _CREDITS,
        ("credits: “{}” is not a number of credits", "学分：“{}”不是学分数"),
    )
    if read is None:
        return None
    credits, written = read
    if credits <= 0:
        return None
    if hours_per_credit is None:
        raise RowProblem(
            "credits",
            f"credits: {written} 学分, but the sheet does not say how many hours a credit is "
            "(write 1学分=N学时 in its title, or give 学时): nothing credited",
            f"学分：{written}，但表中未注明学分与学时的折算（请在标题中注明“1学分=N学时”，"
            "或填写学时），未记学时",
        )
    return min(credits * hours_per_credit, session_hours)
