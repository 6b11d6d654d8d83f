"""A department's roster file (花名册) → validated rows, or row-level rejections a clerk can fix.

Pure parsing: bytes in, Python objects out; no database, no events. Reading the file,
finding the header row (the one with a 姓名/name column), matching headers and reading
cells (text, dates, ID numbers, phones) is the kernel's spreadsheet layer
(:mod:`shegong.kernel.data.sheets`); this module is the roster's fields and rules:

* **Refused** only when the name is missing or longer than 64 characters (a
  ``RowRejection`` per bad field, so one pass fixes the row). Every row with a name is a
  census record.
* **Kept, the bad value left out with a warning naming the field** (``RosterRow.warnings``):
  gender, post, org_type or cert_level not in its list (the message gives the allowed
  values in English and Chinese; English codes are case-insensitive, 男性/女性 are
  accepted); a date that cannot be read or is impossible (the kernel's one date reading,
  :mod:`shegong.kernel.data.sheets.dates`); a birth date in the future; left_on before
  hired_on; a title after the unit under 工作单位及职务 is cut off it (:mod:`.unit_title`);
  cert_level without certified_on or the reverse (no certificate is recorded until both
  are known); a text longer than the registry accepts (record_id, cert_no, channel,
  county/township/community 64; organization 128); a record_id or cert_no typed as a
  number too long for Excel to keep.
* **Kept, with a problem noted** — a bad ID number never rejects the row: the census must
  still find the person by name, phone and birth date. ``id_number`` is then ``None``,
  ``raw_id_number`` keeps the text (memory only — it is sensitive), and ``id_problem`` /
  ``id_problem_zh`` say why. An ID Excel stored as a number lost its last digits
  (:mod:`.excel_numbers`): the problem says to format the column as text, type it again.
* **Warnings** (``RosterRow.warnings``, bilingual "field: reason / 字段：原因"), the row
  kept: a phone ``normalize_phone`` refuses is dropped (a local one without its area code
  takes the file's, and a masked mobile, 138****5678, keeps the digits it shows for the
  census: :mod:`.local_numbers`); of several numbers (``0757-8…/138…``) the first
  mobile is kept (else the first valid one); gender or birth date contradicting a valid ID
  number (the ID's win, and fill blank ones); a certificate number without a level.
  Warnings never repeat a whole ID number or phone.
* **Every sheet with a 姓名 header row is read** (a sheet per 区县), a row naming its sheet;
  the sheets read and skipped (说明, 汇总) are listed (``sheets``, ``skipped_sheets``).
* **Formulas are never evaluated**: a text cell ``=1+1``, ``+86…``, ``@x`` is kept as its
  literal, trimmed text; a workbook formula cell yields the value Excel saved with it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shegong.contracts.registry import Gender, Region
from shegong.kernel.data.sheets import (
    Cell,
    CellError,
    FormLine,
    RowRejection,
    birth_date_kept_by_excel,
    id_number_cell,
    preview,
    read_headed,
    warning,
    well_formed_phone,
)
from shegong.registry.imports.documents import other_document
from shegong.registry.imports.excel_numbers import ExcelNumbers, Reread
from shegong.registry.imports.local_numbers import AreaCode, read_phone_cell
from shegong.registry.imports.roster_fields import (
    BARE_NUMBER_HEADERS,
    CONVERT,
    FIELDS,
    LABEL_ZH,
    SUFFIXES,
    PartialDate,
    RosterRow,
    line_number,
    readable,
    region_parts,
)
from shegong.registry.imports.unit_title import cut_title, titled_header

__all__ = ["FIELDS", "RosterParse", "RosterReader", "RosterRow", "RowRejection"]
__all__ += ["iter_roster", "parse_roster", "well_formed_phone"]

_PROGRESS_EVERY = 1000
_LAST_FOUR = re.compile(r"\d{3}[\dX]")


@dataclass(frozen=True)
class RosterParse:
    rows: list[RosterRow]
    rejections: list[RowRejection]
    ignored_columns: tuple[str, ...]
    rows_read: int
    columns: dict[str, str]  # field → the header as written in the file
    header_row: int
    sheet: str | None = None  # the workbook's (first) sheet read, when it was not the first
    sheets: tuple[str, ...] = ()  # the workbook's sheets read
    skipped_sheets: tuple[str, ...] = ()  # its sheets without a 姓名 header row

    @property
    def rejected_rows(self) -> int:
        return len({(r.sheet, r.row_number) for r in self.rejections})


class _RowParser:
    def __init__(
        self,
        columns: dict[str, int],
        width: int,
        coalesced: Callable[[list[Cell]], list[Cell]] = lambda row: row,
        excel_numbers: Callable[[], bool] = lambda: False,  # the ID column shows Excel's cuts
        area: Callable[[], str | None] = lambda: None,  # the file's landlines' area code
    ) -> None:
        self.width, self.excel_numbers, self.area = width, excel_numbers, area
        # 出生年月: the column asks for the month, so a month is no news to the clerk
        self.month_column = self.titled = False
        # the record's key under a bare 编号, which may count the lines instead
        self.bare_number = False
        self.sheet: str | None = None  # of the rows parsed now (more than one sheet read)
        self.coalesced = coalesced
        # An absent field reads index ``width``: always the padding None.
        self.index = {name: columns.get(name, width) for name in FIELDS}
        self.regions: dict[tuple[str | None, str | None, str | None], Region] = {}
        self.today = datetime.date.today()

    def on_sheet(self, written: dict[str, str], sheet: str | None) -> None:
        """The rows that follow are of ``sheet``, whose headers are ``written``."""
        birth_header = written.get("birth_date", "")
        self.month_column = "年月" in birth_header and "日" not in birth_header
        key_header = "".join(written.get("record_id", "").split())
        self.bare_number = key_header in BARE_NUMBER_HEADERS
        self.sheet, self.titled = sheet, titled_header(written.get("organization"))

    def parse(self, number: int, cells: Sequence[Cell]) -> RosterRow | list[RowRejection]:
        width = self.width
        row = list(cells[:width])
        row.extend([None] * (width + 1 - len(row)))
        row = self.coalesced(row)
        index = self.index
        warnings: list[str] = []
        values: dict[str, Any] = {}
        # Every row with a name is a census record: a bad optional value is left out and
        # reported (and listed by the quality report), never the row. Only a row without
        # a name is refused — with all its problems, so one pass fixes it.
        problems: list[tuple[str, CellError]] = []

        def reject(name: str, bad: CellError) -> None:
            problems.append((name, bad))

        for key, convert in CONVERT.items():
            try:
                values[key] = convert(key, row[index[key]])
            except CellError as bad:
                reject(key, bad)
                values[key] = None
        cut_title(values, self.titled)  # 工作单位及职务: 东关社区居委会 主任
        name = values["name"] or ""
        if self.bare_number and line_number(row[index["record_id"]]):
            values["record_id"] = None  # 1, 2, 3: the line's number, not the record's
        resident, raw_id, id_problem = id_number_cell(row[index["id_number"]], self.excel_numbers)
        if raw_id is None and (tail := _last_four(values["id_last4"])):  # 身份证后四位
            resident, raw_id, id_problem = id_number_cell("*" * 14 + tail, self.excel_numbers)
        other = other_document(values.get("id_type"), raw_id) if resident is None else None
        id_problem = other[1:] if other else id_problem
        phone = read_phone_cell(row[index["phone"]], self.area)
        warnings.extend(phone.warnings)

        birth = values.get("birth_date")
        known = birth.known if isinstance(birth, PartialDate) else "day"
        if isinstance(birth, PartialDate):
            birth = datetime.date(birth.year, birth.month, birth.day)
            if resident is None and not (self.month_column and known == "month"):
                warnings.append(
                    _warning(
                        "birth_date",
                        f"gives the {known} only; kept as {birth.isoformat()}",
                        f"只填写到{'年' if known == 'year' else '月'}，按{birth.isoformat()}登记",
                    )
                )
        if isinstance(birth, datetime.date) and birth > self.today:
            reject("birth_date", CellError("is in the future", "晚于今天"))
            birth = None
        if birth is None and resident is None and (kept := birth_date_kept_by_excel(raw_id)):
            # Excel kept the first 15 digits of the ID number: its birth date is still there.
            birth = kept
            warnings.append(
                _warning(
                    "birth_date",
                    "taken from the digits of the ID number Excel kept",
                    "已按身份证号中保留下来的出生日期",
                )
            )
        for key in ("hired_on", "left_on", "certified_on"):  # 2019年, 2019.06, 入职年月
            given = values.get(key)
            if isinstance(given, PartialDate):
                as_day = given.isoformat()
                warnings.append(
                    _warning(
                        key,
                        f"gives the {given.known} only; kept as {as_day}",
                        f"只填写到{'年' if given.known == 'year' else '月'}，按{as_day}登记",
                    )
                )
                values[key] = datetime.date(given.year, given.month, given.day)
        hired, left = values.get("hired_on"), values.get("left_on")
        if isinstance(hired, datetime.date) and isinstance(left, datetime.date) and left < hired:
            reject(
                "left_on",
                CellError(f"{left} is before hired_on {hired}", f"{left}早于入职日期{hired}"),
            )
            left = None
        level, certified = values.get("cert_level"), values.get("certified_on")
        if (level is None) != (certified is None):
            if level is None:
                reject(
                    "cert_level",
                    CellError(
                        "is missing but certified_on is given: no certificate recorded",
                        "未填写，但填写了取证日期：未登记证书",
                    ),
                )
            else:
                reject(
                    "certified_on",
                    CellError(
                        "is missing but cert_level is given: no certificate recorded until "
                        "the date is known",
                        "未填写，但填写了证书等级：补充取证日期后再登记证书",
                    ),
                )
        if any(field_name == "name" for field_name, _ in problems):
            return [
                RowRejection(
                    number,
                    field_name,
                    preview(field_name, row[index[field_name]]),
                    f"{field_name}: {problem.reason}",
                    f"{LABEL_ZH[field_name]}：{problem.reason_zh}",
                    self.sheet,
                )
                for field_name, problem in problems
            ]
        for field_name, problem in problems:
            warnings.append(
                _warning(field_name, f"{problem.reason}; left out", f"{problem.reason_zh}，已忽略")
            )

        gender = values["gender"]
        if resident is not None:
            id_gender = Gender(resident.sex)
            if gender is not None and gender != id_gender:
                warnings.append(
                    _warning(
                        "gender",
                        f"{gender.value} contradicts the ID number; using {id_gender.value}",
                        f"与身份证号不符，已按身份证号取“{id_gender.zh}”",
                    )
                )
            given = resident.birth_date
            if known != "day":  # 1985-03 agrees with an ID born 1985-03-05
                given = given.replace(day=1) if known == "month" else given.replace(month=1, day=1)
            if birth is not None and birth != given:
                warnings.append(
                    _warning(
                        "birth_date",
                        f"{birth} contradicts the ID number; using the ID's birth date",
                        f"{birth}与身份证号不符，已按身份证号中的出生日期",
                    )
                )
            gender, birth = id_gender, resident.birth_date
        if values["cert_no"] is not None and level is None:
            warnings.append(
                _warning("cert_no", "given without cert_level", "填写了证书编号，但未填写证书等级")
            )

        region_key = region_parts(values)
        region = self.regions.get(region_key)
        if region is None:
            region = self.regions[region_key] = Region(
                county=region_key[0], township=region_key[1], community=region_key[2]
            )
        return RosterRow(
            row_number=number,
            name=name,
            record_id=values["record_id"],
            id_number=resident,
            raw_id_number=raw_id,
            id_problem=id_problem[0] if id_problem else None,
            id_problem_zh=id_problem[1] if id_problem else None,
            document_type=other[0] if other else None,
            gender=gender,
            birth_date=birth,
            phone=phone.phone,
            phone_digits=phone.digits,
            phone_shown=phone.shown,
            other_phones=phone.others,
            organization=values["organization"],
            org_type=values["org_type"],
            post=values["post"],
            region=region,
            hired_on=hired,
            left_on=left,
            cert_level=level,
            certified_on=certified,
            **{key: values[key] for key in ("cert_no", "channel", "former_name", "age")},
            warnings=tuple(warnings),
            sheet=self.sheet,
        )


def _last_four(text: str | None) -> str | None:  # an ID number's 后四位 column: 123X
    tail = unicodedata.normalize("NFKC", text or "").strip().upper()
    return tail if _LAST_FOUR.fullmatch(tail) else None


def _warning(field_name: str, reason: str, reason_zh: str) -> str:
    # A warning quotes what the clerk wrote; a whole ID number or phone is cut.
    return warning(field_name, LABEL_ZH[field_name], reason, reason_zh)


class RosterReader:
    """A roster opened for streaming: headers are checked on construction (raising
    ``TabularFileError``), rows are parsed as you iterate (``RosterRow`` for a good row,
    one ``RowRejection`` per bad field of a bad row). ``rows_read`` counts data rows."""

    def __init__(
        self,
        data: bytes,
        filename: str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.filename, self.progress, self.rows_read = filename, progress, 0
        sheet = read_headed(
            data, filename, FIELDS, marker="name", duplicates="coalesce", suffixes=SUFFIXES
        )
        sheet.readable, sheet.joined = readable, frozenset({"phone"})  # 级别, 联系电话 too
        self.encoding, self.header_row = sheet.encoding, sheet.header_row
        self.sheet, self.sheets, self.skipped_sheets = (
            sheet.sheet,
            sheet.sheets,
            sheet.skipped_sheets,
        )
        self.columns, self.ignored_columns = sheet.written, sheet.ignored
        again = Reread(data, filename)  # for the facts of the whole file, when asked
        excel, area = ExcelNumbers(again), AreaCode(again)
        self._parser = _RowParser(sheet.columns, sheet.width, sheet.coalesced, excel, area)
        self._headed = sheet

    def __iter__(self) -> Iterator[RosterRow | RowRejection]:
        parse = self._parser.parse
        progress = self.progress
        headed, part = self._headed, None
        for line in headed.lines():
            if isinstance(line, FormLine):  # a total, 填表人: no person
                self.rows_read += 1
                yield headed.form_rejection("name", line)
                continue
            number, cells = line
            if headed.part is not part:
                part = headed.part
                self._parser.on_sheet(part.written if part else {}, headed.row_sheet)
            result = parse(number, cells)
            self.rows_read += 1
            if isinstance(result, list):
                yield from result
            else:  # what no field reads tells a row written twice from two (年度 2024, 2025)
                yield replace(result, unread=u) if (u := headed.unread_text(cells)) else result
            if progress is not None and self.rows_read % _PROGRESS_EVERY == 0:
                progress(self.rows_read)
        if progress is not None and self.rows_read % _PROGRESS_EVERY:
            progress(self.rows_read)


def iter_roster(
    data: bytes, filename: str, *, progress: Callable[[int], None] | None = None
) -> RosterReader:
    """Stream a roster; ``progress(rows_done)`` every 1,000 rows and at the end."""
    return RosterReader(data, filename, progress=progress)


def parse_roster(
    data: bytes, filename: str, *, progress: Callable[[int], None] | None = None
) -> RosterParse:
    """Parse a whole roster file; raises ``TabularFileError`` for file-level problems."""
    reader = RosterReader(data, filename, progress=progress)
    rows: list[RosterRow] = []
    rejections: list[RowRejection] = []
    for item in reader:
        (rows if isinstance(item, RosterRow) else rejections).append(item)  # type: ignore[arg-type]
    return RosterParse(
        rows=rows,
        rejections=rejections,
        ignored_columns=reader.ignored_columns,
        rows_read=reader.rows_read,
        columns=reader.columns,
        header_row=reader.header_row,
        sheet=reader.sheet,
        sheets=reader.sheets,
        skipped_sheets=reader.skipped_sheets,
    )
