"""身份证后四位 / 后六位: the last characters of an ID number a sheet gives beside a name,
to tell namesakes apart. Training never holds the digits: the registry publishes keyed
digests of the number's parts (``id_number_parts``: region, birth date, order, check), and
the last four are the order and the check character, digested here with the same key."""

from __future__ import annotations

import re

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.training.imports.sheets import RowProblem, SheetRow, number_or_text

_TAIL = re.compile(r"(?:\d{2})?\d{3}[\dX]")


def id_tail(row: SheetRow) -> str | None:
    """The row's last four characters of the ID number (of six given: the birth day, then
    those four); ``None`` without the column or with it blank. A number Excel kept as a
    number lost its leading zeros: 5 digits are six (a birth day 01–09), 3 or fewer four.
    A cell that is no such tail refuses the row, for a clerk."""
    value = number_or_text(row.values.get("id_tail"))
    if value is None:
        return None
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else str(value)
    else:
        text = re.sub(r"\s+", "", value).upper().replace("×", "X").lstrip("'")
    if text.isdigit() and len(text) in (1, 2, 3, 5):  # leading zeros lost
        text = text.zfill(6 if len(text) == 5 else 4)
    if not _TAIL.fullmatch(text):
        raise RowProblem(
            "id_tail",
            "id_tail: not the last 4 or 6 characters of an ID number",
            "身份证后几位：不是身份证号的后4位或后6位",
        )
    return text[-4:]


def tail_digests(hasher: PersonalDataHasher, tail: str) -> tuple[str, str]:
    """The keyed digests of the order and check character ``tail`` (4 characters) shows,
    as they stand in a registered number's ``id_number_parts``."""
    parts = hasher.id_parts(f"00000000000000{tail}")
    assert parts is not None
    _, _, order, check = parts.split(".")
    return order, check


def tail_matches(parts: str | None, digests: tuple[str, str]) -> bool | None:
    """Whether a registered number's parts end as the tail does; ``None`` when the record
    shows no order and check (no ID number, or one published masked)."""
    if not parts:
        return None
    _, _, order, check = parts.split(".")
    if not order or not check:
        return None
    return (order, check) == digests
