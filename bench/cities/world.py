"""The people of a generated city, and how a department's clerk writes them down.

Written from what departments' rosters (花名册) look like, not from any linker's rules:
each department has its own columns, its own date format, its own habits (a volunteer list
without ID numbers, an office that writes the unit's landline for everyone, a federation
that updates its list once a year and still shows last year's employer), and clerks make
the slips clerks make (a digit pair swapped, day and month swapped, a wrong 男/女, a stray
space, a traditional character, a phone typed +86 / 0086 / with dashes).

Everything is drawn from one ``random.Random``: a city is deterministic for its seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# --------------------------------------------------------------------------- what a city is


@dataclass
class Roster:
    """One department's file: its headers (in order) and its rows as the clerk typed them
    (every value a string, '' for an empty cell)."""

    code: str  # department code, as the registry knows it (hrss, civil-affairs, …)
    name: str  # 人力资源和社会保障局
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    file_format: str = "csv-utf8"  # csv-utf8 (with BOM, as Excel saves it) | csv-gbk | xlsx


@dataclass
class City:
    name: str
    rosters: list[Roster]
    truth: dict[str, str]  # "department:记录编号" → human id
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return sum(len(r.rows) for r in self.rosters)


# --------------------------------------------------------------------------- places

COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "安定区": (
        "621102",
        ("中华路街道", "永定路街道", "福台路街道", "凤翔镇", "内官营镇", "香泉镇"),
    ),
    "通渭县": ("621121", ("平襄镇", "马营镇", "鸡川镇", "榜罗镇", "陇阳镇")),
    "陇西县": ("621122", ("巩昌镇", "文峰镇", "首阳镇", "菜子镇", "云田镇")),
    "渭源县": ("621123", ("清源镇", "莲峰镇", "会川镇", "五竹镇")),
    "临洮县": ("621124", ("洮阳镇", "八里铺镇", "新添镇", "辛店镇", "太石镇")),
    "漳县": ("621125", ("武阳镇", "三岔镇", "盐井镇", "新寺镇")),
    "岷县": ("621126", ("岷阳镇", "蒲麻镇", "西寨镇", "梅川镇", "十里镇")),
}
AREA_CODE = "0932"  # 定西's telephone area code
OTHER_BIRTHPLACES = ("620102", "620103", "620502", "620602", "622901", "640104", "610113")
COMMUNITY_WORDS = (  # noqa: SIM905
    "东街 西街 南街 北街 新华 和平 团结 幸福 建设 友谊 光明 向阳 解放 人民 文化 "
    "滨河 永安 安康 民主 胜利 龙泉 凤凰 东升 兴隆 金山 银河 红星 柳湖 石岭 杨庄"
).split()
AGENCY_BRANDS = "红叶 润梓 阳光 暖心 同心 馨悦 仁爱 启航 善行 春晖 益民 和美 乐龄 恒爱".split()  # noqa: SIM905

# Surnames with rough national frequencies (per mille), so that collisions happen the way
# they do in a real city: 王, 李, 张 and 刘 cover a quarter of everyone.
SURNAMES: tuple[tuple[str, float], ...] = tuple(
    (s, float(w))
    for s, w in (
        ("王", 71),
        ("李", 70),
        ("张", 67),
        ("刘", 54),
        ("陈", 46),
        ("杨", 33),
        ("黄", 22),
        ("赵", 21),
        ("吴", 19),
        ("周", 18),
        ("徐", 13),
        ("孙", 12),
        ("马", 12),
        ("朱", 11),
        ("胡", 10),
        ("郭", 10),
        ("何", 9),
        ("高", 9),
        ("林", 9),
        ("罗", 8),
        ("郑", 8),
        ("梁", 7),
        ("谢", 6),
        ("宋", 6),
        ("唐", 5),
        ("许", 5),
        ("韩", 5),
        ("冯", 5),
        ("邓", 5),
        ("曹", 5),
        ("彭", 4),
        ("曾", 4),
        ("肖", 4),
        ("田", 4),
        ("董", 4),
        ("袁", 4),
        ("潘", 3),
        ("于", 3),
        ("蒋", 3),
        ("蔡", 3),
        ("余", 3),
        ("杜", 3),
        ("叶", 3),
        ("程", 3),
        ("苏", 3),
        ("魏", 3),
        ("吕", 3),
        ("丁", 3),
        ("任", 2),
        ("沈", 2),
        ("姚", 2),
        ("卢", 2),
        ("姜", 2),
        ("崔", 2),
        ("钟", 2),
        ("谭", 2),
        ("陆", 2),
        ("汪", 2),
        ("范", 2),
        ("金", 2),
        ("石", 2),
        ("廖", 2),
        ("贾", 2),
        ("夏", 2),
        ("韦", 2),
        ("付", 2),
        ("方", 2),
        ("白", 2),
        ("邹", 2),
        ("孟", 2),
        ("熊", 2),
        ("秦", 2),
        ("邱", 2),
        ("江", 2),
        ("尹", 2),
        ("薛", 1),
        ("闫", 1),
        ("段", 1),
        ("雷", 1),
        ("侯", 1),
        ("龙", 1),
        ("史", 1),
        ("陶", 1),
        ("黎", 1),
        ("贺", 1),
        ("顾", 1),
        ("毛", 1),
        ("郝", 1),
        ("龚", 1),
        ("邵", 1),
        ("万", 1),
        ("钱", 1),
        ("严", 1),
        ("覃", 1),
        ("武", 1),
        ("戴", 1),
        ("莫", 1),
        ("孔", 1),
        ("牛", 1),
        ("包", 1),
        ("漆", 1),
        ("令狐", 0.3),
        ("欧阳", 0.3),
        ("司马", 0.1),
    )
)
# Given-name characters, most frequent first (a Zipf-like draw makes 伟, 芳, 娜 common).
MALE_CHARS = "伟强军杰磊勇涛明超刚平辉鹏飞华建国文斌波宇浩鑫峰东亮志永林海成春荣兴龙庆贵锋宁彦祥德"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰梅红燕萍慧琳婷雪丹晶洁颖倩琴云莉蓉欣怡佳晓凤岚梦惠琪瑶"
# Whole names that a city has by the hundred (reported as China's most common).
COMMON_NAMES: tuple[tuple[str, str], ...] = (
    ("张伟", "M"),
    ("王伟", "M"),
    ("王芳", "F"),
    ("李伟", "M"),
    ("李娜", "F"),
    ("张敏", "F"),
    ("李静", "F"),
    ("王静", "F"),
    ("刘伟", "M"),
    ("王秀英", "F"),
    ("张丽", "F"),
    ("李秀英", "F"),
    ("王丽", "F"),
    ("张静", "F"),
    ("李强", "M"),
    ("王敏", "F"),
    ("王磊", "M"),
    ("刘洋", "M"),
    ("王艳", "F"),
    ("王勇", "M"),
    ("李军", "M"),
    ("张勇", "M"),
    ("李杰", "M"),
    ("张杰", "M"),
)
# Traditional forms as a clerk's input method or an old ID card gives them.
S2T = str.maketrans(
    "刘陈杨黄赵吴张孙马罗郑谢韩冯邓许苏卢蒋贾叶钟谭陆龙万汤钱龚伟军杰涛刚辉鹏飞东国庆胜荣贵兴华宁锋"
    "静丽艳兰凤颖晓红洁云岚梦强",
    "劉陳楊黃趙吳張孫馬羅鄭謝韓馮鄧許蘇盧蔣賈葉鍾譚陸龍萬湯錢龔偉軍傑濤剛輝鵬飛東國慶勝榮貴興華寧鋒"
    "靜麗艷蘭鳳穎曉紅潔雲嵐夢強",
)
MOBILE_PREFIXES = (  # noqa: SIM905
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 177 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
LEVELS = ("助理社会工作师", "社会工作师", "高级社会工作师")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(body17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


# --------------------------------------------------------------------------- organisations


@dataclass(frozen=True)
class Org:
    name: str  # full registered name
    short: str  # how colleagues write it (without the county, 社工 for 社会工作 …)
    kind: str  # 单位类型
    county: str
    township: str
    community: str
    landline: str  # the office number (联系电话 on some rosters is this, for everyone)


class Places:
    """Counties, townships, communities and villages, and the organisations people work in.

    A residents' or villagers' committee employs a handful to a few dozen people, so the
    number of communities grows with the city's size (about a dozen of the city's people
    per committee; 定西 has some 1,900 villages and communities in 119 townships)."""

    def __init__(self, rng: random.Random, n_persons: int = 10_000) -> None:
        self.rng = rng
        n_townships = sum(len(t) for _, t in COUNTIES.values())
        per_township = max(6, -(-n_persons // (n_townships * 12)))
        n_agencies = min(len(AGENCY_BRANDS), max(3, n_persons // 4000))
        self.communities: dict[tuple[str, str], list[str]] = {}
        self.orgs: list[Org] = []
        lines: set[str] = set()

        def landline() -> str:
            while True:
                number = f"{AREA_CODE}-{rng.choice('2345678')}{rng.randrange(10**6):06d}"
                if number not in lines:
                    lines.add(number)
                    return number

        for county, (_, townships) in COUNTIES.items():
            short_county = county[:-1] if len(county) > 2 else county
            for township in townships:
                names = _community_names(rng, per_township)
                self.communities[(county, township)] = names
                self.orgs.append(
                    Org(
                        f"{county}{township}社会工作服务站",
                        f"{township}社工站",
                        "社工站",
                        county,
                        township,
                        rng.choice(names),
                        landline(),
                    )
                )
                for community in names:
                    suffix = "居民委员会" if community.endswith("社区") else "村民委员会"
                    self.orgs.append(
                        Org(
                            f"{township}{community}{suffix}",
                            f"{community}{suffix[:1]}委会",
                            "社区",
                            county,
                            township,
                            community,
                            landline(),
                        )
                    )
            for brand in rng.sample(AGENCY_BRANDS, n_agencies):
                township = rng.choice(townships)
                self.orgs.append(
                    Org(
                        f"{county}{brand}社会工作服务中心",
                        f"{brand}社工",
                        "社会工作服务机构",
                        county,
                        township,
                        rng.choice(self.communities[(county, township)]),
                        landline(),
                    )
                )
            for suffix, kind, short in (
                ("第一中学", "学校", f"{short_county}一中"),
                ("实验小学", "学校", f"{short_county}实小"),
                (
                    "人民医院",
                    "医院",
                    f"{short_county}县医院" if county.endswith("县") else "区医院",
                ),
                ("民政局", "其他", "民政局"),
                ("妇幼保健院", "医院", "妇保院"),
            ):
                township = townships[0]
                self.orgs.append(
                    Org(
                        f"{county}{suffix}",
                        short,
                        kind,
                        county,
                        township,
                        self.communities[(county, township)][0],
                        landline(),
                    )
                )
        self._weights = [
            4.0 if o.kind == "社区" else 3.0 if o.kind == "社工站" else 2.0 for o in self.orgs
        ]

    def draw(self, exclude: Org | None = None) -> Org:
        while True:
            org = self.rng.choices(self.orgs, weights=self._weights)[0]
            if org != exclude:
                return org


def _community_names(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct names in one township: half 社区 (towns), half 村 (villages)."""
    stems = list(COMMUNITY_WORDS)
    rng.shuffle(stems)
    names: list[str] = []
    for qualifier in ("", "东", "西", "南", "北", "新", "上", "下", "前", "后", "大", "小"):
        for stem in stems:
            if len(names) == n:
                return names
            kind = "社区" if len(names) % 2 == 0 else "村"
            names.append(f"{stem}{qualifier}{kind}" if qualifier else f"{stem}{kind}")
    return names


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


# --------------------------------------------------------------------------- a city of departments


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    columns: tuple[str, ...]
    habits: Habits
    weight: float = 1.0  # how many of the city's people it reports, relative to the others
    file_format: str = "csv-utf8"
    prefix: str = ""  # of its 记录编号
    stale: bool = False  # updated once a year: a mover may still be listed at the old job


def make_city(
    name: str,
    n_persons: int,
    seed: int,
    departments: Sequence[Department],
    *,
    mover_share: float = 0.0,
    common_share: float = 0.06,
    spread: Sequence[float] = (0.25, 0.35, 0.25, 0.15),
    extra: Callable[[random.Random, People, list[Human], dict[str, Roster], dict[str, str]], None]
    | None = None,
) -> City:
    """Humans → each department's rows (shuffled, numbered the department's way) + truth."""
    rng = random.Random(f"{name}:{seed}")
    places = Places(rng, n_persons)
    people = People(rng, places, common_share)
    humans = [people.draw(f"H{i:06d}", mover_share=mover_share) for i in range(n_persons)]
    rosters = {
        d.code: Roster(d.code, d.name, list(d.columns), file_format=d.file_format)
        for d in departments
    }
    writers = {d.code: row_writer(rng, d.habits, d.columns) for d in departments}
    stale = {d.code: d for d in departments if d.stale}
    pending: dict[str, list[tuple[Human, str]]] = {d.code: [] for d in departments}
    weights = {d.code: d.weight for d in departments if d.weight > 0}
    for human in humans:
        for code in appearances(rng, weights, spread):
            which = "now"
            if (
                code in stale
                and human.previous_org
                and rng.random() < stale[code].habits.org_previous
            ):
                which = "before"
            pending[code].append((human, which))
    truth: dict[str, str] = {}
    for d in departments:
        items = pending[d.code]
        rng.shuffle(items)
        width = max(6, len(str(len(items))))
        for i, (human, which) in enumerate(items, start=1):
            rid = f"{d.prefix}{i:0{width}d}"
            rosters[d.code].rows.append(writers[d.code](human, rid, which))
            truth[f"{d.code}:{rid}"] = human.hid
    if extra:
        extra(rng, people, humans, rosters, truth)
    return City(name, list(rosters.values()), truth)
