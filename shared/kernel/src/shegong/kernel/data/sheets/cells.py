"""Cells of a department's spreadsheet → values: text, ID numbers, phones, previews.

A cell is what :mod:`shegong.kernel.data.tabular` gives (``str`` for CSV; ``str``, numbers,
dates … for a workbook). A bad value raises :class:`CellError` with the reason in English
and Chinese but *not* the field: the importer knows which field it read, and reports the
row, the field and both reasons (:mod:`.headed`). Nothing is evaluated: a text cell
``=1+1`` is that text, trimmed.
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache

from shegong.contracts.events import Labelled
from shegong.kernel.data.identity import (
    PersonalDataError,
    ResidentId,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.data.tabular import Cell

__all__ = [
    "CUT_ID",
    "PLACEHOLDERS",
    "CellError",
    "Choices",
    "cell_text",
    "excel_cut_id",
    "id_number_cell",
    "other_phones",
    "phone_cell",
    "preview",
    "quick_phone",
    "well_formed_phone",
]

# A blank cell: empty, or what clerks type for "nothing" (无, 暂无, 空, dashes, a slash).
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "/", "无", "暂无", "空"})
_EDGE_JUNK = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
EXACT_FLOAT = 2**53  # integers above this do not survive being a float (Excel number)


class CellError(ValueError):
    """A cell's value cannot be used; the reason without the field, in both languages."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh


def cell_text(cell: Cell) -> str | None:
    """A cell as trimmed literal text; ``None`` for blank or a placeholder. A whole
    number Excel kept as a float is its digits; one too long to be exact is refused."""
    if isinstance(cell, str):
        text = cell.strip()
        if text and (text[0] in _EDGE_JUNK or text[-1] in _EDGE_JUNK):
            text = text.strip(_EDGE_JUNK).strip()
        return text if text and text not in PLACEHOLDERS else None
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        if cell.is_integer():
            if abs(cell) >= EXACT_FLOAT:
                raise CellError(
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


def preview(field: str, cell: Cell) -> str | None:
    """What a report may quote of a cell: short, and never a whole ID number or phone
    (the ``id_number`` and ``phone`` fields show 3 characters; any other field's long
    numbers are cut by ``redact_numbers``, as when a row's columns shifted)."""
    if cell is None:
        return None
    text = cell if isinstance(cell, str) else repr(cell) if isinstance(cell, float) else str(cell)
    text = text.strip()
    if field in ("id_number", "phone"):
        return text[:3] + "***" if len(text) > 3 else "***"
    # Cut before the numbers are looked for: a cell may hold 32,767 characters, and a
    # sheet 4,000 of them (a regex over each held training's loop 14 s).
    # A number the cut splits loses its part before the cut too (never a long number's head).
    head = text if len(text) <= 120 else text[:120].rstrip("0123456789Xx")
    text = redact_numbers(head) or ""
    return text if len(text) <= 40 else text[:39] + "…"


class Choices:
    """A cell naming one member of a labelled list (:class:`Labelled`: a code and its
    Chinese label): either is accepted, ignoring spaces, width and case; ``extra`` maps
    other words (男性) to codes. ``None`` for blank; raises ``CellError`` listing the
    allowed values in both languages."""

    def __init__(self, cls: type[Labelled], extra: Mapping[str, str] | None = None) -> None:
        self.cls = cls
        self.table: dict[str, Labelled] = {}
        for member in cls:
            for word in (member.value, member.zh):
                self.table[word] = self.table[self.key(word)] = member
        for word, value in (extra or {}).items():
            self.table[word] = cls(value)

    @staticmethod
    def key(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split()).casefold()

    def __call__(self, cell: Cell) -> Labelled | None:
        text = cell_text(cell)
        if text is None:
            return None
        member = self.table.get(text) or self.table.get(self.key(text))
        if member is None:
            raise CellError(
                "is not one of: " + " / ".join(f"{m.value} ({m.zh})" for m in self.cls),
                "不在可选值中，应为：" + " / ".join(m.zh for m in self.cls),
            )
        return member


# --- ID numbers -------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_DASHED_ID = re.compile(r"\d{6}-\d{8}-\d{3}[\dXx]|\d{6}-\d{6}-\d{3}")
# An ID number a program wrote as a number's text (pandas: 620102850101123.0); its digits
# are all there (a float keeps 15 exactly; an 18-digit one written so is kept as text).
_WHOLE_ID = re.compile(r"\d{15}(?:\d{2}[\dXx])?\.0+")
NUMBER_ID = (
    "was stored as a number by Excel and its last digits are lost; format the column as "
    "text (设置单元格格式→文本) and type the number again",
    "身份证号被Excel存成了数字，末几位已丢失；请将该列设置为“文本”格式后重新录入",
)


# An 18-digit ID number Excel held as a number (15 significant digits) and wrote out whole,
# as a CSV saved from the sheet shows it: 620102198803121234 → 620102198803121000.
_CUT_ID = re.compile(r"\d{15}000")
CUT_ID = (
    "ends in 000: Excel held it as a number and kept only its first 15 digits; format the "
    "column as text (设置单元格格式→文本) and type the number again",
    "末三位为000：Excel把身份证号存成了数字，只保留了前15位；请将该列设置为“文本”格式后重新录入",
)


def excel_cut_id(text: str | None) -> str | None:
    """The number Excel held (``6.20102198803121E+17``) when ``text`` is an 18-digit ID
    number written out from it — its first 15 digits, then 000 — else ``None``. Such a
    number is no ID number (a real one ends in 000 about once in a thousand, and then its
    file shows no other cut number: :func:`id_number_cell` leaves that to the importer)."""
    if text is None or not _CUT_ID.fullmatch(text):
        return None
    return f"{text[0]}.{text[1:15]}E+17"


_MASKED_ID = re.compile(r"[*＊●]|\d[Xx]{2,}\d")
MASKED_ID = (
    "is masked (some digits hidden); kept as written: the census weighs the digits it "
    "shows as a mistyped number's, only a full number links by ID alone",
    "部分数字已隐去（如 *），按原样保留；人员库只按显示的数字比对（如同录错的号码），"
    "需完整号码才能单凭身份证号关联",
)


def id_number_cell(
    cell: Cell, excel_column: Callable[[], bool] | None = None
) -> tuple[ResidentId | None, str | None, tuple[str, str] | None]:
    """``(parsed, raw text if unparseable, (problem, problem_zh) if unparseable)``.

    Old 15-digit numbers, lowercase x, spaces and a leading ``'`` are fine; an 18-digit
    number Excel stored as a number has lost its last digits, and the problem says how
    to fix the column: its raw text is then the number Excel held (``6.2…E+17``), which
    links by nothing. A cut number written out whole (…000) whose check character fits
    by chance is one too where ``excel_column()`` says its column holds Excel's cuts."""
    if isinstance(cell, float) and not (cell.is_integer() and abs(cell) < EXACT_FLOAT):
        return None, repr(cell), NUMBER_ID
    try:
        text = cell_text(cell)
    except CellError as err:
        return None, repr(cell), (err.reason, err.reason_zh)
    if text is None:
        return None, None, None
    text = text.lstrip("'‘’")
    if _SCIENTIFIC.fullmatch(text):
        return None, text, NUMBER_ID
    if "-" in text and _DASHED_ID.fullmatch(text):  # 532501-19850305-123X
        text = text.replace("-", "")
    elif "." in text and _WHOLE_ID.fullmatch(text):  # a number's text: 620102850101123.0
        text = text.partition(".")[0]
    try:
        parsed = parse_resident_id(text)
    except PersonalDataError as exc:
        if held := excel_cut_id(text):  # …000 and a wrong check character: cut by Excel
            return None, held, CUT_ID
        if _MASKED_ID.search(text):  # 530102********0021, as published lists show it
            return None, text, MASKED_ID
        return None, text, (exc.reason, exc.reason_zh)
    if excel_column is not None and (held := excel_cut_id(text)) and excel_column():
        return None, held, CUT_ID
    return parsed, None, None


def id_shown_by_excel(raw: str | None) -> str | None:
    """An 18-digit ID number Excel stored as a number, as far as it still shows it: its
    region and birth date, the rest hidden (``62010219900101****``). A number cell keeps
    15 digits (its text may drop trailing zeros); a CSV saved from one that shows 6 or so
    (``6.20102E+17``) says nothing of the birth date."""
    digits = _excel_digits(raw)
    shown = re.sub(r"\D", "", raw.lower().partition("e")[0]) if raw else ""
    return digits[:14] + "****" if digits and len(shown) >= 10 else None


def _excel_digits(raw: str | None) -> str | None:
    if not raw or "e" not in raw.lower():  # a mistyped number is no evidence of its date
        return None
    try:
        whole = decimal.Decimal(raw.strip())
    except decimal.InvalidOperation:
        return None
    if not whole.is_finite() or not 10**17 <= whole < 10**18:
        return None
    return f"{whole:.0f}"


def birth_date_kept_by_excel(raw: str | None) -> datetime.date | None:
    """The birth date an 18-digit ID number still shows after Excel stored it as a number
    (``6.20102199001011E+17``: the first 15 digits survive, and digits 7–14 are the birth
    date), or ``None`` when they do not spell a plausible one."""
    if (digits := _excel_digits(raw)) is None:
        return None
    try:
        born = datetime.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 and born <= datetime.date.today() else None


# --- phones ---------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SPLIT = re.compile(r"[/,，、;；|]")


@cache
def _mobile_block_ok(prefix5: str) -> bool:
    """Whether 11-digit numbers starting with ``prefix5`` are valid mobiles. For 1[3-9]…
    numbers, libphonenumber's CN patterns depend on at most the first 5 digits (1740[0-5])
    and every valid one is a mobile, so one answer holds for the whole block (a test
    compares against ``normalize_phone`` for every 6-digit prefix). ~30x faster."""
    try:
        return normalize_phone(prefix5 + "000000") == prefix5 + "000000"
    except PersonalDataError:
        return False


def quick_phone(text: str) -> str:
    """``normalize_phone``, fast for plain 11-digit mobiles; raises PersonalDataError."""
    if len(text) == 11 and _MOBILE.fullmatch(text) and _mobile_block_ok(text[:5]):
        return text
    return normalize_phone(text)


def phone_cell(cell: Cell) -> tuple[str | None, tuple[str, str] | None]:
    """``(normalised phone, (warning, warning_zh))``: a cell holding several numbers
    (``0757-8…/138…``) gives its first mobile (else its first valid one), with a warning;
    a bad phone gives ``None`` and why (the importer decides whether that drops the phone
    or refuses the row)."""
    try:
        text = cell_text(cell)
    except CellError as bad:
        return None, (f"{bad.reason}; dropped", f"{bad.reason_zh}，已忽略该号码")
    if text is None:
        return None, None
    text = text.lstrip("'‘’")
    try:
        return quick_phone(text), None
    except PersonalDataError as exc:
        first_error = exc
    parts = [p.strip() for p in _PHONE_SPLIT.split(text) if p.strip()]
    if len(parts) > 1:
        kept = _best_phone(parts)
        if kept is not None:
            return kept, (
                "holds several numbers; kept the first mobile (else the first valid one)",
                "填写了多个号码，已保留第一个手机号（无手机号时保留第一个有效号码）",
            )
    kept = _best_phone(_numbers_in(text))
    if kept is not None:
        return kept, (
            "holds a note, an extension or another number beside it; kept the number",
            "号码旁有备注、分机号或其他号码，已保留该号码",
        )
    return None, (f"{first_error.reason}; dropped", f"{first_error.reason_zh}，已忽略该号码")


def other_phones(cell: Cell, kept: str | None, limit: int = 4) -> tuple[str, ...]:
    """The numbers a phone cell holds beside the one kept (``phone_cell``): a second
    mobile, the office's landline (``138… / 0755-8…``, one a line, +86 or spaces within).
    Not contacts — linkage evidence: another department may list the person by one of
    them. Each as ``normalize_phone`` gives it, else its digits where it has a phone's
    shape; at most ``limit``, in the cell's order, none twice."""
    try:
        text = cell_text(cell)
    except CellError:
        return ()
    if not text or kept is None:
        return ()
    found: list[str] = []
    for digits in _numbers_in(text):
        try:
            number = quick_phone(digits)
        except PersonalDataError:
            number = digits
        if number != kept and digits != kept and number not in found:
            found.append(number)
    return tuple(found[:limit])


def _best_phone(candidates: list[str]) -> str | None:
    """The first valid mobile of ``candidates``, else the first valid number: a person's
    mobile is theirs, a landline beside it (0757-82345678 / 138…) is usually the office's,
    shared by everyone there."""
    valid: list[str] = []
    for candidate in candidates:
        try:
            phone = quick_phone(candidate)
        except PersonalDataError:
            continue
        if _MOBILE.fullmatch(phone):
            return phone
        valid.append(phone)
    return valid[0] if valid else None


# A number inside a note: 13812345678（本人）, 手机138 1234 5678, 0873-6123456转801,
# 0571-8888 6666转802 (the local number in two groups).
_NUMBER_IN_TEXT = re.compile(
    r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8}|0\d{2,3}[\s-]?\d{3,4}[\s-]?\d{4})(?!\d)"
)


def _numbers_in(text: str) -> list[str]:
    """The phone-shaped numbers written inside ``text``, digits only, in order."""
    text = unicodedata.normalize("NFKC", text)
    return [re.sub(r"\D", "", m.group(1)) for m in _NUMBER_IN_TEXT.finditer(text)]


_NOT_DIGITS = re.compile(r"[\s\-()（）.]+")


def well_formed_phone(cell: Cell) -> str | None:
    """The digits of a phone written as one number (+86 / 0086 / 86 and separators removed)
    when it has a phone's shape: 11 digits from 1 (a mobile), or 10–12 from 0 (a landline)."""
    if cell is None or isinstance(cell, float | datetime.date):
        return None
    text = _NOT_DIGITS.sub("", unicodedata.normalize("NFKC", str(cell)).strip().lstrip("'‘’"))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if len(text) == 13 and text.startswith("861"):  # 86-139…, 86 139…: the country code
        text = text[2:]
    if not text.isdigit():
        found = _numbers_in(text)
        return found[0] if found else None
    if (len(text) == 11 and text[0] == "1") or (10 <= len(text) <= 12 and text[0] == "0"):
        return text
    return None
