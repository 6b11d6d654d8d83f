"""A roster's 证件类型 column: whether its 证件号码 is a resident ID number or another
document's (a passport's, a 回乡证's …), and which (:mod:`shegong.kernel.data.documents`)."""

from __future__ import annotations

import re
from typing import Any

from shegong.kernel.data.documents import (
    DOCUMENT_NAMES,
    document_by_shape,
    document_kind,
    document_number,
)
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.imports.roster_fields import RosterRow

__all__ = ["document_fields", "other_document"]

_OTHER_DOCUMENT = re.compile(r"护照|通行证|回乡证|台胞证|旅行证|军官证|士兵证|passport", re.I)


def other_document(id_type: str | None, number: str | None) -> tuple[str | None, str, str] | None:
    """The document a row's 证件号码 is of when its 证件类型 names one other than the
    resident ID card (护照, 港澳居民来往内地通行证, 台胞证, 外国人永久居留身份证 …): its
    kind (None for one the census does not link on, 军官证), and why the number is no
    resident ID number, in English and Chinese; ``None`` for a resident ID card, a
    residence permit (its number is one in form) or no 证件类型 — unless the ``number`` is
    plainly a 回乡证's or a Chinese passport's by its shape (H12345678, E12345678)."""
    if not number:
        return None
    if not (id_type or "").strip() and (shaped := document_by_shape(number)):
        what, what_zh = DOCUMENT_NAMES[shaped]
        return (
            shaped,
            f"is a {what} number by its shape (no 证件类型), not a resident ID number",
            f"按号码格式是{what_zh}号码（未填证件类型），不是居民身份证号码",
        )
    kind = document_kind(id_type)
    if not id_type or not (kind or _OTHER_DOCUMENT.search(id_type)):
        return None
    document = "".join(id_type.split())[:20]
    return (
        kind,
        f"is the number of a {document} (证件类型), not a resident ID number",
        f"证件类型为{document}，不是居民身份证号码",
    )


def document_fields(hasher: PersonalDataHasher, row: RosterRow) -> dict[str, Any]:
    """A row's other document as ``WorkerRegistered`` carries it: its kind and the keyed
    digest of its number in normal form (none for a mask, or a document not linked on)."""
    kind, raw = row.document_type, row.raw_id_number
    if kind is None:
        return {}
    number = document_number(kind, raw) if raw else None
    return {"document_type": kind, "document_hash": number and hasher.document(kind, number)}
