"""Certificates as linkage evidence (证书比对).

人社's certificate list gives a name, an ID number and the certificate (its level, the day
it was issued, often its number: 证书编号 / 管理号); other departments' lists give the
name and the same certificate but no ID number. A clerk links those at once: one name
holding the same certificate — the same number, or the same level issued the same day —
is one person. The census weighs it as it weighs every field: the ``certificate``
comparison (:mod:`.comparison`) puts a pair on a level, and the model learns each level's
m and u (:mod:`.model`, :mod:`.training`) — how often one person's two records and two
people's agree so (many people pass the same exam and are certified the same day).

A record holds each certificate as one int (:func:`certificate_code`): the level (2 bits),
the day (16 bits, days since 1900) and 40 bits of a digest of the number (0: none given) —
no raw number; one certificate as its int alone, several as a tuple. Certificates arrive
as ``WorkerCertified`` events, often after the record's registration: the record is
updated (:func:`with_certificate`) and re-scored.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections import defaultdict
from datetime import date
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from shegong.registry.census.tables import certificates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from shegong.contracts.registry import WorkerCertified
    from shegong.registry.census.features import CensusRecord, Features

__all__ = ["certificate_code", "certificate_level", "from_event", "load_certificates"]
__all__ += ["certificate_block", "with_certificate"]

_LEVELS = {"assistant": 1, "intermediate": 2, "senior": 3}
_EPOCH = date(1900, 1, 1).toordinal()
_DAY_BITS, _LEVEL_BITS = 16, 2
_NUMBER_SHIFT = _DAY_BITS + _LEVEL_BITS
_DAYS = (1 << _DAY_BITS) - 1  # the day: the low bits, the level above them
_LEVEL = ((1 << _NUMBER_SHIFT) - 1) ^ _DAYS

# The comparison's levels, strongest first (0: one side holds no certificate).
CERT_NUMBER, CERT_DAY, CERT_LEVEL, CERT_ELSE = 1, 2, 3, 4


def _number_bits(number: str | None) -> int:
    """40 bits of a digest of the number as written, width, spaces and case aside (0: none)."""
    text = "".join(unicodedata.normalize("NFKC", number or "").split()).upper()
    if not text:
        return 0
    return int.from_bytes(blake2b(text.encode(), digest_size=5).digest(), "big") or 1


def certificate_code(level: str, certified_on: date, number: str | None = None) -> int:
    """One certificate as an int: the number's digest, the level and the day."""
    day = min(max(certified_on.toordinal() - _EPOCH, 0), _DAYS)
    return _number_bits(number) << _NUMBER_SHIFT | _LEVELS.get(level, 0) << _DAY_BITS | day


def held(codes: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """A record's certificates: one is held as its int (no tuple), several as a tuple."""
    return (codes,) if isinstance(codes, int) else codes or ()


def certificate_block(codes: int | tuple[int, ...] | None) -> int | None:
    """The certificate a record is blocked on with its name: its highest level, latest
    issued, as level and year (a list that writes the day to the month or the year meets
    the one that writes it whole); None without a certificate of a known level."""
    best = max((code & (_LEVEL | _DAYS) for code in held(codes)), default=0)
    if not best & _LEVEL:
        return None
    year = date.fromordinal((best & _DAYS) + _EPOCH).year
    return (best >> _DAY_BITS) << 12 | year  # one small int: level, year


def with_certificate(record: CensusRecord, code: int) -> CensusRecord:
    """``record`` holding one more certificate (the same one twice is one)."""
    codes = held(record.certificates)
    if code in codes:
        return record
    more = tuple(sorted((*codes, code)))
    return dataclasses.replace(record, certificates=more if len(more) > 1 else code)


def _pair_level(p: int, q: int) -> int:
    np, nq = p >> _NUMBER_SHIFT, q >> _NUMBER_SHIFT
    if np and np == nq:
        return CERT_NUMBER  # a number is one certificate's, whatever the level typed
    if np and nq:
        return CERT_ELSE  # two numbers: two certificates (one person holds one a level)
    if p & _LEVEL != q & _LEVEL:
        return CERT_ELSE
    return CERT_DAY if _one_day(p & _DAYS, q & _DAYS) else CERT_LEVEL


def _one_day(a: int, b: int) -> bool:
    """The same day, or one side giving only the month (its 1st: 2019.06) or the year (1
    January: 2019年) the other's day falls in."""
    if a == b:
        return True
    x, y = date.fromordinal(a + _EPOCH), date.fromordinal(b + _EPOCH)
    if x.year != y.year:
        return False
    months = (x.month, x.day) == (1, 1) or (y.month, y.day) == (1, 1)
    return months or (x.month == y.month and 1 in (x.day, y.day))


def certificate_level(x: Features, y: Features) -> int:
    """The closest two records' certificates come: the same number; the same level issued
    the same day (or in the month or year one side gives); the same level; else (null
    where one side holds none)."""
    a, b = x.record.certificates, y.record.certificates
    if not a or not b:
        return 0
    if isinstance(a, int) and isinstance(b, int):
        return _pair_level(a, b)
    return min(_pair_level(p, q) for p in held(a) for q in held(b))


def from_event(key: str, event: WorkerCertified) -> tuple[dict[str, Any], int]:
    """A ``WorkerCertified``'s ``rm_census_certificates`` row and its code."""
    level, day, number = event.level.value, event.certified_on, event.certificate_no
    row = {"key": key, "level": level, "certified_on": day, "certificate_no": number}
    return row, certificate_code(level, day, number)


async def load_certificates(conn: AsyncConnection) -> dict[str, int | tuple[int, ...]]:
    """Every record's certificates, as the linker holds them (by record key)."""
    found: dict[str, set[int]] = defaultdict(set)
    query = select(
        certificates.c.key,
        certificates.c.level,
        certificates.c.certified_on,
        certificates.c.certificate_no,
    )
    for r in await conn.execute(query):
        found[r.key].add(certificate_code(r.level, r.certified_on, r.certificate_no))
    return {
        key: tuple(sorted(codes)) if len(codes) > 1 else codes.pop() for key, codes in found.items()
    }
