"""How a department's clerk writes people down: columns, date formats, habits and the
slips clerks make (a digit pair swapped, day and month swapped, a stray space, a
traditional character, a phone typed +86 / 0086 / with dashes)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from .people import Human
from .places import S2T, Org

# --------------------------------------------------------------------------- a clerk's hand


@dataclass(frozen=True)
class Habits:
    """How one department's roster comes out. Rates are fractions of its rows."""

    id_missing: float = 0.08
    id_transposed: float = 0.0  # two adjacent digits swapped
    id_check_wrong: float = 0.0  # the last character mistyped
    id_digit_wrong: float = 0.02  # one digit mistyped
    id_old_15: float = 0.0  # the 15-digit number of a first-generation card (born 19xx)
    id_lower_x: float = 0.5  # of numbers ending in X
    id_spaced: float = 0.0
    sex_missing: float = 0.05
    sex_wrong: float = 0.0
    birth_missing: float = 0.05
    birth_swapped: float = 0.0  # day and month swapped (when that is a date)
    birth_year_only: float = 0.0  # only the year known: "1985" or 1985-01-01
    phone_missing: float = 0.06
    phone_old: float = 0.10  # the number the person had before
    phone_styles: tuple[tuple[str, float], ...] = (("plain", 1.0),)
    phone_is_landline: float = 0.0  # the unit's office number written for the person
    name_traditional: float = 0.02
    name_spaced: float = 0.03
    org_missing: float = 0.03
    org_short: float = 0.30  # the colleagues' short form
    org_previous: float = 0.0  # of movers: the previous employer still on this list
    region_missing: float = 0.05
    date_format: str = "iso"  # iso | slash | dot | zh | compact


def _pick(r: float, outcomes: Sequence[tuple[str, float]]) -> str | None:
    """Which of mutually exclusive outcomes a uniform draw ``r`` falls in (None: none)."""
    for label, rate in outcomes:
        if r < rate:
            return label
        r -= rate
    return None


def fmt_date(d: date, style: str) -> str:
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if style == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "compact":
        return f"{d:%Y%m%d}"
    return d.isoformat()


class Clerk:
    """Writes humans into one department's rows, with that department's habits."""

    def __init__(self, rng: random.Random, habits: Habits) -> None:
        self.rng, self.h = rng, habits

    def name(self, name: str) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.name_traditional:
            name = name.translate(S2T)
        if rng.random() < h.name_spaced:
            style = rng.randrange(4)
            cut = 1 if len(name) > 1 else 0
            if style == 0 and cut:  # 王 伟: the space some clerks put after the surname
                name = name[:cut] + " " + name[cut:]
            elif style == 1 and cut:  # full-width, from a Chinese input method
                name = name[:cut] + "\u3000" + name[cut:]
            elif style == 2:
                name = name + " "
            else:
                name = "\u3000" + name
        return name

    def id_number(self, human: Human) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.id_missing:
            return ""
        number = human.id18
        slip = _pick(
            rng.random(),
            (
                ("transposed", h.id_transposed),
                ("check", h.id_check_wrong),
                ("digit", h.id_digit_wrong),
                ("old15", h.id_old_15),
            ),
        )
        if slip == "transposed":
            pos = rng.randrange(6, 16)
            if number[pos] != number[pos + 1]:
                number = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
        elif slip == "check":
            number = number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]])
        elif slip == "digit":
            pos = rng.randrange(17)
            digit = rng.choice([c for c in "0123456789" if c != number[pos]])
            number = number[:pos] + digit + number[pos + 1 :]
        elif slip == "old15" and number[6:8] == "19":
            number = number[:6] + number[8:17]
        if number.endswith("X") and rng.random() < h.id_lower_x:
            number = number[:-1] + "x"
        if rng.random() < h.id_spaced:
            number = f"{number[:6]} {number[6:14]} {number[14:]}"
        return number

    def sex(self, human: Human) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.sex_missing:
            return ""
        sex = human.sex
        if rng.random() < h.sex_wrong:
            sex = "F" if sex == "M" else "M"
        return "男" if sex == "M" else "女"

    def birth(self, human: Human) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.birth_missing:
            return ""
        d = human.birth
        slip = _pick(rng.random(), (("swapped", h.birth_swapped), ("year", h.birth_year_only)))
        if slip == "swapped" and d.day <= 12 and d.day != d.month:
            d = date(d.year, d.day, d.month)
        elif slip == "year":
            return (
                str(d.year) if rng.random() < 0.5 else fmt_date(date(d.year, 1, 1), h.date_format)
            )
        return fmt_date(d, h.date_format)

    def phone(self, human: Human, org: Org) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.phone_missing:
            return ""
        if rng.random() < h.phone_is_landline:
            return org.landline
        number = human.old_phone if rng.random() < h.phone_old else human.phone
        styles, weights = zip(*h.phone_styles, strict=True)
        style = rng.choices(styles, weights=weights)[0]
        return {
            "plain": number,
            "dashes": f"{number[:3]}-{number[3:7]}-{number[7:]}",
            "spaces": f"{number[:3]} {number[3:7]} {number[7:]}",
            "+86": f"+86 {number}",
            "+86-": f"+86-{number}",
            "0086": f"0086{number}",
            "(+86)": f"(+86){number}",
        }[style]

    def org(self, org: Org) -> str:
        rng, h = self.rng, self.h
        if rng.random() < h.org_missing:
            return ""
        return org.short if rng.random() < h.org_short else org.name

    def region(self, value: str) -> str:
        return "" if self.rng.random() < self.h.region_missing else value


def row_writer(
    rng: random.Random, habits: Habits, columns: Sequence[str]
) -> Callable[[Human, str, str], dict[str, str]]:
    """A function (human, 记录编号, which org: 'now'|'before') → the row this clerk writes."""
    clerk = Clerk(rng, habits)
    wanted = set(columns)

    def write(human: Human, record_id: str, which: str = "now") -> dict[str, str]:
        org = human.previous_org if which == "before" and human.previous_org else human.org
        row: dict[str, str] = {}
        for col in columns:
            row[col] = ""
        row["记录编号"] = record_id
        row["姓名"] = clerk.name(human.name)
        if "性别" in wanted:
            row["性别"] = clerk.sex(human)
        if "出生日期" in wanted:
            row["出生日期"] = clerk.birth(human)
        for col in ("身份证号", "身份证号码", "公民身份号码"):
            if col in wanted:
                row[col] = clerk.id_number(human)
        for col in ("手机号", "联系电话", "手机号码"):
            if col in wanted:
                row[col] = clerk.phone(human, org)
        for col in ("工作单位", "单位名称"):
            if col in wanted:
                row[col] = clerk.org(org)
        if "单位类型" in wanted:
            row["单位类型"] = org.kind
        for col, value in (
            ("区县", org.county),
            ("所属区县", org.county),
            ("乡镇街道", org.township),
            ("社区村", org.community),
        ):
            if col in wanted:
                row[col] = clerk.region(value)
        if "岗位类别" in wanted:
            row["岗位类别"] = human.post
        if "入职日期" in wanted:
            row["入职日期"] = fmt_date(human.hired, habits.date_format)
        if "离职日期" in wanted and human.left and which == "now":
            row["离职日期"] = fmt_date(human.left, habits.date_format)
        if "证书等级" in wanted and human.certificates:
            level, day, number = human.certificates[-1]
            row["证书等级"] = level
            if "取证日期" in wanted:
                row["取证日期"] = fmt_date(day, habits.date_format)
            if "证书编号" in wanted:
                row["证书编号"] = number
        return {k: row[k] for k in columns}

    return write


def appearances(
    rng: random.Random, weights: dict[str, float], spread: Sequence[float]
) -> list[str]:
    """Which departments report one human: 1..len(spread) of them, by department weight."""
    n = rng.choices(range(1, len(spread) + 1), weights=spread)[0]
    codes, w = list(weights), list(weights.values())
    chosen: list[str] = []
    while len(chosen) < min(n, len(codes)):
        code = rng.choices(codes, weights=w)[0]
        if code not in chosen:
            chosen.append(code)
    return chosen
