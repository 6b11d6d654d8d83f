"""Local landlines written without their area code (本地号码未加区号): a roster that writes
its office lines as 0539-2345678 on most rows writes 2345678 on some. Such a number is
the file's area's: read with the area code most of the file's landlines carry, the row
keeps it (a warning says so) and the census compares it with 0539-2345678 elsewhere.
Without such a majority (no landline with its code, or codes of several areas) the number
is left out, as before: no guess.

A mobile a volunteer platform's export publishes masked (志愿汇, i志愿: 138****5678) is no
contact, but the seven digits it shows are what the census compares with another list's
full number (:func:`masked_mobile`): the row keeps them, with a warning."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from shegong.kernel.data.identity import mask_phone
from shegong.kernel.data.sheets import (
    HeadedSheet,
    other_phones,
    phone_cell,
    warning,
    well_formed_phone,
)
from shegong.kernel.data.sheets.cells import Cell, CellError, cell_text
from shegong.registry.imports.roster_fields import LABEL_ZH

__all__ = ["AreaCode", "PhoneCell", "local_landline", "local_warning", "masked_mobile"]
__all__ += ["read_phone_cell"]

_LOCAL = re.compile(r"[2-9]\d{6,7}")
# 138****5678 as exports publish it (* or x for the hidden four, spaces or dashes between)
_MASKED_MOBILE = re.compile(r"(1\d{2})[\s\-]*[*xX]{4}[\s\-]*(\d{4})")
MAJORITY = 0.8  # of the file's landlines with an area code: one area's
AT_LEAST = 3


def _area(digits: str) -> str:
    """The area code of a landline's digits (05392345678 → 0539): 010 and 02X are three
    digits, every other area's four (the national numbering plan)."""
    return digits[:3] if digits[1] in "12" else digits[:4]


class AreaCode:
    """The area code most of a roster file's landlines carry: one look at its phone
    column (of the file read again), the first time a local number asks."""

    def __init__(self, sheet: Callable[[], HeadedSheet]) -> None:
        self._sheet = sheet
        self._read = False
        self._found: str | None = None

    def __call__(self) -> str | None:
        if not self._read:
            self._read = True
            sheet = self._sheet()
            at = sheet.columns.get("phone")
            areas: Counter[str] = Counter()
            for _, cells in sheet.rows:
                cell = cells[at] if at is not None and at < len(cells) else None
                digits = well_formed_phone(cell)
                if digits and digits[0] == "0":
                    areas[_area(digits)] += 1
            best = areas.most_common(1)
            total = sum(areas.values())
            ok = best and best[0][1] >= AT_LEAST and best[0][1] >= MAJORITY * total
            self._found = best[0][0] if ok else None
        return self._found


def local_landline(cell: Cell, area: Callable[[], str | None]) -> str | None:
    """A cell holding a local number alone (7 or 8 digits, separators aside) as the number
    with the file's area code (0539 + 2345678); None when it is not one or the file names
    no area. The caller reads it as any number (a contact, or digits still compared)."""
    try:
        text = cell_text(cell)
    except CellError:  # a cell that is no text is no local number
        return None
    digits = re.sub(r"[\s\-－—]", "", text or "")
    if not _LOCAL.fullmatch(digits) or (code := area()) is None:
        return None
    return code + digits


def local_warning(number: str) -> str:
    code = _area(number)
    return warning(
        "phone",
        LABEL_ZH["phone"],
        f"a local number without its area code: read with {code}, the area code of the "
        "file's other landlines",
        f"本地号码未加区号：按本文件其他座机的区号 {code} 读取",
    )


def masked_mobile(cell: Cell) -> str | None:
    """A mobile published masked, its first three and last four digits shown (138****5678,
    138 xxxx 5678, full-width or not), as ``138****5678`` — the form the registry masks a
    full number to, so the census compares the two; None for anything else."""
    try:
        text = cell_text(cell)
    except CellError:
        return None
    found = _MASKED_MOBILE.fullmatch(unicodedata.normalize("NFKC", text or "").strip())
    return f"{found.group(1)}****{found.group(2)}" if found else None


@dataclass(frozen=True, slots=True)
class PhoneCell:
    """What a roster row's phone cell gives: the contact (``phone``), or the digits of a
    well-formed number not in use (``digits``); the display mask of either of those kept
    as no contact, or the mask a list published (``shown``: what the census compares of
    it); the cell's other numbers; the warnings, each naming the field."""

    phone: str | None
    digits: str | None
    shown: str | None
    others: tuple[str, ...]
    warnings: tuple[str, ...]


def read_phone_cell(cell: Cell, area: Callable[[], str | None]) -> PhoneCell:
    local = local_landline(cell, area)  # 2345678: the file's area's
    phone, problem = phone_cell(local or cell)
    digits = None if phone else well_formed_phone(local or cell)
    # what the census compares of a number kept as no contact: a mask, or the number's own
    shown = None if phone else mask_phone(digits) if digits else masked_mobile(cell)
    warnings = [local_warning(local)] if local else []
    if problem and digits:  # the shape of a mobile number, not one in use
        problem = (
            "is not a number in use; not kept as a contact, still compared in the census",
            "不是在用的号码，不作为联系方式保存，仍用于人员库比对",
        )
    elif problem and shown:
        problem = (
            "is masked (digits hidden); not kept as a contact, the digits it shows are "
            "compared in the census",
            "部分数字已隐去，不作为联系方式保存，人员库按显示的数字比对",
        )
    if problem:
        warnings.append(warning("phone", LABEL_ZH["phone"], *problem))
    return PhoneCell(
        phone, digits, shown, other_phones(local or cell, phone or digits), tuple(warnings)
    )
