"""What the census compares between two records, field by field (比对).

A census record carries no raw personal data (:class:`CensusRecord`: keyed hashes, the
name, the birth date, the organisation and the region). :class:`Features` reads it once;
:func:`compare_levels` puts a pair on one *level* of each comparison — the comparison
vector of Fellegi and Sunter — that the model (:mod:`.model`) turns into a match weight.

Level 0 of every comparison is "null": one side does not say, which is no evidence either
way. The other levels, from the strongest agreement down:

============ ====================================================================
id           same number (valid-ID hash, all four parts of the number as typed, or the
             same passport or permit: its kind and number, by digest — another passport
             is no evidence, passports are renewed);
             three of its four parts (region, birth date, order, check character) or
             two neighbours swapped across two — one slip; else
name         same after normalisation (script, spaces, dots), or one's former name (曾用名);
             same pinyin (a homophone written, or the name spelt in Latin letters, surname
             first or last); one character dropped, added or swapped, or changed for one
             read alike under fuzzy pinyin (a slip); else (a character of another sound is
             another name: siblings' names differ so)
birth_date   same; day/month swapped or one key off in a number Excel cut; the same year where
             one gives only the year (its 1 January), or the month one off (a slip); else; the
             same year and month where one gives only the month (出生年月, its 1st)
sex          same; else
phone        same number (any a cell gives); a mobile and a landline; else; the same landline
             (a household's or a unit's); one slip (one of four blocks of digits differs, by
             keyed digests); a mask's shown digits agree (138****5678 published alone)
organization same key (:func:`.names.normalize_org`) — never where the names begin with two
             counties (two county hospitals, two first schools); similar (one contains the
             other, one is the other's abbreviation — its characters in order, as
             富源一中 of 富源县第一中学 — or character bigrams mostly shared); else
             (two villages' committees of one name in two townships or two counties,
             as the committees' names or the records say, are two employers)
region       same community (in the same township, where both name it); same township;
             same county; another county; another community or township where neither
             names its county (a record without a county takes the one its
             organisation's name begins with: 陆良县光荣院)
certificate  same number; same level issued the same day; same level; else (:mod:`.certificates`)
age          (one side gives 年龄 and no birth date) the other's birth year or age within
             a year of the year it gives (the list may be a year old); else — never a veto
============ ====================================================================

Two facts are *vetoes* (:func:`veto`) rather than weights, because no amount of other
evidence makes them one person: two different valid ID numbers (the check character
catches every single slip and swap, so two valid numbers are two people), and birth dates
that disagree (beyond those slips) unless the ID numbers are the same or one slip apart.
"""

from __future__ import annotations

from shegong.registry.census.certificates import certificate_level
from shegong.registry.census.features import (
    CensusRecord,
    Features,
    birth_part_apart,
    former_match,
    id_fragment,
    masked,
    masks_agree,
    one_community,
    other_phones,
    phone_kind,
    same_part,
    swapped,
)
from shegong.registry.census.names import (
    maiden_surnames,
    sounds_alike,
    spelt_from,
)
from shegong.registry.census.org_compare import org_level
from shegong.registry.census.sounds import given_name_alike, read_alike

__all__ = ["COMPARISONS", "LEVELS", "CensusRecord", "Features", "compare_levels"]
__all__ += ["id_fragment", "numbers_agree", "phone_kind", "veto"]


# The comparisons, in order, and the names of their levels (index 0 is "null").
COMPARISONS: tuple[str, ...] = (
    "id",
    "name",
    "birth_date",
    "sex",
    "phone",
    "organization",
    "region",
    "certificate",
    "age",
)
LEVELS: dict[str, tuple[str, ...]] = {
    "id": ("null", "exact", "one slip", "else"),
    "name": ("null", "exact", "same pinyin", "one character", "else"),
    "birth_date": (
        "null",
        "exact",
        "day/month swapped or one key",
        "year only",
        "else",
        "year and month",
    ),
    "sex": ("null", "exact", "else"),
    "phone": ("null", "exact", "else", "mobile vs landline", "same landline", "one slip", "mask"),
    "organization": ("null", "exact", "similar", "else"),
    "region": ("null", "community", "township", "county", "else", "another place"),
    "certificate": ("null", "same number", "same level and date", "same level", "else"),
    "age": ("null", "year ±1", "else"),
}
NAME_EXACT = 1  # the level whose u is the name's term frequency
NAME_PINYIN = 2  # the same sound: a homophone written, or the name spelt in Latin letters
PHONE_EXACT = 1  # the level whose u grows with the records a phone has under other names
PHONE_KINDS = 3  # a mobile beside a landline: which kind a department writes is its habit
PHONE_LANDLINE = 4  # the same landline: a household's or a unit's, shared by design
PHONE_SLIP = 5  # all but one block of digits the same: a digit mistyped or two swapped
PHONE_MASK = 6  # a mobile's mask agrees with the other's number (or mask): 7 digits of 11
REGION_APART = (4, 5)  # the region's disagreements: another county, another place
BIRTH_ELSE = 4  # birth dates that disagree: a veto unless the ID numbers (nearly) agree
BIRTH_MONTH = 5  # 出生年月 (held as its 1st) beside a date of that month: one in ~365 a year


def _id_level(x: Features, y: Features) -> int:
    hx, hy = x.record.id_hash, y.record.id_hash  # as ``Features.id_hash``: "" is None
    if hx and hx == hy:
        return 1
    if x.record.document and x.record.document == y.record.document:
        return 1  # the same passport or permit (its kind and number): as the same ID
    a, b = x.typed, y.typed
    if a is None or b is None:
        return 0 if not hx or not hy else 3
    pa = a.split(".") if isinstance(a, str) else a
    pb = b.split(".") if isinstance(b, str) else b
    if "" in pa or "" in pb:
        # A published mask (4103**********8469): the parts both show agree — the order and
        # check digits at least, 1 in ~10,000 for another person — as strongly as a slip
        # (never "same": two masks alike may be two people); a shown part differs: else.
        if len(pa) != len(pb):
            return 0
        shown = [p == q for p, q in zip(pa, pb, strict=True) if p and q]
        return 2 if all(shown) else 3
    if a == b:  # the same parts as typed (the same string, or the same old mask)
        return 1
    if len(pa) != len(pb):
        return 0 if not hx or not hy else 3
    same = sum(p == q for p, q in zip(pa, pb, strict=True))
    slip = same == len(pa) - 1 or swapped(x.record, y.record, pa, pb)
    return 1 if same == len(pa) else 2 if slip else 3


def _one_edit(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance ≤ 1 (one character changed, dropped, added or two
    neighbours swapped)."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _name_level(x: Features, y: Features) -> int:
    if not x.name or not y.name:
        return 0
    if x.name == y.name or former_match(x, y):
        return 1
    if x.pinyin is not None and (x.pinyin == y.pinyin or read_alike(x.name, y.name)):
        return NAME_PINYIN  # a homophone, 多音字 read either way (阿卜杜拉 / 阿布都拉) too
    if spelt_from(x.name, y.name):
        return NAME_PINYIN  # the name spelt in Latin letters (WANG WEN JING, CHAN TAI MAN)
    if min(len(x.name), len(y.name)) >= 2 and _one_edit(x.name, y.name):
        return 3 if _slip(x.name, y.name) else 4
    if given_name_alike(x.record.name, y.name) or given_name_alike(y.record.name, x.name):
        return 3
    short, long = (x.name, y.name) if len(x.name) < len(y.name) else (y.name, x.name)
    if len(short) >= 4 and any(
        cut == short or read_alike(cut, short) for cut in (long[: len(short)], long[-len(short) :])
    ):
        # A long name (普布次仁尼玛, 格桑丹增拉姆: two names of two syllables each and
        # more) written by its last or first four or more characters, as people called by
        # it and systems with short name fields write it: cut, not another name — the
        # part kept may be transcribed another way (达吾列提木拉提 / 达吾烈提).
        return 3
    if _married_form(x.name, y.name) or _married_form(y.name, x.name):
        return 3  # 王李氏 for 李淑芬: the name written short, by her own surname
    return 4


def _married_form(old: str, name: str) -> bool:
    """``old`` writes a married woman the old way (王李氏: :func:`.names.maiden_surnames`)
    and ``name`` is a name of her surname, written in full."""
    return not maiden_surnames(name) and any(
        name.startswith(own) and len(name) > len(own) for own in maiden_surnames(old)
    )


def _slip(a: str, b: str) -> bool:
    """One edit apart (:func:`_one_edit`) as a slip of the pen: a character dropped, added
    or swapped, or one changed for a character read alike. A character changed for one of
    another sound is another name — twins' and siblings' names differ just so (陈子涵 /
    陈子轩), beside the household's phone and birth date — linked only by a valid ID or a
    clerk."""
    if len(a) != len(b):
        return True
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) != 1 or sounds_alike(a[diff[0]], b[diff[0]])


def _birth_level(x: Features, y: Features) -> int:
    a, b = x.record.birth_date, y.record.birth_date
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 2
    if a.year == b.year and ((a.month, a.day) == (1, 1) or (b.month, b.day) == (1, 1)):
        return 3  # the year only (held as 1 January), or a month of January
    if a.year == b.year and a.month == b.month and (a.day == 1 or b.day == 1):
        return BIRTH_MONTH  # the month agrees as well: twelve times the year's evidence
    if (a.day == 1 or b.day == 1) and abs((a.year - b.year) * 12 + a.month - b.month) == 1:
        return 3  # 出生年月 (held as its 1st) a month off the other side's date: a slip
    if birth_part_apart(x, y) and _one_edit(f"{a:%Y%m%d}", f"{b:%Y%m%d}"):
        return 2  # a birth date one key off in a number Excel cut to its first 15 digits
    return BIRTH_ELSE


def _age_level(x: CensusRecord, y: CensusRecord) -> int:
    """A record that gives an age (年龄) and no birth date beside the other's birth year or
    age: the age says a year ±1 (the list may be a year old, the birthday not yet come),
    so within a year is agreement, further off a disagreement the model weighs — never
    the veto a birth date's is. A comparison of its own, not a level of the birth date's:
    its m and u are of the pairs that give an age, not of all that give a birth date."""
    ya = x.birth_year_by_age or (x.birth_date.year if x.birth_date else None)
    yb = y.birth_year_by_age or (y.birth_date.year if y.birth_date else None)
    if ya is None or yb is None or (x.birth_date and y.birth_date):
        return 0
    return 1 if abs(ya - yb) <= 1 else 2


def _region_level(x: Features, y: Features) -> int:
    if x.county and y.county and x.county != y.county:
        return 4
    # Village names repeat from township to township (人民村, 新村): a community is the
    # same place only where the townships do not say otherwise — nor the committee's full
    # name where no township is written (雄壁镇北坝村村民委员会 is not 胜境镇's 北坝村).
    tx, ty = x.township or x.org_township, y.township or y.org_township
    apart = tx and ty and tx != ty
    if one_community(x.community, y.community) and not apart:
        return 1
    if x.township and x.township == y.township:
        return 2
    if x.county and x.county == y.county:
        # Same county, other townships (a move within it, which one person's records
        # seldom show: a model learns it far below zero), or neither names one. A record
        # that names neither a township nor a county of its own (a volunteer list's name
        # and unit, its county read off the unit's name: 九原区惠民社会工作服务中心)
        # beside one that names its township agrees as far as it can: no evidence.
        silent = y if tx else x
        if bool(tx) != bool(ty) and not silent.record.county:
            return 0
        return 3
    # Two places named, no county to tell them apart by: another community or township.
    if (x.community and y.community) or (x.township and y.township):
        return 5
    return 0


def _phone_level(x: Features, y: Features) -> int:
    a, b = x.record.phone_hash, y.record.phone_hash  # as ``Features.phone``: "" is None
    if not a or not b:  # a mask published alone (138****5678): the digits it shows
        return {None: 0, True: PHONE_MASK, False: 2}[masks_agree(x.record, y.record)]
    if a == b:
        return PHONE_LANDLINE if x.record.phone_kind == "landline" else PHONE_EXACT
    if x.record.other_phones or y.record.other_phones:
        # A cell of several numbers (138… / 0755-8…): one of them the other record's.
        theirs = other_phones(y.record)
        shared = [landline for n, landline in other_phones(x.record).items() if n in theirs]
        if shared:
            return PHONE_EXACT if not all(shared) else PHONE_LANDLINE
    pa, pb = x.record.phone_parts, y.record.phone_parts
    if isinstance(pa, int) and isinstance(pb, int) and same_part(pa, pb):
        return PHONE_SLIP
    kinds = {x.record.phone_kind, y.record.phone_kind}
    return PHONE_KINDS if kinds == {"mobile", "landline"} else 2


def _same(a: object, b: object) -> int:
    return 0 if a is None or b is None else 1 if a == b else 2


def compare_levels(x: Features, y: Features) -> tuple[int, ...]:
    """The comparison vector of a pair: one level per entry of :data:`COMPARISONS`."""
    return (
        _id_level(x, y),
        _name_level(x, y),
        _birth_level(x, y),
        _same(x.record.sex or None, y.record.sex or None),
        _phone_level(x, y),
        org_level(x, y),
        _region_level(x, y),
        certificate_level(x, y),
        _age_level(x.record, y.record),
    )


def numbers_agree(x: Features, y: Features, levels: tuple[int, ...]) -> bool:
    """The ID numbers are the same or one slip apart — the slip may be in the birth
    date's or the name's row. A published mask agreeing shows neither: not this."""
    return levels[0] == 1 or (levels[0] == 2 and not (masked(x.parts) or masked(y.parts)))


def shown_digits_differ(x: Features, y: Features) -> bool:
    """A published mask beside a valid number or another mask, the parts both show
    differing in two or more (the region and the order, the order and the check …): two
    numbers, as two different valid ones are — one typo changes one part. A mask beside a
    number that is itself mistyped is not judged so (its parts may be the slip's)."""
    pa, pb = x.parts, y.parts
    if pa is None or pb is None:
        return False
    mx, my = "" in pa, "" in pb
    if not (mx or my) or len(pa) != len(pb):
        return False
    if not (mx or x.record.id_hash) or not (my or y.record.id_hash):
        return False
    return sum(p != q for p, q in zip(pa, pb, strict=True) if p and q) >= 2


def veto(x: Features, y: Features, levels: tuple[int, ...]) -> str | None:
    """Why the pair can never be one person, or None."""
    hx, hy = x.record.id_hash, y.record.id_hash
    if hx and hy and hx != hy:
        return "two different valid ID numbers"
    if levels[0] == 3 and shown_digits_differ(x, y):
        return "ID numbers that show other digits"
    if levels[2] == BIRTH_ELSE and not numbers_agree(x, y, levels):
        return "birth dates disagree"
    return None
