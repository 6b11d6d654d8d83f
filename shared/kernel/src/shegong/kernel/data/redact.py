"""Keeping whole ID numbers and phones out of what an import report or an error says.

A report quotes what a clerk wrote, so the clerk can find it — but when a row's columns
shift, an ID number lands in the date column and the report would quote it whole. Every
quoted text goes through :func:`redact_numbers`: any run of 10 or more digits (spaces or
dashes between them, an X at the end, as ID numbers and phones are written) keeps its
first three characters and hides the rest. Dates stay as written (``2021-2-30``,
``2025-03-01 08:55``): a clerk needs to see which one is wrong.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from shegong.kernel.data.identity import mask_id_number, mask_phone
from shegong.kernel.data.visible import visible_text

__all__ = ["FreeText", "mask_numbers", "redact_numbers"]

_NUMBER = re.compile(r"\d(?:[ \t\-]?\d)+[Xx]?")
# an entry's id (a UUID: the platform's, in a path the access log records) is no number:
# its hex groups may join into ten digits or more (…-9138-1234567890a4) by chance
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_NUMBER_NOT_IN_ID = re.compile(rf"(?<![0-9A-Za-z]){_UUID}(?![0-9A-Za-z])|{_NUMBER.pattern}")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?: \d{1,2})?")
_MIN_DIGITS = 10  # a mobile phone has 11, an ID number 15 or 18; a date at most 8


def _cut(match: re.Match[str]) -> str:
    text = match.group(0)
    if "-" in text and re.fullmatch(_UUID, text):
        return text
    digits = sum(ch.isdigit() for ch in text)
    if digits < _MIN_DIGITS or _DATE.fullmatch(text):
        return text
    return text[:3] + "***"


def redact_numbers(text: str | None) -> str | None:
    """``text`` with every long number cut to its first three digits and ``***``."""
    if not text:
        return text
    return _NUMBER_NOT_IN_ID.sub(_cut, text)


# A whole number standing alone (not inside a Latin word, a UUID or a longer number), its digits
# side by side or in groups split by one space or dash, as clerks write them.
_WHOLE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \t\-]?\d)+(?:[ \t\-]?[Xx])?(?![0-9A-Za-z])")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_SHAPED = re.compile(r"\d{17}[\dX]|\d{15}")


def _masked(match: re.Match[str]) -> str:
    text = match.group(0)
    compact = re.sub(r"[ \t\-]", "", text).upper()
    if _ID_SHAPED.fullmatch(compact):
        return mask_id_number(compact)
    if _MOBILE.fullmatch(compact):
        return mask_phone(compact)
    return text


def mask_numbers(text: str) -> str:
    """``text`` with every ID number and mobile phone in it in the display's masked form
    (``6****************X``, ``138****5678``) — the one form the platform shows, so no
    log line is a second, wider view of a number — however it was written (``620102
    19880506 1231``, ``138-1234-5678``). Other numbers (positions, entry ids, dates) stay."""
    return _WHOLE.sub(_masked, text)


def _redacted(text: str) -> str:
    return _NUMBER_NOT_IN_ID.sub(_cut, text)


FreeText = Annotated[str, AfterValidator(visible_text), AfterValidator(_redacted)]
"""Text a person types (a resident's notes, a reason, a follow-up): a phone or ID number
in it keeps its first three digits before it is stored, so it never reaches an event or
the bus (probed: notes "请先打电话 138 1234 0000 …身份证6211…" went onto matching.events whole,
and to every department's ``/requests``). It must show something, too: invisible
characters are dropped and a text of nothing else refused (``visible.VisibleText``)."""
