"""How many different phones and ID numbers a department has listed behind what is shown
of them — so the census cannot be asked which of a department's guesses is someone's.

Every department sees the merged census (DOMAIN), so a department that lists a person's
name with every phone the shown mask ``139****0002`` allows learns, from the one record
the census links, the whole phone (round 4: 10,000 rows, 15.6 s). Honest rosters list a
handful of phones behind one mask at most (two people's numbers may share their first
three and last four digits), so a department may list ``PHONES_PER_MASK`` different
phones behind one mask; the next is left out of its row (a roster) or refused (a
command), naming row and field. An ID number shows its first and last character, and
its county, sex and birth year stand beside it: ~45 numbers fit each day of the year
(~16,000 in all). A department may list ``IDS_PER_DAY`` different numbers of one region,
birth date, sex and check character: a guess is right at most 4 times in 45 (~9 %),
whether the day is known elsewhere or not (1,460 rows for the year), where it was
certain. Honest rosters stay far below: 100,000 workers of one county spread over 40
birth years hold 0.3 numbers per such bucket on average.

A passport's or a permit's number (证件类型 beside 证件号码: 护照, 回乡证, 台胞证, 外国人永久
居留身份证) links records by itself where the names agree or are one name in two scripts,
and queues them for a clerk where two names in characters differ (docnum; either tells a
department its guess was right), and nothing of it is shown: no mask stands to bucket
by. A guess needs what is known of the number from elsewhere, the rest tried. So a
number counts in two kinds of bucket, per document kind:
the name's sound (``DOCUMENTS_PER_NAME`` numbers behind one name: one person holds one
passport, renewed a few times), and each run of three characters blanked
(``DOCUMENTS_PER_RUN`` numbers that agree in all but those three: a guesser who knows all
but one, two or three neighbouring characters tries them under any name; honest rosters
hold such neighbours only where a family's permits were issued together). A guess at
unknown characters far apart under other names is bounded less: per run it may try 10
of the other characters' values in each bucket.

Counted over everything the department ever listed (this table only grows): a phone
changed 10,000 times by ``PATCH /workers`` counts as 10,000 phones. The buckets are
kept in the clear beside the vault they describe; the numbers only as keyed digests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.data.documents import DOCUMENT_NAMES
from shegong.kernel.data.identity import PersonalDataHasher, mask_phone
from shegong.kernel.data.names import name_key
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.raw_sql import RawStatement
from shegong.registry.adapters.personal_data import metadata
from shegong.registry.census.names import fuzzy_pinyin_key

PHONES_PER_MASK = 5  # different mobile phones behind one shown mask (139****0002)
# A landline's mask shows its last two digits only (+86********34): an honest department
# with a few hundred office lines has several behind each, and a guess needs ~100,000.
LANDLINES_PER_MASK = 50
IDS_PER_DAY = 4  # different ID numbers of one region, birth date, sex and check character
# A published mask (4103**********8469) shows the order and check digits the census links
# by: a department listing one name with every mask would learn them from the one the
# census links. Honest lists hold a few namesakes of one region at most.
MASKED_PER_NAME = 8  # different masked ID numbers of one name and shown region
# A record with no valid ID number links by its name and birth date: a department listing
# one name with every day of a year (the year stands beside the mask) would learn the day
# from the one the census links (round 8). Honest lists hold one or two namesakes of a year.
BIRTHS_PER_NAME_YEAR = 4  # different birth dates of one name (its sound) and year
DOCUMENTS_PER_NAME = 4  # different numbers of one document kind behind one name's sound
DOCUMENTS_PER_RUN = 8  # different numbers of one kind alike but for three neighbouring characters

listed_numbers = Table(
    "listed_numbers",
    metadata,
    Column("department", String(64), primary_key=True),
    Column("bucket", String(32), primary_key=True),  # what is shown: phone:139****0002
    Column("digest", String(64), primary_key=True),  # the number's keyed digest
    Column("listed_at", DateTime(timezone=True)),
)
# Built once, executed with parameters: building a statement and its cache key on every
# registration cost a third of what ``admit`` took (bench/README.md, round 9).
_HELD = select(listed_numbers.c.bucket, listed_numbers.c.digest).where(
    (listed_numbers.c.department == bindparam("of_department"))
    & listed_numbers.c.bucket.in_(bindparam("buckets", expanding=True))
)
_LIST = listed_numbers.insert()
# A command's few buckets on the driver's connection, compiled once per count (raw_sql:
# no expanding IN there); a roster's chunks of up to 500 keep SQLAlchemy's path.
_RAW_HELD = {
    n: RawStatement(
        select(listed_numbers.c.bucket, listed_numbers.c.digest).where(
            (listed_numbers.c.department == bindparam("of_department"))
            & listed_numbers.c.bucket.in_([bindparam(f"bucket_{i}") for i in range(n)])
        )
    )
    for n in range(1, 5)
}
_RAW_LIST = {
    n: RawStatement(
        listed_numbers.insert().values(
            [
                {c: bindparam(f"{c}_{i}") for c in ("department", "bucket", "digest", "listed_at")}
                for i in range(n)
            ]
        )
    )
    for n in range(1, 5)
}


@dataclass(frozen=True)
class Listing:
    """One number a department lists: its field, digest and the buckets it counts in."""

    field: str  # "phone", "id_number", "birth_date", "document" or "name" (renamed_listing)
    digest: str
    buckets: tuple[tuple[str, int], ...]  # (bucket, how many different numbers it may hold)
    shown: str  # what the message names: the phone's mask, or the birth year


def phone_listing(hasher: PersonalDataHasher, phone: str, digest: str | None = None) -> Listing:
    """``phone`` as ``normalize_phone`` gives it, or well-formed digits it refused."""
    digest = digest or hasher.phone_digits(phone)
    shown = mask_phone(phone)
    mobile = len(shown) == 11 and shown[:3].isdigit() and shown[3:7] == "****"
    limit = PHONES_PER_MASK if mobile else LANDLINES_PER_MASK
    return Listing("phone", digest, ((f"phone:{shown}", limit),), shown)


def id_listing(
    hasher: PersonalDataHasher, reported: str, name: str | None = None
) -> Listing | None:
    """An ID number as valid (canonical), else as typed — a mistyped one still links by
    three of its four parts, so it is a guess like any other. Its bucket is what stands
    beside its mask: region, birth date, sex and check character (~45 numbers share one).
    A published mask (6211**********1287, 621102********1287) links by the parts it shows,
    so it is a guess of the hidden ones' neighbours: counted per ``name`` (its keyed
    digest) and the region digits shown. None for what is neither."""
    parts = hasher.id_parts(reported)
    number = "".join(reported.split()).upper()
    if parts is None or len(number) != 18:
        return None
    if not number[:14].isdigit():
        if name is None or not any(parts.split(".")[2:]):
            return None  # nothing shown that the census links by
        # A region shown in part (6211**…, 62**…, none) is one unknown region to the
        # census, which links such a mask to the person of any county by the digits after
        # it: counted apart per prefix, each prefix bought 8 more guesses (round 17).
        region = number[:6] if number[:6].isdigit() else ""
        return Listing("id_number", parts, _masked_buckets(hasher, name, region), "")
    sex = str(int(number[16]) % 2) if number[16].isdigit() else "?"
    bucket = f"id:{number[:14]}{sex}{number[17]}"
    return Listing("id_number", parts, ((bucket, IDS_PER_DAY),), number[6:10])


def _masked_buckets(
    hasher: PersonalDataHasher, name: str, region: str
) -> tuple[tuple[str, int], ...]:
    return ((f"idm:{_name_digest(hasher, name)}:{region}", MASKED_PER_NAME),)


def _name_digest(hasher: PersonalDataHasher, name: str) -> str:
    # By the name's sound, as fuzzy pinyin hears it: 陈建国, 陈建果, 陳建國 and 程建国
    # compare as one name (a homophone or a 模糊音 slip is the census's "same pinyin" or
    # one character alike), so writing it otherwise buys no more guesses.
    key = name_key(name)
    return hasher.name(fuzzy_pinyin_key(key) or key)[:16]  # keyed: the name is not kept


_MASKED_OF = select(listed_numbers.c.bucket).where(
    (listed_numbers.c.department == bindparam("of_department"))
    & (listed_numbers.c.digest == bindparam("digest"))
    & listed_numbers.c.bucket.startswith("idm:")
)


def renamed_listing(listing: Listing, name: str, hasher: PersonalDataHasher) -> Listing | None:
    """A masked ID number's ``listing`` (:func:`id_listing`) as the record renamed
    ``name`` lists it; None for any other number (its buckets do not hold a name)."""
    bucket = listing.buckets[0][0]
    if listing.field != "id_number" or not bucket.startswith("idm:"):
        return None
    region = bucket.rsplit(":", 1)[1]
    return Listing("name", listing.digest, _masked_buckets(hasher, name, region), "")


async def renamed_listings(
    conn: AsyncConnection, hasher: PersonalDataHasher, department: str, digest: str, name: str
) -> list[Listing]:
    """A record's masked ID number (``digest``: its parts' keyed digest) under the record's
    new ``name``. The census links a masked number by the name beside it, and it was
    counted under the name it was listed with: renaming records one by one to a person's
    name listed every mask behind it (round 17). The region shown is the bucket's."""
    rows = await conn.execute(_MASKED_OF, {"of_department": department, "digest": digest})
    shown = (Listing("id_number", digest, ((bucket, MASKED_PER_NAME),), "") for (bucket,) in rows)
    return [r for listing in shown if (r := renamed_listing(listing, name, hasher))]


def birth_listing(hasher: PersonalDataHasher, name: str, born: date) -> Listing:
    """A birth date listed beside ``name`` on a record without a valid ID number (which
    would carry its own): counted per the name's sound and the year."""
    bucket = f"bd:{_name_digest(hasher, name)}:{born.year}"
    digest = hasher.name(f"born:{born.isoformat()}")
    return Listing("birth_date", digest, ((bucket, BIRTHS_PER_NAME_YEAR),), str(born.year))


def document_listing(hasher: PersonalDataHasher, kind: str, number: str, name: str) -> Listing:
    """A passport's or permit's ``number`` (its normal form) listed beside ``name``:
    counted per the name's sound and per each run of three characters blanked, by kind."""
    # A bucket holds 32 characters: the kind by its letter (hkmo_permit: h, passport: p …).
    buckets = [(f"doc:{kind[0]}:{_name_digest(hasher, name)}", DOCUMENTS_PER_NAME)]
    for at in range(len(number) - 2):
        blanked = hasher.document(kind, f"{number[:at]}___{number[at + 3 :]}")[:16]
        buckets.append((f"dr:{kind[0]}:{at}:{blanked}", DOCUMENTS_PER_RUN))
    return Listing("document", hasher.document(kind, number), tuple(buckets), kind)


async def admit(conn: AsyncConnection, department: str, wanted: Sequence[Listing]) -> list[bool]:
    """Whether each number may be stored for ``department``, in order; the admitted ones
    are recorded. A number the department listed before is always admitted. Call it
    holding the append lock (as the vault's writes do)."""
    admitted, new = await judge(conn, department, wanted)
    if new:
        if len(new) in _RAW_LIST:
            await raw_sql.execute(conn, *listing_step(new))
        else:
            now = datetime.now(UTC)
            await conn.execute(_LIST, [{**n, "listed_at": now} for n in new])
    return admitted


async def judge(
    conn: AsyncConnection, department: str, wanted: Sequence[Listing]
) -> tuple[list[bool], list[dict[str, str]]]:
    """:func:`admit`'s decision without its insert: whether each number may be stored,
    and the listings to record (:func:`listing_step`) if the caller goes on."""
    step = held_step(department, wanted)
    if step is not None:
        return decide(department, wanted, (await raw_sql.execute(conn, *step)).rows)
    rows: list[Any] = []
    buckets = _buckets(wanted)
    for start in range(0, len(buckets), 500):
        chunk = buckets[start : start + 500]
        rows.extend(await conn.execute(_HELD, {"of_department": department, "buckets": chunk}))
    return decide(department, wanted, rows)


def held_step(department: str, wanted: Sequence[Listing]) -> raw_sql.Step | None:
    """The read of what ``department`` holds in ``wanted``'s buckets, as one statement
    compiled once (a command's few buckets; None past that: :func:`judge` reads them)."""
    buckets = _buckets(wanted)
    if len(buckets) not in _RAW_HELD:
        return None
    params = {"of_department": department}
    params.update({f"bucket_{i}": b for i, b in enumerate(buckets)})
    return _RAW_HELD[len(buckets)], params


def decide(
    department: str, wanted: Sequence[Listing], rows: Iterable[Any]
) -> tuple[list[bool], list[dict[str, str]]]:
    """From the (bucket, digest) rows :func:`held_step` read: whether each number may be
    stored, and the listings to record."""
    held: dict[str, set[str]] = {b: set() for b in _buckets(wanted)}
    for bucket, digest in rows:
        held[bucket].add(digest)
    admitted, new = [], []
    for w in wanted:
        ok = all(w.digest in held[b] or len(held[b]) < limit for b, limit in w.buckets)
        admitted.append(ok)
        if not ok:
            continue
        for bucket, _ in w.buckets:
            if w.digest not in held[bucket]:
                held[bucket].add(w.digest)
                new.append({"department": department, "bucket": bucket, "digest": w.digest})
    return admitted, new


def _buckets(wanted: Sequence[Listing]) -> list[str]:
    return list(dict.fromkeys(b for w in wanted for b, _ in w.buckets))


def listing_step(new: Sequence[dict[str, str]]) -> raw_sql.Step:
    """The insert that records ``new`` listings (a few: one statement, compiled once),
    for ``raw_sql.execute`` / ``execute_all``."""
    now = datetime.now(UTC)
    params: dict[str, Any] = {}
    for i, n in enumerate(new):
        params.update({f"{k}_{i}": v for k, v in n.items()})
        params[f"listed_at_{i}"] = now
    if len(new) not in _RAW_LIST:  # a command lists one or two numbers; a roster: admit
        raise ValueError(f"listing_step: {len(new)} listings in one statement (at most 4)")
    return _RAW_LIST[len(new)], params


def left_out(listing: Listing) -> tuple[str, str]:
    """Why a number was not stored, in English and Chinese (never the number)."""
    if listing.field == "phone":
        limit = listing.buckets[0][1]
        return (
            f"phone: the department lists {limit} other phones behind "
            f"{listing.shown} already; this one is not stored (the census would tell "
            "which of them is someone's)",
            f"手机号码：本部门在 {listing.shown} 之下已登记 {limit} 个不同号码，"
            "此号码不予登记（否则人员库可被用来核对他人号码）",
        )
    if listing.field == "birth_date":
        return (
            f"birth_date: the department lists {BIRTHS_PER_NAME_YEAR} other birth dates in "
            f"{listing.shown} of this name already; this one is not stored (the census "
            "would tell which of them is someone's)",
            f"出生日期：本部门已登记 {BIRTHS_PER_NAME_YEAR} 个同名、{listing.shown}年出生的不同"
            "出生日期，此日期不予登记（否则人员库可被用来核对他人出生日期）",
        )
    if listing.field == "document":
        what, what_zh = DOCUMENT_NAMES.get(listing.shown, ("document", "证件"))
        return (
            f"id_number: the department lists {DOCUMENTS_PER_NAME} other {what} numbers of "
            f"this name, or {DOCUMENTS_PER_RUN} alike but for three characters, already; "
            "this one is not stored (the census would tell which of them is someone's)",
            f"证件号码：本部门已登记 {DOCUMENTS_PER_NAME} 个同名的不同{what_zh}号码，或 "
            f"{DOCUMENTS_PER_RUN} 个仅三位不同的号码，此号码不予登记（否则人员库可被用来核对"
            "他人证件号码）",
        )
    many = f"{MASKED_PER_NAME} other masked ID numbers of this name and region already"
    many_zh = f"{MASKED_PER_NAME} 个姓名和地区相同的不同遮挡号码"
    if listing.field == "name":  # a record with a masked ID number, renamed
        return (
            f"name: the department lists {many}; the record keeps its name (the census "
            "would tell which of them is someone's)",
            f"姓名：本部门已登记 {many_zh}，此记录不改名（否则人员库可被用来核对他人号码）",
        )
    if not listing.shown:  # a published mask
        return (
            f"id_number: the department lists {many}; this one is not stored (the census "
            "would tell which of them is someone's)",
            f"身份证号：本部门已登记 {many_zh}，此号码不予登记（否则人员库可被用来核对他人号码）",
        )
    return (
        f"id_number: the department lists {IDS_PER_DAY} other ID numbers of this region, "
        f"birth date (born {listing.shown}), sex and check character already; this one is "
        "not stored (the census would tell which of them is someone's)",
        f"身份证号：本部门已登记 {IDS_PER_DAY} 个地区、出生日期（{listing.shown}年出生）、"
        "性别和校验码都相同的不同号码，此号码不予登记（否则人员库可被用来核对他人号码）",
    )
