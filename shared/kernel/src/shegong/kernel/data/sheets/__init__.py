"""The spreadsheet layer every importer shares: a department's file (:mod:`..tabular`,
guarded) → a headed table (:mod:`.headed`) → values (:mod:`.cells`, :mod:`.dates`).

A refused file is always a :class:`~shegong.kernel.data.tabular.TabularFileError`; a bad cell
is a :class:`CellError`, reported by the importer as a :class:`RowRejection` (or a
warning) naming the row and the field, in English and Chinese.
"""

from shegong.kernel.data.sheets.cells import (
    CUT_ID,
    PLACEHOLDERS,
    CellError,
    Choices,
    birth_date_kept_by_excel,
    cell_text,
    excel_cut_id,
    id_number_cell,
    id_shown_by_excel,
    other_phones,
    phone_cell,
    preview,
    quick_phone,
    well_formed_phone,
)
from shegong.kernel.data.sheets.dates import DATE_FORMS, parse_date, parse_moment, short_year_date
from shegong.kernel.data.sheets.form_lines import FormLine
from shegong.kernel.data.sheets.headed import (
    HeadedSheet,
    RowRejection,
    Suffix,
    header_key,
    read_headed,
    warning,
)
from shegong.kernel.data.tabular import Cell, TabularFileError

__all__ = [
    "CUT_ID",
    "DATE_FORMS",
    "PLACEHOLDERS",
    "Cell",
    "CellError",
    "Choices",
    "FormLine",
    "HeadedSheet",
    "RowRejection",
    "Suffix",
    "TabularFileError",
    "birth_date_kept_by_excel",
    "cell_text",
    "excel_cut_id",
    "header_key",
    "id_number_cell",
    "id_shown_by_excel",
    "other_phones",
    "parse_date",
    "parse_moment",
    "phone_cell",
    "preview",
    "quick_phone",
    "read_headed",
    "short_year_date",
    "warning",
    "well_formed_phone",
]
