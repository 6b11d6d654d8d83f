"""Identity documents other than the resident ID card (其他证件), as a roster's 证件类型
names them: a passport (护照), the Hong Kong and Macao residents' permit (港澳居民来往内地
通行证, 回乡证), the Taiwan residents' permit (台湾居民来往大陆通行证, 台胞证) and the
foreigner's permanent residence card (外国人永久居留身份证).

Their numbers are personal data as an ID number is: they travel only as a keyed digest
(:meth:`~shegong.kernel.data.identity.PersonalDataHasher.document`) of the number in one
normal form, beside the document's kind — so the same permit on two departments' lists
links them. A residence permit (港澳台居民居住证, 830000…) is numbered as an ID card and is
read as one; it is none of these.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "DOCUMENT_KINDS",
    "DOCUMENT_NAMES",
    "document_by_shape",
    "document_kind",
    "document_number",
]

# The kinds, as the contracts' ``DocumentType`` names them.
DOCUMENT_KINDS = ("hkmo_permit", "taiwan_permit", "foreign_permanent", "passport")
# What a message calls each, in English and Chinese.
DOCUMENT_NAMES = {
    "hkmo_permit": ("Home Return Permit (回乡证)", "回乡证"),
    "taiwan_permit": ("Taiwan compatriot permit (台胞证)", "台胞证"),
    "foreign_permanent": ("foreign permanent residence card", "外国人永久居留身份证"),
    "passport": ("passport", "护照"),
}

# Which kind a 证件类型 cell names; the first that matches (a 回乡证 is a 通行证 too).
_KIND_WORDS = (
    ("hkmo_permit", re.compile(r"港澳|回乡|香港|澳门|home\s*return", re.I)),
    ("taiwan_permit", re.compile(r"台湾|台胞|臺灣|臺胞|mainland\s*travel", re.I)),
    ("foreign_permanent", re.compile(r"永久居留|绿卡|permanent\s*residen", re.I)),
    ("passport", re.compile(r"护照|護照|passport", re.I)),
)
_RESIDENCE_PERMIT = re.compile(r"居住证|居住證")

# A 回乡证 is H (Hong Kong) or M (Macao) and 8 digits; a card issued again adds its count
# (换证次数), 2 digits: H1234567801 is H12345678's card, the first renewal.
_HKMO = re.compile(r"([HM]\d{8})(?:\d{2})?")
# A 台胞证 is 8 digits; the card adds its count as 2 digits, or the booklet a letter in
# brackets: 1234567801, 12345678(B) are 12345678.
_TAIWAN = re.compile(r"(\d{8})(?:\d{2}|[A-Z])?")
# Numbers that are plainly one document by their shape alone, with no 证件类型 beside them:
# a 回乡证 (above) and a Chinese passport — E or G and 8 digits, or E, a letter and 7 digits
# (EA1234567, since 2017). A bare 8 digits (a 台胞证's) or a foreign passport's are not.
_SHAPES = (
    ("hkmo_permit", _HKMO),
    ("passport", re.compile(r"[EG]\d{8}|E[A-Z]\d{7}")),
)
_DROPPED = re.compile(r"[\s\-_/.·()（）【】\[\]]")
_WORD = re.compile(r"[0-9A-Z]{5,20}")


def document_kind(id_type: str | None) -> str | None:
    """The kind of document a 证件类型 cell names (:data:`DOCUMENT_KINDS`), or None: a
    resident ID card, a residence permit, another document (军官证) or nothing said."""
    if not id_type or _RESIDENCE_PERMIT.search(id_type):
        return None
    text = unicodedata.normalize("NFKC", id_type)
    return next((kind for kind, words in _KIND_WORDS if words.search(text)), None)


def document_number(kind: str, number: str) -> str | None:
    """The document's number in its normal form — full-width, spaces, dashes and brackets
    undone, upper case, a permit's renewal count left off — or None when what is written
    is no whole number (a mask, 5 to 20 letters and digits otherwise)."""
    text = _cleaned(number)
    pattern = _HKMO if kind == "hkmo_permit" else _TAIWAN if kind == "taiwan_permit" else None
    if pattern is not None and (found := pattern.fullmatch(text)):
        return found.group(1)
    return text if _WORD.fullmatch(text) else None


def document_by_shape(number: str) -> str | None:
    """The kind of document ``number`` is by its shape alone (:data:`_SHAPES`), or None."""
    text = _cleaned(number)
    return next((kind for kind, shape in _SHAPES if shape.fullmatch(text)), None)


def _cleaned(number: str) -> str:
    """``number`` as its document prints it: full-width undone, separators and brackets
    dropped, upper case."""
    return _DROPPED.sub("", unicodedata.normalize("NFKC", number)).upper()
