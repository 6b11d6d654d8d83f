"""A synthetic city with known truth: multi-department rosters to measure the census by.

``generate_city`` draws humans and lets 18 departments report them the way rosters really
come in (missing, mistyped and old-form ID numbers, traditional characters and stray
spaces in names, changed phones, organisations spelled differently), together with
same-name strangers (a pool of China's most common names) and twins-like hard cases
(same name, same birth date, different valid ID numbers). ``to_census_records`` turns the
raw rows into the census's privacy-preserving records with the kernel's real ID parsing,
hashing and masking; ``pairwise_precision_recall`` scores a partition against the truth.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from shegong.testkit import census_pools as pools
from shegong.testkit.census_files import employment, roster_files
from shegong.testkit.census_records import (
    pairwise_precision_recall,
    to_census_record,
    to_census_records,
)

__all__ = [
    "DEPARTMENTS",
    "Noise",
    "RosterRow",
    "employment",
    "generate_city",
    "pairwise_precision_recall",
    "roster_files",
    "to_census_record",
    "to_census_records",
]

# The 18 departments that report social-work personnel (Dingxi's list, and seven more).
DEPARTMENTS: dict[str, str] = {
    "social-work": "社会工作部",
    "civil-affairs": "民政局",
    "hrss": "人力资源和社会保障局",
    "education": "教育局",
    "political-legal": "政法委",
    "health": "卫生健康委员会",
    "justice": "司法局",
    "youth-league": "团委",
    "womens-federation": "妇联",
    "disabled-federation": "残联",
    "trade-union": "总工会",
    "organization": "组织部",
    "veterans": "退役军人事务局",
    "rural-revitalization": "乡村振兴局",
    "medical-security": "医疗保障局",
    "ageing": "老龄工作委员会办公室",
    "red-cross": "红十字会",
    "petitions": "信访局",
}
_DEPARTMENT_WEIGHTS = {"social-work": 3.0, "civil-affairs": 3.0, "hrss": 2.0, "education": 1.5}


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One roster row as a department exports it (raw, sensitive fields included)."""

    department: str
    record_id: str
    name: str
    id_number: str | None
    gender: str | None  # 男 / 女
    birth_date: date | None
    phone: str | None
    organization: str | None
    county: str | None
    township: str | None
    community: str | None

    @property
    def key(self) -> str:
        return f"{self.department}:{self.record_id}"


@dataclass(frozen=True, slots=True)
class Noise:
    """Per-appearance noise rates (fractions of rows) and the hard cases' shares."""

    id_missing: float = 0.15
    id_mistyped: float = 0.05  # one character changed: the check character fails
    id_old_form: float = 0.03  # 15-digit number (people born in the 1900s)
    id_lowercase_x: float = 0.5  # of numbers ending in X
    id_spaces: float = 0.02
    name_traditional: float = 0.05
    name_spaces: float = 0.05
    birth_missing: float = 0.04  # the birth-date column left empty
    gender_missing: float = 0.15
    phone_changed: float = 0.20  # the person's other number
    phone_missing: float = 0.08
    org_variant: float = 0.45  # spelled differently from the canonical name
    org_missing: float = 0.04
    county_missing: float = 0.03
    township_missing: float = 0.08
    community_missing: float = 0.12
    common_name_share: float = 0.08  # humans named from the common-name pool
    twins_per_1000: float = 2.5  # pairs: same name and birth date, different valid IDs


# --------------------------------------------------------------------------- the city

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _check_char(body: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    county: str
    township: str | None  # set for township- and community-level organisations
    community: str | None


@dataclass(slots=True)
class _Human:
    name: str
    sex: str
    birth: date
    id_number: str
    phones: tuple[str, str]
    org: _Org
    county: str
    township: str
    community: str


class _City:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.townships: dict[str, list[str]] = {}
        self.communities: dict[tuple[str, str], list[str]] = {}
        self.orgs: dict[str, list[_Org]] = {}
        for county, (_, townships) in pools.COUNTIES.items():
            self.townships[county] = list(townships)
            orgs: list[_Org] = []
            for brand in rng.sample(pools.BRANDS, 4):
                orgs.append(_Org(f"{county}{brand}社会工作服务中心", county, None, None))
            for suffix in ("第一中学", "第二中学", "实验小学", "人民医院", "中医医院", "民政局"):
                orgs.append(_Org(f"{county}{suffix}", county, None, None))
            orgs.append(_Org(f"{county}社会工作协会", county, None, None))
            for township in townships:
                stems = rng.sample(pools.COMMUNITY_STEMS, 5)
                names = [f"{stem}{'社区' if i < 3 else '村'}" for i, stem in enumerate(stems)]
                self.communities[(county, township)] = names
                orgs.append(_Org(f"{township}社会工作服务站", county, township, None))
                for community in names[:3]:
                    orgs.append(_Org(f"{community}居民委员会", county, township, community))
            self.orgs[county] = orgs

    def place(self, exclude: _Org | None = None) -> tuple[_Org, str, str, str]:
        rng = self.rng
        while True:
            county = rng.choice(list(pools.COUNTIES))
            org = rng.choice(self.orgs[county])
            if org != exclude:
                break
        township = org.township or rng.choice(self.townships[county])
        community = org.community or rng.choice(self.communities[(county, township)])
        return org, county, township, community


def _draw_name(rng: random.Random, sex: str, noise: Noise) -> tuple[str, str]:
    if rng.random() < noise.common_name_share:
        return rng.choice(pools.COMMON_POOL)
    chars = pools.MALE_CHARS if sex == "male" else pools.FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.65 else "")
    return rng.choice(pools.SURNAMES) + given, sex


def _draw_id(rng: random.Random, birth: date, sex: str, taken: set[str]) -> str:
    while True:
        region = (
            pools.COUNTIES[rng.choice(list(pools.COUNTIES))][0]
            if rng.random() < 0.85
            else rng.choice(pools.OTHER_BIRTHPLACES)
        )
        order = rng.randrange(0, 100) * 10 + rng.choice(
            (1, 3, 5, 7, 9) if sex == "male" else (0, 2, 4, 6, 8)
        )
        body = f"{region}{birth:%Y%m%d}{order:03d}"
        number = body + _check_char(body)
        if number not in taken:
            taken.add(number)
            return number


def _draw_phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = rng.choice(pools.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def generate_city(
    n_persons: int,
    departments: Sequence[str] | None = None,
    seed: int = 0,
    *,
    noise: Noise | None = None,
) -> tuple[list[RosterRow], dict[str, str]]:
    """Rosters of ``n_persons`` humans over ``departments`` (default: all 18), shuffled.

    Returns the rows and the truth: record key (``department:record_id``) → human id.
    Each human appears in 1–4 departments (2.5 on average). Deterministic for a seed.
    """
    noise = noise or Noise()
    depts = list(departments or DEPARTMENTS)
    rng = random.Random(seed)
    city = _City(rng)
    ids: set[str] = set()
    phones: set[str] = set()
    start = date(1962, 1, 1)
    span = (date(2002, 12, 31) - start).days

    humans: list[_Human] = []
    n_twins = int(n_persons * noise.twins_per_1000 / 1000 + 0.5) if n_persons >= 10 else 0
    for _ in range(n_persons - n_twins):
        sex = rng.choice(("male", "female"))
        name, sex = _draw_name(rng, sex, noise)
        birth = start + timedelta(days=rng.randrange(span))
        org, county, township, community = city.place()
        humans.append(
            _Human(
                name,
                sex,
                birth,
                _draw_id(rng, birth, sex, ids),
                (_draw_phone(rng, phones), _draw_phone(rng, phones)),
                org,
                county,
                township,
                community,
            )
        )
    for twin_of in rng.sample(humans, min(n_twins, len(humans))):
        org, county, township, community = city.place(exclude=twin_of.org)
        humans.append(
            _Human(
                twin_of.name,
                twin_of.sex,
                twin_of.birth,
                _draw_id(rng, twin_of.birth, twin_of.sex, ids),
                (_draw_phone(rng, phones), _draw_phone(rng, phones)),
                org,
                county,
                township,
                community,
            )
        )

    weights = [_DEPARTMENT_WEIGHTS.get(d, 1.0) for d in depts]
    counters: Counter[str] = Counter()
    rows: list[RosterRow] = []
    truth: dict[str, str] = {}
    for index, human in enumerate(humans):
        appearances = rng.choices((1, 2, 3, 4), weights=(0.2, 0.3, 0.3, 0.2))[0]
        chosen: list[str] = []
        while len(chosen) < min(appearances, len(depts)):
            dept = rng.choices(depts, weights=weights)[0]
            if dept not in chosen:
                chosen.append(dept)
        for dept in chosen:
            counters[dept] += 1
            row = _appearance(rng, noise, human, dept, f"{counters[dept]:06d}")
            rows.append(row)
            truth[row.key] = f"H{index:06d}"
    rng.shuffle(rows)
    return rows, truth


def _appearance(rng: random.Random, noise: Noise, human: _Human, dept: str, rid: str) -> RosterRow:
    r = rng.random
    return RosterRow(
        department=dept,
        record_id=rid,
        name=_noisy_name(rng, noise, human.name),
        id_number=_noisy_id(rng, noise, human.id_number),
        gender=None if r() < noise.gender_missing else ("男" if human.sex == "male" else "女"),
        birth_date=None if r() < noise.birth_missing else human.birth,
        phone=_noisy_phone(rng, noise, human.phones),
        organization=None
        if r() < noise.org_missing
        else _org_variant(rng, noise, human.org.name, human.county),
        county=None if r() < noise.county_missing else human.county,
        township=None if r() < noise.township_missing else human.township,
        community=None if r() < noise.community_missing else human.community,
    )


def _noisy_name(rng: random.Random, noise: Noise, name: str) -> str:
    if rng.random() < noise.name_traditional:
        name = name.translate(pools.S2T)
    if rng.random() < noise.name_spaces:
        cut = rng.randrange(1, len(name)) if len(name) > 1 else 1
        style = rng.randrange(4)
        if style == 0:
            name = name[:cut] + " " + name[cut:]
        elif style == 1:
            name = name[:cut] + "\u3000" + name[cut:]
        elif style == 2:
            name = " " + name + "  "
        else:
            name = name + "\u3000"
    return name


def _noisy_id(rng: random.Random, noise: Noise, number: str) -> str | None:
    r = rng.random()
    if r < noise.id_missing:
        return None
    r -= noise.id_missing
    if r < noise.id_mistyped:
        pos = rng.randrange(18)
        old = number[pos]
        alphabet = "0123456789X" if pos == 17 else "0123456789"
        new = rng.choice([c for c in alphabet if c != old])
        number = number[:pos] + new + number[pos + 1 :]  # one change always breaks the check
    elif r - noise.id_mistyped < noise.id_old_form and number[6:8] == "19":
        number = number[:6] + number[8:17]
    if number.endswith("X") and rng.random() < noise.id_lowercase_x:
        number = number[:-1] + "x"
    if rng.random() < noise.id_spaces:
        number = f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


def _noisy_phone(rng: random.Random, noise: Noise, phones: tuple[str, str]) -> str | None:
    r = rng.random()
    if r < noise.phone_missing:
        return None
    phone = phones[1] if r < noise.phone_missing + noise.phone_changed else phones[0]
    style = rng.random()
    if style < 0.08:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if style < 0.14:
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    if style < 0.20:
        return f"+86 {phone}"
    return phone


def _org_variant(rng: random.Random, noise: Noise, org: str, county: str) -> str:
    if rng.random() >= noise.org_variant:
        return org
    bare = org[len(county) :] if org.startswith(county) and len(org) - len(county) >= 4 else org
    style = rng.randrange(6)
    if style == 0:
        return bare
    if style == 1:
        return (
            org.replace("社会工作", "社工")
            .replace("服务中心", "中心")
            .replace("居民委员会", "居委会")
            .replace("服务站", "站")
        )
    if style == 2:
        return "定西市" + org
    if style == 3:
        return f"{bare}（{county}）" if bare != org else org + " "
    if style == 4:
        cut = rng.randrange(1, len(org))
        return org[:cut] + " " + org[cut:]
    return org.translate(pools.S2T)
