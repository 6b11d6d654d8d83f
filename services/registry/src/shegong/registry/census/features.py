"""A census record and its features: what :mod:`.comparison` compares, read once.

A :class:`CensusRecord` carries no raw personal data (keyed hashes, the name, the birth
date, the organisation and the region). :class:`Features` keeps only what has to be
worked out from it (names and places normalised, the ID number's parts as typed); what
the record says as it is is read from the record, and what few comparisons read is
worked out when read (from caches): a slot is 8 bytes a record, and the linker holds one
``Features`` a record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from hashlib import blake2b

from shegong.registry.census.names import (
    AUTONOMOUS,
    committee_community,
    committee_township,
    county_key,
    government_township,
    normalize_org,
    org_text,
    person_name,
    pinyin_key,
    region_name,
    township_key,
)

__all__ = ["CensusRecord", "Features", "birth_part_apart", "id_fragment", "masked", "org_county"]
__all__ += ["masks_agree", "phone_kind", "shown_digits"]
__all__ += ["former_match", "other_phones", "same_part", "second_mobile", "swapped"]
__all__ += ["census_document"]


@dataclass(frozen=True, slots=True)
class CensusRecord:
    """One department's roster row as the census sees it (no raw personal data)."""

    key: str  # "department:record_key", unique per record
    department: str
    name: str  # as reported: may be traditional, with stray or full-width spaces
    id_hash: str | None = None  # keyed hash of a VALID 18-char ID number
    id_masked: str | None = None  # masked display form of what was reported
    birth_date: date | None = None
    birth_year_by_age: int | None = None  # 年龄 where no birth date: a birth year ±1
    sex: str | None = None  # "male" / "female"
    # a digest as published (hex); held as an int (:meth:`__post_init__`)
    phone_hash: str | int | None = None
    organization: str | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None
    # Keyed hashes of the reported number's four parts (region 6, birth date 8, order 3,
    # check 1), "r.b.o.c": a mistyped number still agrees with the right one on three.
    id_parts: str | None = None
    # Keyed hashes of the number with the neighbours at each border of its parts put in
    # order, "a.b.c" (held as three 20-bit fields of an int): two of them swapped across
    # a border change two parts and share that border's digest with the right number.
    id_swaps: str | int | None = None
    # Another document's kind and keyed digest, "hkmo_permit:<digest>" (census_document):
    # a passport or a permit whose number is the same on two lists.
    document: str | None = None
    phone_kind: str | None = None  # "mobile" / "landline" (:func:`phone_kind`), None: unknown
    # Keyed hashes of the phone with each of four blocks of its digits hidden, "a.b.c.d":
    # a number with one digit mistyped shares one of them with the right one.
    phone_parts: str | int | None = None
    former_name: str | None = None  # 曾用名, as reported
    # The other numbers the phone cell held (a second mobile, the office's landline), as
    # published ("m<digest>.l<digest>"), held as ints: a digest's 60 bits and a bit that
    # says landline (:func:`other_phones`).
    other_phones: str | tuple[int, ...] | None = None
    # The certificates the record holds: one int each (:func:`.certificates.certificate_code`),
    # one certificate as its int alone.
    certificates: int | tuple[int, ...] | None = None
    # The seven digits a mobile's mask shows (138****5678 → 1385678): a full number's
    # display form, or all a volunteer platform published (:func:`shown_digits`).
    phone_shown: int | None = None

    def __post_init__(self) -> None:
        # A linker holds one record a row: the phone's digest as 60 bits (an int of 32
        # bytes, where its 32 hex characters took 81) and its four parts as 15 bits each
        # in one int — what comparing them needs, and no more.
        if isinstance(self.phone_hash, str):
            object.__setattr__(self, "phone_hash", _held(self.phone_hash))
        if isinstance(self.phone_parts, str):
            object.__setattr__(self, "phone_parts", _packed_parts(self.phone_parts))
        if isinstance(self.id_swaps, str):
            object.__setattr__(self, "id_swaps", _packed_parts(self.id_swaps, 3, SWAP_BITS))
        if isinstance(self.other_phones, str):
            object.__setattr__(self, "other_phones", _held_others(self.other_phones))


def census_document(kind: str | None, digest: str | None) -> str | None:
    """A record's other document as the census holds it: its kind and its digest."""
    return f"{kind}:{digest}" if kind and digest else None


def _bits(text: str, bits: int) -> int:
    """``bits`` bits of a digest as an int — equal digests, equal ints; whatever a node
    sent (the contracts do not make it hex), a stable value."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big") >> (64 - bits)


def _held(digest: str) -> int | None:
    return _bits(digest, 60) if digest else None


def _held_others(published: str) -> tuple[int, ...] | None:
    """``"m<digest>.l<digest>"`` as ints: the digest's 60 bits (as :func:`_held`, so equal
    to another record's ``phone_hash`` of the same number) shifted left, the low bit 1
    for a landline."""
    held = tuple(
        _bits(item[1:], 60) << 1 | (item[0] == "l") for item in published.split(".") if item[1:]
    )
    return held or None


def other_phones(record: CensusRecord) -> dict[int, bool]:
    """Every number a record gives, its phone and the others: held digest → landline."""
    found: dict[int, bool] = {}
    if isinstance(record.phone_hash, int):
        found[record.phone_hash] = record.phone_kind == "landline"
    for item in record.other_phones or ():
        if isinstance(item, int):
            found.setdefault(item >> 1, bool(item & 1))
    return found


def second_mobile(record: CensusRecord) -> int | None:
    """The first mobile of a cell's other numbers (138… / 139…), as a held digest (equal to
    another record's ``phone_hash`` of the same number), or None: what the census blocks on
    besides the phone — a person's second mobile is another list's only one."""
    for item in record.other_phones or ():
        if isinstance(item, int) and not item & 1 and item >> 1 != record.phone_hash:
            return item >> 1
    return None


def former_match(x: Features, y: Features) -> str | None:
    """The name two records share where one gives it as a former name (曾用名): a name
    changed, the older list still under the old one. None where they share none so."""
    fx, fy = x.former, y.former
    if fx and fx in (y.name, fy):
        return fx
    return y.name if fy and fy == x.name else None


SWAP_BITS = 20  # a border's digest held: two parts must agree beside it too


def _packed_parts(parts: str, count: int = 4, bits: int = 15) -> int | None:
    """``"a.b.c.d"`` as ``count`` fields of ``bits`` bits of one int (:func:`same_part`),
    the first the highest."""
    packed = 0
    for part in parts.split(".")[:count]:
        packed = packed << bits | _bits(part, bits)
    return packed or None


def swapped(x: CensusRecord, y: CensusRecord, pa: Sequence[str], pb: Sequence[str]) -> bool:
    """Two numbers whose parts (``pa``, ``pb``) differ in two neighbours — region and
    birth date, birth date and order, order and check — and agree with the characters at
    that border put in order: two neighbours swapped across it, one slip."""
    sx, sy = x.id_swaps, y.id_swaps
    if not isinstance(sx, int) or not isinstance(sy, int) or len(pa) != 4 or len(pb) != 4:
        return False
    differ = [i for i in range(4) if pa[i] != pb[i]]
    if len(differ) != 2 or differ[1] != differ[0] + 1:
        return False
    shift, field = SWAP_BITS * (2 - differ[0]), (1 << SWAP_BITS) - 1
    return (sx >> shift) & field == (sy >> shift) & field


def same_part(a: int, b: int) -> bool:
    """Whether two packed phone parts share one of their four 15-bit fields."""
    return any((a >> s) & 0x7FFF == (b >> s) & 0x7FFF for s in (0, 15, 30, 45))


def phone_kind(masked: str | None) -> str | None:
    """Whether a phone, in its masked canonical form, is a mobile or a landline: a Chinese
    mobile is kept as its 11 digits (``138****5678``), anything else in E.164
    (``+86*********67``: a landline and its area code); a number as written from 0 is a
    landline too. None where the form does not say."""
    if not masked:
        return None
    text = masked.strip()
    if text[:1] == "1":
        return "mobile"
    if text.startswith("+86") or (text[:1] == "0" and text[1:2] not in ("0", "")):
        return "landline"
    return None


def shown_digits(masked: str | None) -> int | None:
    """The digits a mobile's mask shows (``138****5678`` → 1385678), else None."""
    if not masked or len(masked) != 11 or masked[3:7] != "****" or masked[:1] != "1":
        return None
    shown = masked[:3] + masked[7:]
    return int(shown) if shown.isdigit() else None


def masks_agree(x: CensusRecord, y: CensusRecord) -> bool | None:
    """Two mobiles one of which is known by its mask alone: whether the digits both show
    agree (as strong as a slip, never "same": two numbers may share a mask) or differ;
    None where the phones do not meet so."""
    if (x.phone_hash and y.phone_hash) or not x.phone_shown or not y.phone_shown:
        return None
    return x.phone_shown == y.phone_shown


def id_fragment(masked: str | None) -> str | None:
    """The visible part of an old-style masked number (first 6 + last 4), or None."""
    if not masked or len(masked) != 18 or masked[6:14] != "********":
        return None
    return (masked[:6] + masked[14:]).upper()


class Features:
    """A record with what the comparisons need computed once."""

    __slots__ = (
        "community",
        "county",
        "key",
        "name",
        "org",
        "org_text",
        "org_township",
        "record",
        "township",
        "typed",
    )

    def __init__(self, record: CensusRecord) -> None:
        self.record = record
        self.key = record.key
        self.name = person_name(record.name)
        # The ID number's parts as published ("r.b.o.c", the record's own string: no tuple
        # and four strings a record), or an old mask's stand-ins (a tuple), or None. A
        # number a department published masked leaves the hidden parts empty: kept when
        # it shows the order and check digits (4103**********8469, "..o.c"), which agree
        # or not with another number's (``comparison._id_level``); else no evidence.
        typed = record.id_parts
        self.typed: str | tuple[str, ...] | None
        if typed and ".." in f".{typed}.":
            self.typed = typed if _shows_order_and_check(typed) else None
        else:
            self.typed = typed or _old_parts(record)
        county = region_name(record.county)
        self.county = county_key(record.county) or org_county(record.organization)
        # A township's government as the unit (腾鳌镇人民政府) places its staff there.
        self.township = township_key(record.township) or government_township(record.organization)
        # A community is written with or without its committee (东关社区居委会, 东关社区),
        # and a committee's staff are listed by other departments under its community.
        self.community = (
            committee_community(record.community)
            or region_name(record.community)
            or committee_community(record.organization)
        )
        self.org = (
            (normalize_org(record.organization, county) or None) if record.organization else None
        )
        # The township a committee's full name places it in (三岔镇龙泉村村民委员会).
        self.org_township = committee_township(record.organization)
        # The name as written (script and punctuation normalised, nothing dropped): an
        # abbreviation keeps the county the key leaves out (富源一中 / 富源县第一中学).
        self.org_text = org_text(record.organization) if self.org else None

    # What the record says as it is, or what few comparisons read, is read from it or
    # worked out when read (from caches), not kept: a slot is 8 bytes a record. The
    # comparisons below read the record's own fields.

    @property
    def id_hash(self) -> str | None:
        return self.record.id_hash or None

    @property
    def birth(self) -> date | None:
        return self.record.birth_date

    @property
    def sex(self) -> str | None:
        return self.record.sex or None

    @property
    def phone(self) -> int | str | None:
        return self.record.phone_hash or None

    @property
    def former(self) -> str | None:
        """The former name (曾用名), normalised as the name is."""
        return person_name(self.record.former_name) or None if self.record.former_name else None

    @property
    def pinyin(self) -> str | None:
        """The name's toneless pinyin (a homophone written)."""
        return pinyin_key(self.name) if self.name else None

    @property
    def phone_kind(self) -> str | None:
        return self.record.phone_kind if self.record.phone_hash else None

    @property
    def parts(self) -> tuple[str, ...] | None:
        """The ID number's parts (region 6, birth date 8, order 3, check 1), as typed."""
        typed = self.typed
        return _split_parts(typed) if isinstance(typed, str) else typed


# A county an organisation's name begins with (陆良县光荣院, 曲靖市麒麟区第一中学), for a
# record whose roster has no county column: 区 words that name no district (社区, 园区,
# 景区, 校区 …) are not counties; a county-level 市 is not told from a prefecture, left out.
_ORG_COUNTY = re.compile(
    r"(?:[\u4e00-\u9fff]{2,3}省)?(?:[\u4e00-\u9fff]{2,3}市)?"
    rf"([\u4e00-\u9fff]{{2,5}}?{AUTONOMOUS}"  # 峨山彝族自治县南滩镇…, 木垒哈萨克自治县…
    r"|[\u4e00-\u9fff]{2,3}(?:县|(?<![社园小城景校片厂库学辖山牧林灾营街])区))"
)


@lru_cache(maxsize=50_000)
def org_county(raw: str | None) -> str | None:
    """The county an organisation's name begins with, as :func:`.names.county_key` has it."""
    found = _ORG_COUNTY.match(org_text(raw)) if raw else None
    return county_key(found.group(1)) if found else None


def _shows_order_and_check(typed: str) -> bool:
    parts = typed.split(".")
    return len(parts) == 4 and bool(parts[2]) and bool(parts[3])


def birth_part_apart(x: Features, y: Features) -> bool:
    """One number shows its region and birth date only (``r.b..``: Excel kept 15 digits of
    it, or a list hid the order and check), the other the same region and another birth
    date: one part apart — a mistyped birth date in the number, which the birth date read
    from a cut number repeats (19730122 for 19710122)."""
    a, b = x.record.id_parts, y.record.id_parts
    if not a or not b or (".." not in a and ".." not in b):
        return False
    for p, q in ((a.split("."), b.split(".")), (b.split("."), a.split("."))):
        to_birth = len(p) == len(q) == 4 and p[0] and p[1] and not p[2] and not p[3]
        if to_birth and q[0] == p[0] and q[1] and q[1] != p[1]:
            return True
    return False


def masked(parts: tuple[str, ...] | None) -> bool:
    """The number was published with a part hidden (``Features.parts``)."""
    return bool(parts) and "" in parts  # type: ignore[operator]


@lru_cache(maxsize=256)  # a name's records' anchors read them a few times in a row
def _split_parts(typed: str) -> tuple[str, ...]:
    return tuple(typed.split("."))


def _old_parts(record: CensusRecord) -> tuple[str, ...] | None:
    """Records written before the parts were published: the visible fragment of the old
    mask and the birth date stand in (they only ever compare with each other)."""
    frag = id_fragment(record.id_masked)
    if frag is None:
        return None
    birth = f"v{record.birth_date:%Y%m%d}" if record.birth_date else "v?"
    return ("v" + frag[:6], birth, "v" + frag[6:9], "v" + frag[9])


def one_community(a: str | None, b: str | None) -> bool:
    """One community: 东关 beside 东关社区 or 东关村 (a 社区（村） column's bare name) too."""
    short, long = sorted((a or "", b or ""), key=len)
    bare = len(short) >= 2 and short[-1] not in "区村" and long in (short + "社区", short + "村")
    return bool(short) and (short == long or bare)
