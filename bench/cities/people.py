"""The humans of a generated city: who they are (name, ID number, birth, phones, jobs over
time), drawn from the city's places."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .places import (
    COMMON_NAMES,
    COUNTIES,
    FEMALE_CHARS,
    LEVELS,
    MALE_CHARS,
    MOBILE_PREFIXES,
    OTHER_BIRTHPLACES,
    SURNAMES,
    Org,
    Places,
    check_char,
)

# --------------------------------------------------------------------------- humans


@dataclass
class Human:
    hid: str
    name: str
    sex: str  # M / F
    birth: date
    id18: str
    phone: str  # current mobile
    old_phone: str  # the number they had before
    org: Org  # where they work now
    previous_org: Org | None  # where they worked before (a mover), else None
    post: str  # 社会工作岗位 / 社区工作者 / 其他
    hired: date
    certificates: list[tuple[str, date, str]]  # (level, date, 证书编号), oldest first
    left: date | None = None


def _zipf_choice(rng: random.Random, chars: str, s: float = 1.1) -> str:
    weights = [1 / (i + 1) ** s for i in range(len(chars))]
    return rng.choices(chars, weights=weights)[0]


class People:
    """Draws humans: unique ID numbers and phones, names with realistic collisions."""

    def __init__(self, rng: random.Random, places: Places, common_share: float = 0.06) -> None:
        self.rng, self.places, self.common_share = rng, places, common_share
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.cert_nos: set[str] = set()
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_w = [w for _, w in SURNAMES]

    def name(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < self.common_share:
            pool = [n for n, s in COMMON_NAMES if s == sex]
            return rng.choice(pool)
        chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
        given = _zipf_choice(rng, chars)
        if rng.random() < 0.7:
            given += _zipf_choice(rng, chars)
        return rng.choices(self._surnames, weights=self._surname_w)[0] + given

    def id_number(self, birth: date, sex: str, county: str) -> str:
        rng = self.rng
        while True:
            region = (
                COUNTIES[county][0]
                if rng.random() < 0.7
                else COUNTIES[rng.choice(list(COUNTIES))][0]
                if rng.random() < 0.6
                else rng.choice(OTHER_BIRTHPLACES)
            )
            seq = rng.randrange(100) * 10 + rng.choice(
                (1, 3, 5, 7, 9) if sex == "M" else (0, 2, 4, 6, 8)
            )
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = body + check_char(body)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def cert_no(self, year: int) -> str:
        while True:
            number = f"{year}{self.rng.randrange(10**8):08d}"
            if number not in self.cert_nos:
                self.cert_nos.add(number)
                return number

    def draw(self, hid: str, *, mover_share: float = 0.0, cert_share: float = 0.35) -> Human:
        rng = self.rng
        sex = rng.choice("MF")
        name = self.name(sex)
        birth = date(1963, 1, 1) + timedelta(
            days=rng.randrange((date(2003, 12, 31) - date(1963, 1, 1)).days)
        )
        org = self.places.draw()
        previous = self.places.draw(exclude=org) if rng.random() < mover_share else None
        post = rng.choices(("社会工作岗位", "社区工作者", "其他"), weights=(0.45, 0.45, 0.10))[0]
        if org.kind == "社区":
            post = "社区工作者" if rng.random() < 0.85 else post
        earliest = max(date(2008, 1, 1), date(birth.year + 20, 7, 1))
        hired = earliest + timedelta(
            days=rng.randrange(max(1, (date(2025, 10, 1) - earliest).days))
        )
        certs: list[tuple[str, date, str]] = []
        if rng.random() < cert_share:
            first = date(max(2010, birth.year + 22), 6, 1) + timedelta(days=rng.randrange(5 * 365))
            first = min(first, date(2025, 11, 20))
            certs.append(
                (LEVELS[0] if rng.random() < 0.8 else LEVELS[1], first, self.cert_no(first.year))
            )
            if certs[0][0] == LEVELS[0] and rng.random() < 0.35:
                second = first + timedelta(days=rng.randrange(365, 5 * 365))
                if second <= date(2025, 11, 20):
                    certs.append((LEVELS[1], second, self.cert_no(second.year)))
                    if rng.random() < 0.05:
                        third = second + timedelta(days=rng.randrange(2 * 365, 6 * 365))
                        if third <= date(2025, 11, 20):
                            certs.append((LEVELS[2], third, self.cert_no(third.year)))
        left = None
        if rng.random() < 0.04:
            left = hired + timedelta(days=rng.randrange(90, 4 * 365))
            left = left if left <= date(2025, 11, 30) else None
        return Human(
            hid,
            name,
            sex,
            birth,
            self.id_number(birth, sex, org.county),
            self.mobile(),
            self.mobile(),
            org,
            previous,
            post,
            hired,
            certs,
            left,
        )
