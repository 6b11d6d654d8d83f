"""ID numbers Excel cut (身份证号被Excel存成数字): a roster's ID column that was a number
when the file was saved holds each 18-digit number's first 15 digits, written out as
``6.20102E+17`` or in full as ``620102198803121000``. Such a number is no ID number: the
row is kept, the report names it, and the census links by nothing it shows but the birth
date (digits 7–14 survive).

A cut number whose check character happens to fit (one in eleven) looks valid; a real
number ends in 000 about once in a thousand. The file decides: where its ID column holds
another number Excel cut, a valid-looking …000 is one of them too."""

from __future__ import annotations

from collections.abc import Callable

from shegong.kernel.data.sheets import CUT_ID, HeadedSheet, id_number_cell, read_headed
from shegong.kernel.data.sheets.cells import NUMBER_ID
from shegong.registry.imports.roster_fields import FIELDS, SUFFIXES

__all__ = ["ExcelNumbers", "Reread"]


class Reread:
    """The roster's sheet read again, when a fact of the whole file is asked
    (:class:`ExcelNumbers`, :class:`.local_numbers.AreaCode`; each asks once and keeps its
    answer). Each read is a fresh one: a sheet's rows are read once, so a read shared by
    the two facts would leave the one asked second no rows to look at."""

    def __init__(self, data: bytes, filename: str) -> None:
        self._data, self._filename = data, filename

    def __call__(self) -> HeadedSheet:
        return read_headed(
            self._data, self._filename, FIELDS, marker="name", duplicates="coalesce",
            suffixes=SUFFIXES,
        )  # fmt: skip


class ExcelNumbers:
    """Whether a roster file's ID column holds a number Excel cut (a number cell, its
    ``E+17`` text, …000 with a wrong check character): one look at the column (of the
    file read again), the first time it is asked — only a row whose valid number ends in
    000 asks."""

    def __init__(self, sheet: Callable[[], HeadedSheet]) -> None:
        self._sheet = sheet
        self._found: bool | None = None

    def __call__(self) -> bool:
        if self._found is None:
            sheet = self._sheet()
            at = sheet.columns.get("id_number")
            self._found = at is not None and any(
                at < len(cells) and id_number_cell(cells[at])[2] in (NUMBER_ID, CUT_ID)
                for _, cells in sheet.rows
            )
        return self._found
