"""A department's roster file (花名册) → validated rows, or row-level rejections a clerk can fix.

Pure parsing: bytes in, Python objects out; no database, no events. File reading (CSV in
UTF-8/GBK/UTF-16, workbooks) lives in :mod:`.tabular`.

Policy — the census needs imperfect rows, the clerk needs clear errors:

* **Header row**: the first non-blank row, among the first 10, that has a 姓名/name column;
  title lines above it (定西市社会工作人才花名册) are skipped. Headers match in Chinese as
  departments write them or by English field name, ignoring spaces, full-width spaces,
  ``*`` (required markers), ``_``/``-``, case, full/half-width brackets, and a trailing
  bracketed note (出生日期（yyyy-mm-dd）). Unknown headers are ignored and listed; two
  columns meaning the same field are a file error, as is a missing 姓名.
* **Row numbers** are the spreadsheet's (header on row 1 → first data row is 2); blank
  rows are skipped but counted, so the numbers still match what the clerk sees.
* **Blank**: an empty cell or a placeholder ``-``, ``--``, ``—``, ``/``, ``无``, ``暂无``, ``空``.
* **Refused** only when the name is missing or longer than 64 characters (a
  ``RowRejection`` per bad field, so one pass fixes the row). Every row with a name is a
  census record.
* **Kept, the bad value left out with a warning naming the field** (``RosterRow.warnings``):
  gender, post, org_type or cert_level not in its list (the message gives the allowed
  values in English and Chinese; English codes are case-insensitive, 男性/女性 are
  accepted); a date that cannot be read or is impossible (accepted: Excel date cells,
  2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301, optionally followed by a
  00:00:00 time; years 1900–2100); a birth date in the future; left_on before hired_on;
  cert_level without certified_on or the reverse (no certificate is recorded until both
  are known); a text longer than the registry accepts (record_id, cert_no, channel,
  county/township/community 64; organization 128); a record_id or cert_no typed as a
  number too long for Excel to keep.
* **Kept, with a problem noted** — a bad ID number never rejects the row: the census must
  still find the person by name, phone and birth date. ``id_number`` is then ``None``,
  ``raw_id_number`` keeps the text (memory only — it is sensitive), and ``id_problem`` /
  ``id_problem_zh`` say why. An 18-digit ID that Excel stored as a number has lost its last
  digits: the problem tells the clerk to format the column as text and type it again.
  Old 15-digit numbers, lowercase x, spaces and a leading ``'`` are fine.
* **Warnings** (``RosterRow.warnings``, bilingual strings "field: reason / 字段：原因") —
  the row is kept: a phone that ``normalize_phone`` refuses is dropped (a wrong phone
  would mislead the census's matching; the rest of the row is still good) — when the cell
  holds several numbers (``138…/139…``) the first valid one is kept; gender or birth date
  contradicting a valid ID number (the ID's values win, and fill blank ones); a certificate
  number without a level. Warnings never repeat a whole ID number or phone.
* **Formulas are never evaluated**: a text cell ``=1+1``, ``+86…``, ``@x`` is kept as its
  literal, trimmed text; a workbook formula cell yields the value Excel saved with it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain
from typing import Any

from shegong.contracts.events import Labelled
from shegong.contracts.registry import CertificateLevel, Gender, OrgType, Post, Region
from shegong.kernel.identity import (
    PersonalDataError,
    ResidentId,
    normalize_name,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.redact import redact_numbers
from shegong.kernel.tabular import Cell, TabularFileError, read_table

__all__ = [
    "FIELDS",
    "RosterFileError",
    "RosterParse",
    "RosterReader",
    "RosterRow",
    "RowRejection",
    "iter_roster",
    "parse_roster",
]

# field → accepted headers; the first is the Chinese label used in messages.
FIELDS: dict[str, tuple[str, ...]] = {
    "record_id": ("记录编号",),
    "name": ("姓名",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "gender": ("性别",),
    "birth_date": ("出生日期",),
    "phone": ("手机号", "手机号码", "联系电话", "电话"),
    "organization": ("工作单位", "单位名称"),
    "org_type": ("单位类型",),
    "post": ("岗位类别",),
    "county": ("所属区县", "区县"),
    "township": ("乡镇街道", "乡镇(街道)", "街道"),
    "community": ("社区村", "社区(村)", "社区"),
    "hired_on": ("入职日期",),
    "left_on": ("离职日期",),
    "cert_level": ("证书等级",),
    "certified_on": ("取证日期",),
    "cert_no": ("证书编号",),
    "channel": ("招聘渠道",),
}
LABEL_ZH = {name: aliases[0] for name, aliases in FIELDS.items()}
_MAX_LEN = {"organization": 128} | dict.fromkeys(
    ("name", "record_id", "cert_no", "channel", "county", "township", "community"), 64
)
_HEADER_SCAN = 10  # title lines tolerated above the header
_PLACEHOLDERS = frozenset({"-", "--", "—", "——", "/", "无", "暂无", "空"})
_EDGE_JUNK = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
_EXACT_FLOAT = 2**53  # integers above this do not survive being a float (Excel number)
_PROGRESS_EVERY = 1000
_NO_REGION = Region()


class RosterFileError(ValueError):
    """The file as a whole cannot be imported; nothing in it was read."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


@dataclass(frozen=True, slots=True)
class RowRejection:
    """One bad field of a row; the row is not imported. ``value_preview`` is short and
    never a whole ID number or phone."""

    row_number: int
    field: str
    value_preview: str | None
    reason: str
    reason_zh: str

    def report(self) -> dict[str, Any]:
        """As an import report lists it: no whole ID number or phone, whichever column
        it was written in (``redact_numbers``)."""
        return {
            "row": self.row_number,
            "field": self.field,
            "value": redact_numbers(self.value_preview),
            "reason": redact_numbers(self.reason),
            "reason_zh": redact_numbers(self.reason_zh),
        }


@dataclass(frozen=True, slots=True)
class RosterRow:
    """A valid row. Sensitive values (raw ID text, phone) are left out of the repr."""

    row_number: int
    name: str
    record_id: str | None = None
    id_number: ResidentId | None = None
    raw_id_number: str | None = field(default=None, repr=False)
    id_problem: str | None = None
    id_problem_zh: str | None = None
    gender: Gender | None = None
    birth_date: datetime.date | None = None
    phone: str | None = field(default=None, repr=False)
    # A phone libphonenumber does not know as allocated, but well formed (its digits):
    # not kept as a contact, still evidence that two records are one person.
    phone_digits: str | None = field(default=None, repr=False)
    organization: str | None = None
    org_type: OrgType | None = None
    post: Post | None = None
    region: Region = _NO_REGION
    hired_on: datetime.date | None = None
    left_on: datetime.date | None = None
    cert_level: CertificateLevel | None = None
    certified_on: datetime.date | None = None
    cert_no: str | None = None
    channel: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterParse:
    rows: list[RosterRow]
    rejections: list[RowRejection]
    ignored_columns: tuple[str, ...]
    rows_read: int
    columns: dict[str, str]  # field → the header as written in the file
    header_row: int

    @property
    def rejected_rows(self) -> int:
        return len({r.row_number for r in self.rejections})


class _Bad(Exception):
    """Internal: a field's problem, turned into a rejection or a warning."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        self.reason = reason
        self.reason_zh = reason_zh


# --- headers -----------------------------------------------------------

_HEADER_DROP = re.compile(r"[\s*_\-:]+")
_BRACKET_NOTE = re.compile(r"\([^()]*\)$")


def _header_key(text: str) -> str:
    return _HEADER_DROP.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_FIELD: dict[str, str] = {}
for _name, _aliases in FIELDS.items():
    for _alias in (_name, *_aliases):
        _HEADER_FIELD[_header_key(_alias)] = _name


def _header_field(text: str) -> str | None:
    key = _header_key(text)
    found = _HEADER_FIELD.get(key)
    if found is None and key.endswith(")"):  # 出生日期(yyyy-mm-dd), 性别(男/女)
        found = _HEADER_FIELD.get(_BRACKET_NOTE.sub("", key))
    return found


# --- cell conversions -----------------------------------------------------------


def _text(cell: Cell) -> str | None:
    """A cell as trimmed literal text; ``None`` for blank or a placeholder."""
    if isinstance(cell, str):
        text = cell.strip()
        if text and (text[0] in _EDGE_JUNK or text[-1] in _EDGE_JUNK):
            text = text.strip(_EDGE_JUNK).strip()
        return text if text and text not in _PLACEHOLDERS else None
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        if cell.is_integer():
            if abs(cell) >= _EXACT_FLOAT:
                raise _Bad(
                    "is a number too long for Excel to keep exactly; format the column as "
                    "text and type it again",
                    "数字位数过多，Excel已丢失末位；请将该列设置为“文本”格式后重新录入",
                )
            return str(int(cell))
        return repr(cell)
    if isinstance(cell, datetime.datetime) and cell.time() == datetime.time():
        return cell.date().isoformat()
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell)


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_FORMS = "2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301"


@lru_cache(maxsize=16384)
def _date_from_text(text: str) -> datetime.date:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    match = _DATE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match is None:
        raise _Bad(
            f"is not a date; write it as {_DATE_FORMS}",
            "不是有效日期，请按 2024-03-01、2024/3/1 或 2024年3月1日 格式填写",
        )
    year, month, day = (int(g) for g in match.groups())
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise _Bad(
            f"{year}-{month}-{day} does not exist on the calendar",
            f"日期{year}年{month}月{day}日不存在",
        ) from None
    if not 1900 <= year <= 2100:
        raise _Bad(f"year {year} is not plausible", f"年份{year}不合理")
    return value


def _date(cell: Cell) -> datetime.date | None:
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if float(cell).is_integer() and 19000101 <= cell <= 21001231:
            return _date_from_text(str(int(cell)))
        raise _Bad(
            "is a number, not a date; format the cell as a date or type 2024-03-01",
            "是数字而不是日期，请将单元格设置为日期格式或填写为2024-03-01",
        )
    text = _text(cell)
    return None if text is None else _date_from_text(text)


def _enum_table(cls: type[Labelled], extra: dict[str, str] | None = None) -> dict[str, Labelled]:
    table: dict[str, Labelled] = {}
    for member in cls:
        table[member.value] = table[member.zh] = member
        table[_enum_key(member.value)] = table[_enum_key(member.zh)] = member
    for alias, value in (extra or {}).items():
        table[alias] = cls(value)
    return table


def _enum_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


_ENUMS: dict[str, tuple[type[Labelled], dict[str, Labelled]]] = {
    "gender": (Gender, _enum_table(Gender, {"男性": "male", "女性": "female"})),
    "org_type": (OrgType, _enum_table(OrgType)),
    "post": (Post, _enum_table(Post)),
    "cert_level": (CertificateLevel, _enum_table(CertificateLevel)),
}


def _enum(field_name: str, text: str) -> Labelled:
    cls, table = _ENUMS[field_name]
    member = table.get(text) or table.get(_enum_key(text))
    if member is None:
        raise _Bad(
            "is not one of: " + " / ".join(f"{m.value} ({m.zh})" for m in cls),
            "不在可选值中，应为：" + " / ".join(m.zh for m in cls),
        )
    return member


# --- ID numbers and phones -----------------------------------------------------------

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_NUMBER_ID = (
    "was stored as a number by Excel and its last digits are lost; format the column as "
    "text (设置单元格格式→文本) and type the number again",
    "身份证号被Excel存成了数字，末几位已丢失；请将该列设置为“文本”格式后重新录入",
)


def _id_number(cell: Cell) -> tuple[ResidentId | None, str | None, tuple[str, str] | None]:
    """(parsed, raw text if unparseable, (problem, problem_zh) if unparseable)."""
    if isinstance(cell, float) and not (cell.is_integer() and abs(cell) < _EXACT_FLOAT):
        return None, repr(cell), _NUMBER_ID
    text = _text(cell)
    if text is None:
        return None, None, None
    text = text.lstrip("'‘’")
    if _SCIENTIFIC.fullmatch(text):
        return None, text, _NUMBER_ID
    try:
        return parse_resident_id(text), None, None
    except PersonalDataError as exc:
        return None, text, (exc.reason, exc.reason_zh)


_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SPLIT = re.compile(r"[/,，、;；|]")


@cache
def _mobile_block_ok(prefix5: str) -> bool:
    """Whether 11-digit numbers starting with ``prefix5`` are valid mobiles. For 1[3-9]…
    numbers, libphonenumber's CN patterns depend on at most the first 5 digits (1740[0-5])
    and every valid one is a mobile, so one answer holds for the whole block (the tests
    compare against ``normalize_phone`` for every 6-digit prefix). ~30x faster."""
    try:
        return normalize_phone(prefix5 + "000000") == prefix5 + "000000"
    except PersonalDataError:
        return False


def _phone(text: str) -> str:
    """``normalize_phone``, fast for plain 11-digit mobiles; raises PersonalDataError."""
    if len(text) == 11 and _MOBILE.fullmatch(text) and _mobile_block_ok(text[:5]):
        return text
    return normalize_phone(text)


def _phone_cell(cell: Cell) -> tuple[str | None, str | None]:
    """(normalised phone, warning)."""
    try:
        text = _text(cell)
    except _Bad as bad:
        return None, _warning("phone", f"{bad.reason}; dropped", f"{bad.reason_zh}，已忽略该号码")
    if text is None:
        return None, None
    text = text.lstrip("'‘’")
    try:
        return _phone(text), None
    except PersonalDataError as exc:
        first_error = exc
    parts = [p.strip() for p in _PHONE_SPLIT.split(text) if p.strip()]
    if len(parts) > 1:
        for part in parts:
            try:
                return _phone(part), _warning(
                    "phone",
                    "holds several numbers; kept the first valid one",
                    "填写了多个号码，已保留第一个有效号码",
                )
            except PersonalDataError:
                continue
    return None, _warning(
        "phone", f"{first_error.reason}; dropped", f"{first_error.reason_zh}，已忽略该号码"
    )


_NOT_DIGITS = re.compile(r"[\s\-()（）.]+")


def well_formed_phone(cell: Cell) -> str | None:
    """The digits of a phone written as one number (+86 / 0086 and separators removed)
    when it has a phone's shape: 11 digits from 1 (a mobile), or 10–12 from 0 (a landline)."""
    if cell is None or isinstance(cell, float | datetime.date):
        return None
    text = _NOT_DIGITS.sub("", unicodedata.normalize("NFKC", str(cell)).strip().lstrip("'‘’"))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if not text.isdigit():
        return None
    if (len(text) == 11 and text[0] == "1") or (10 <= len(text) <= 12 and text[0] == "0"):
        return text
    return None


def _warning(field_name: str, reason: str, reason_zh: str) -> str:
    # A warning quotes what the clerk wrote; a whole ID number or phone (a shifted column)
    # is cut like a refusal's (``redact_numbers``).
    text = f"{field_name}: {reason} / {LABEL_ZH[field_name]}：{reason_zh}"
    return redact_numbers(text) or text


def _preview(field_name: str, cell: Cell) -> str | None:
    if cell is None:
        return None
    text = cell if isinstance(cell, str) else repr(cell) if isinstance(cell, float) else str(cell)
    text = text.strip()
    if field_name in ("id_number", "phone"):
        return text[:3] + "***" if len(text) > 3 else "***"
    # An ID number or phone in another column (the row's columns shifted): hidden too.
    text = redact_numbers(text) or ""
    return text if len(text) <= 40 else text[:39] + "…"


# --- rows -----------------------------------------------------------

_TEXT_FIELDS = (
    "record_id",
    "organization",
    "cert_no",
    "channel",
    "county",
    "township",
    "community",
)
_DATE_FIELDS = ("birth_date", "hired_on", "left_on", "certified_on")


class _RowParser:
    def __init__(self, columns: dict[str, int], width: int) -> None:
        self.width = width
        # An absent field reads index ``width``: always the padding None.
        self.index = {name: columns.get(name, width) for name in FIELDS}
        self.regions: dict[tuple[str | None, str | None, str | None], Region] = {}
        self.today = datetime.date.today()

    def parse(self, number: int, cells: Sequence[Cell]) -> RosterRow | list[RowRejection]:
        width = self.width
        row = list(cells[:width])
        row.extend([None] * (width + 1 - len(row)))
        index = self.index
        warnings: list[str] = []
        values: dict[str, Any] = {}

        problems: list[tuple[str, _Bad]] = []

        def reject(name: str, bad: _Bad) -> None:
            # Every row with a name is a census record: a bad optional value is left out
            # and reported (and listed by the quality report), never the row. Only a row
            # without a name is refused — with all its problems, so one pass fixes it.
            problems.append((name, bad))

        try:
            name_text = _text(row[index["name"]])
            name = normalize_name(name_text) if name_text else ""
            if not name:
                raise _Bad("is missing", "未填写")
            if len(name) > 64:
                raise _Bad("is longer than 64 characters", "超过64个字符")
        except _Bad as bad:
            reject("name", bad)
            name = ""
        for key in _TEXT_FIELDS:
            try:
                text = _text(row[index[key]])
                if text is not None and len(text) > _MAX_LEN[key]:
                    raise _Bad(
                        f"is longer than {_MAX_LEN[key]} characters",
                        f"超过{_MAX_LEN[key]}个字符",
                    )
                values[key] = text
            except _Bad as bad:
                reject(key, bad)
        for key in _ENUMS:
            try:
                text = _text(row[index[key]])
                values[key] = None if text is None else _enum(key, text)
            except _Bad as bad:
                reject(key, bad)
        for key in _DATE_FIELDS:
            try:
                values[key] = _date(row[index[key]])
            except _Bad as bad:
                reject(key, bad)

        for key in (*_TEXT_FIELDS, *_ENUMS, *_DATE_FIELDS):
            values.setdefault(key, None)
        resident, raw_id, id_problem = _id_number(row[index["id_number"]])
        phone, phone_warning = _phone_cell(row[index["phone"]])
        phone_digits = None if phone else well_formed_phone(row[index["phone"]])
        if phone_warning:
            warnings.append(phone_warning)

        birth = values.get("birth_date")
        if isinstance(birth, datetime.date) and birth > self.today:
            reject("birth_date", _Bad("is in the future", "晚于今天"))
            birth = None
        hired, left = values.get("hired_on"), values.get("left_on")
        if isinstance(hired, datetime.date) and isinstance(left, datetime.date) and left < hired:
            reject(
                "left_on",
                _Bad(f"{left} is before hired_on {hired}", f"{left}早于入职日期{hired}"),
            )
            left = None
        level, certified = values.get("cert_level"), values.get("certified_on")
        if (
            "cert_level" in values
            and "certified_on" in values
            and (level is None) != (certified is None)
        ):
            if level is None:
                reject(
                    "cert_level",
                    _Bad(
                        "is missing but certified_on is given: no certificate recorded",
                        "未填写，但填写了取证日期：未登记证书",
                    ),
                )
            else:
                reject(
                    "certified_on",
                    _Bad(
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
                    _preview(field_name, row[index[field_name]]),
                    f"{field_name}: {problem.reason}",
                    f"{LABEL_ZH[field_name]}：{problem.reason_zh}",
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
            if birth is not None and birth != resident.birth_date:
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

        region_key = (values["county"], values["township"], values["community"])
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
            gender=gender,
            birth_date=birth,
            phone=phone,
            phone_digits=phone_digits,
            organization=values["organization"],
            org_type=values["org_type"],
            post=values["post"],
            region=region,
            hired_on=hired,
            left_on=left,
            cert_level=level,
            certified_on=certified,
            cert_no=values["cert_no"],
            channel=values["channel"],
            warnings=tuple(warnings),
        )


# --- the file -----------------------------------------------------------


class RosterReader:
    """A roster opened for streaming: headers are checked on construction (raising
    ``RosterFileError``), rows are parsed as you iterate (``RosterRow`` for a good row, one
    ``RowRejection`` per bad field of a bad row). ``rows_read`` counts non-blank data rows."""

    def __init__(
        self,
        data: bytes,
        filename: str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.filename = filename
        self.progress = progress
        self.rows_read = 0
        try:
            table = read_table(data, filename)
            head: list[tuple[int, Sequence[Cell]]] = []
            for item in table.rows:
                head.append(item)
                if len(head) >= _HEADER_SCAN or _has_name_header(item[1]):
                    break
        except TabularFileError as exc:
            raise RosterFileError(exc.message, exc.message_zh) from None
        self.encoding = table.encoding
        header_at = next((i for i, (_, cells) in enumerate(head) if _has_name_header(cells)), None)
        if header_at is None:
            found = [h for h in (_text_or_empty(c) for c in head[0][1]) if h] if head else []
            raise RosterFileError(
                f"{filename}: no 姓名 (name) column; headers found: {', '.join(found) or 'none'}",
                f"文件“{filename}”缺少必填列“姓名”；找到的列：{'、'.join(found) or '无'}",
            )
        self.header_row, header = head[header_at]
        columns: dict[str, int] = {}
        written: dict[str, str] = {}
        ignored: list[str] = []
        for position, cell in enumerate(header):
            text = _text_or_empty(cell)
            if not text:
                continue
            name = _header_field(text)
            if name is None:
                ignored.append(text)
            elif name in columns:
                raise RosterFileError(
                    f"{filename}: columns “{written[name]}” and “{text}” both mean {name}; "
                    "keep one",
                    f"文件“{filename}”中“{written[name]}”与“{text}”是同一列"
                    f"（{LABEL_ZH[name]}），请只保留一列",
                )
            else:
                columns[name] = position
                written[name] = text
        self.columns = written
        self.ignored_columns = tuple(ignored)
        self._parser = _RowParser(columns, len(header))
        self._rows = chain(head[header_at + 1 :], table.rows)

    def __iter__(self) -> Iterator[RosterRow | RowRejection]:
        parse = self._parser.parse
        progress = self.progress
        try:
            for number, cells in self._rows:
                result = parse(number, cells)
                self.rows_read += 1
                if isinstance(result, list):
                    yield from result
                else:
                    yield result
                if progress is not None and self.rows_read % _PROGRESS_EVERY == 0:
                    progress(self.rows_read)
        except TabularFileError as exc:
            raise RosterFileError(exc.message, exc.message_zh) from None
        if progress is not None and self.rows_read % _PROGRESS_EVERY:
            progress(self.rows_read)


def _text_or_empty(cell: Cell) -> str:
    try:
        return _text(cell) or ""
    except _Bad:
        return ""


def _has_name_header(cells: Sequence[Cell]) -> bool:
    return any(isinstance(c, str) and _header_field(c) == "name" for c in cells)


def iter_roster(
    data: bytes, filename: str, *, progress: Callable[[int], None] | None = None
) -> RosterReader:
    """Stream a roster; ``progress(rows_done)`` every 1,000 rows and at the end."""
    return RosterReader(data, filename, progress=progress)


def parse_roster(
    data: bytes, filename: str, *, progress: Callable[[int], None] | None = None
) -> RosterParse:
    """Parse a whole roster file; raises ``RosterFileError`` for file-level problems."""
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
    )
