"""A holdout city, written without the linker in view: eighteen departments of a
prefecture send the rosters they keep, each with its own headers, order, extra columns
(序号, 民族, 学历, 备注 …), date format and habits, as CSV (UTF-8 with BOM, or GBK) or XLSX.

What it holds, in its own proportions:

* rosters with the ID column blank on many rows but name, phone and employer filled in;
  volunteer and aid lists with name, birth date and phone and no ID column at all;
  a mediators' list that often has nothing but a name and a village;
* names with a half- or full-width space, or in traditional characters, beside the very
  same ID number elsewhere; ID numbers with a wrong digit, two digits swapped, the old
  15 digits, a lower-case x, spaces; sex and birth slips; phones as 0874 landlines of the
  unit, with +86, dashes, or the number the person had before;
* 人社's certificate list: one row per certificate, its own 记录编号 each, some levels
  without their date;
* a person typed twice into one roster; a yearly list still showing last year's employer;
* namesakes by the dozen (王伟, 李娜 …), a few of them at one employer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from .holdout_people import S2T, Births, Employer, Person, Prefecture
from .world import City, Roster

# The habits a department's rows show; each a fraction of its rows.
BASE = dict(
    id=0.93, birth=0.9, sex=0.95, phone=0.9, org=0.95, region=0.9, dates="iso",
    space=0.015, wide=0.005, trad=0.01, id_digit=0.01, id_swap=0.004, id15=0.0, id_x=0.3,
    id_gap=0.0, sex_slip=0.003, birth_swap=0.004, birth_year=0.0, old_phone=0.06,
    landline=0.0, phone_fmt="plain", short_org=0.25, stale=0.0, twice=0.0,
)  # fmt: skip
N, NAME, ID, SEX, BIRTH, PHONE, ORG, CTY, TWN, COM = (
    "记录编号", "姓名", "身份证号码", "性别", "出生日期", "联系电话", "单位名称", "所属区县",
    "乡镇(街道)", "社区(村)",
)  # fmt: skip

# code, name, file, weight, columns (alias, field), habits
DEPARTMENTS: tuple[tuple[str, str, str, float, tuple[str, ...], dict[str, object]], ...] = (
    ("social-work", "社会工作部", "xlsx", 3.0,
     ("序号", N, NAME, SEX, "民族", ID, BIRTH, "手机号码", "工作单位", "单位类型", "岗位类别",
      "区县", "乡镇街道", "社区村", "入职日期", "学历"), {}),
    ("civil-affairs", "民政局", "csv-gbk", 2.5,
     (N, NAME, "身份证号", SEX, PHONE, ORG, "岗位类别", CTY, TWN, COM),
     dict(id=0.6, dates="slash", phone_fmt="dashes", birth=0.0)),
    ("health", "卫生健康委员会", "xlsx", 1.0,
     (N, NAME, SEX, BIRTH, "公民身份号码", "手机号", "工作单位", "备注"),
     dict(dates="zh", id15=0.03, id_gap=0.05)),
    ("education", "教育体育局", "csv-utf8", 1.0,
     ("序号", N, NAME, ID, "电话", "工作单位", "学历", "入职日期"),
     dict(id=0.7, dates="compact", short_org=0.5)),
    ("justice", "司法局", "csv-gbk", 0.7,
     (N, NAME, SEX, BIRTH, ID, "电话", "工作单位", "区县"), dict(dates="dot", trad=0.04)),
    ("youth-league", "团市委", "csv-utf8", 1.2,
     (N, NAME, SEX, BIRTH, "手机号", "社区"),
     dict(id=0.0, birth=0.75, dates="compact", region=0.8, phone_fmt="+86")),
    ("womens-federation", "妇联", "xlsx", 1.0,
     (N, NAME, BIRTH, ID, "手机号码", "工作单位", "街道"),
     dict(id=0.5, birth=0.6, sex=0.0, dates="zh", old_phone=0.15)),
    ("trade-union", "总工会", "csv-utf8", 0.8,
     (N, "姓名", SEX, "出生日期", PHONE, "工作单位"),
     dict(id=0.0, stale=0.5, old_phone=0.2, sex_slip=0.02)),
    ("disabled-federation", "残疾人联合会", "csv-gbk", 0.6,
     (N, NAME, "身份证号", SEX, PHONE, ORG, TWN), dict(id=0.55, landline=0.3)),
    ("veterans", "退役军人事务局", "xlsx", 0.5,
     (N, NAME, SEX, ID, "出生日期", "手机号", "工作单位", "政治面貌"),
     dict(birth_swap=0.03, id_digit=0.03)),
    ("rural", "农业农村局", "csv-utf8", 0.8,
     (N, NAME, ID, "手机号", "工作单位", "乡镇街道", "社区村"),
     dict(id=0.8, space=0.05, wide=0.03, twice=0.01)),
    ("emergency", "应急管理局", "csv-gbk", 0.4,
     (N, NAME, SEX, "电话", "工作单位", CTY), dict(id=0.0, landline=0.5)),
    ("culture", "文化和旅游局", "xlsx", 0.4,
     (N, NAME, SEX, BIRTH, "身份证号", "手机号码", "单位名称"),
     dict(dates="slash", birth_year=0.1, id_x=0.9)),
    ("aging", "老龄工作委员会办公室", "csv-utf8", 0.7,
     (N, NAME, SEX, BIRTH, PHONE, ORG, "社区"),
     dict(id=0.0, birth=0.8, stale=0.3, phone_fmt="mixed")),
    ("petition", "信访局", "csv-utf8", 0.5,
     (N, NAME, SEX, "社区(村)", "乡镇(街道)", PHONE), dict(id=0.0, phone=0.35, sex=0.6)),
    ("charity", "慈善总会", "xlsx", 0.6,
     (N, NAME, SEX, "出生日期", "手机号"), dict(id=0.0, dates="dot", sex=0.7, trad=0.03)),
    ("red-cross", "红十字会", "csv-gbk", 0.4,
     (N, NAME, "身份证号", BIRTH, "手机号", "工作单位"),
     dict(id=0.35, id_digit=0.02, id_swap=0.02, dates="zh")),
)  # fmt: skip
_CERTS = (N, "姓名", "性别", "公民身份号码", "证书等级", "证书编号", "取证日期", "工作单位", "备注")
EXTRAS = {
    "民族": ("汉族", "彝族", "回族", "苗族"),
    "学历": ("本科", "大专", "中专", "硕士"),
    "政治面貌": ("群众", "中共党员", "共青团员"),
    "备注": ("", "", "", "兼职", "借调"),
}


def _date(d: date, style: str) -> str:
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "zh":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "compact":
        return f"{d:%Y%m%d}"
    return d.isoformat()


class Clerk:
    def __init__(self, rng: random.Random, habits: dict[str, object]) -> None:
        self.rng, self.h = rng, {**BASE, **habits}

    def p(self, key: str) -> bool:
        return self.rng.random() < float(self.h[key])  # type: ignore[arg-type]

    def name(self, name: str) -> str:
        if self.p("trad"):
            name = name.translate(S2T)
        if self.p("space"):
            name = name[0] + " " + name[1:] if self.rng.random() < 0.7 else name + " "
        elif self.p("wide"):
            name = name[0] + "\u3000" + name[1:]
        return name

    def id_number(self, who: Person) -> str:
        rng, number = self.rng, who.id18
        if self.p("id_digit"):
            i = rng.randrange(17)
            number = (
                number[:i]
                + rng.choice([c for c in "0123456789" if c != number[i]])
                + number[i + 1 :]
            )
        elif self.p("id_swap"):
            i = rng.randrange(6, 16)
            number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        elif self.p("id15") and number[6:8] == "19":
            number = number[:6] + number[8:17]
        if number.endswith("X") and self.p("id_x"):
            number = number[:-1] + "x"
        if self.p("id_gap"):
            number = " ".join((number[:6], number[6:14], number[14:]))
        return number

    def birth(self, who: Person) -> str:
        d, style = who.birth, str(self.h["dates"])
        if self.p("birth_year"):
            return str(d.year)
        if self.p("birth_swap") and d.day <= 12 and d.day != d.month:
            d = date(d.year, d.day, d.month)
        return _date(d, style)

    def phone(self, who: Person, job: Employer, stale: bool) -> str:
        rng = self.rng
        if self.p("landline"):
            return job.landline
        number = who.old_phone if stale or self.p("old_phone") else who.phone
        style = str(self.h["phone_fmt"])
        if style == "mixed":
            style = rng.choice(("plain", "dashes", "+86", "spaced"))
        return {
            "dashes": f"{number[:3]}-{number[3:7]}-{number[7:]}",
            "+86": f"+86{number}" if rng.random() < 0.5 else f"86-{number}",
            "spaced": f"{number[:3]} {number[3:7]} {number[7:]}",
        }.get(style, number)

    def sex(self, who: Person) -> str:
        flip = {"男": "女", "女": "男"}
        return flip[who.sex] if self.p("sex_slip") else who.sex


def _writer(rng: random.Random, columns: tuple[str, ...], habits: dict[str, object]
            ) -> Callable[[Person, str], dict[str, str]]:  # fmt: skip
    clerk = Clerk(rng, habits)

    def write(who: Person, rid: str) -> dict[str, str]:
        stale = who.before is not None and clerk.p("stale")
        job = who.before if stale and who.before else who.job
        row = dict.fromkeys(columns, "")
        for col in columns:
            if col in EXTRAS:
                row[col] = rng.choice(EXTRAS[col])
            elif col == "序号":
                row[col] = str(int(rid[-5:]))
            elif col == N:
                row[col] = rid
            elif col == NAME:
                row[col] = clerk.name(who.name)
            elif col in ("身份证号", "身份证号码", "公民身份号码"):
                row[col] = clerk.id_number(who) if clerk.p("id") else ""
            elif col == SEX:
                row[col] = clerk.sex(who) if clerk.p("sex") else ""
            elif col == BIRTH:
                row[col] = clerk.birth(who) if clerk.p("birth") else ""
            elif col in ("手机号", "手机号码", "联系电话", "电话"):
                row[col] = clerk.phone(who, job, stale) if clerk.p("phone") else ""
            elif col in ("工作单位", "单位名称"):
                short = clerk.p("short_org")
                row[col] = (job.short if short else job.name) if clerk.p("org") else ""
            elif col == "单位类型":
                row[col] = job.kind
            elif col == "岗位类别":
                row[col] = who.post
            elif col == "入职日期":
                row[col] = _date(who.hired, str(clerk.h["dates"]))
            elif col in ("所属区县", "区县"):
                row[col] = job.county if clerk.p("region") else ""
            elif col in ("乡镇(街道)", "街道", "乡镇街道"):
                row[col] = job.township if clerk.p("region") else ""
            elif col in ("社区(村)", "社区", "社区村"):
                row[col] = job.community if clerk.p("region") else ""
        return row

    return write


def _certificates(rng: random.Random, people: list[Person]) -> tuple[Roster, dict[str, str]]:
    roster = Roster("hrss", "人力资源和社会保障局", list(_CERTS), file_format="csv-gbk")
    clerk, truth = Clerk(rng, dict(trad=0.02, space=0.03, id_digit=0.005)), {}
    issued = sorted(
        ((c, who) for who in people if rng.random() < 0.85 for c in who.certificates),
        key=lambda item: (item[0][1], item[0][2]),
    )
    for i, ((level, day, number), who) in enumerate(issued, start=1):
        rid = f"RS{day.year}{i:06d}"
        roster.rows.append({
            N: rid, "姓名": clerk.name(who.name), "性别": who.sex,
            "公民身份号码": clerk.id_number(who) if rng.random() < 0.985 else "",
            "证书等级": level, "证书编号": number,
            "取证日期": "" if rng.random() < 0.04 else f"{day:%Y-%m-%d}",
            "工作单位": "" if rng.random() < 0.3 else who.job.name,
            "备注": rng.choice(("", "", "补证", "换证")),
        })  # fmt: skip
        truth[f"hrss:{rid}"] = who.hid
    return roster, truth


def generate(n_persons: int, seed: int = 2024) -> City:
    rng = random.Random(f"holdout/{seed}")
    where = Prefecture(rng, n_persons)
    births = Births(rng, where, whole_share=0.07)
    people = [births.person(f"P{i:06d}", mover_share=0.12) for i in range(n_persons)]
    codes = [d[0] for d in DEPARTMENTS]
    weights = [d[3] for d in DEPARTMENTS]
    listed: dict[str, list[Person]] = {c: [] for c in codes}
    for who in people:
        k = rng.choices((1, 2, 3, 4, 5), (0.3, 0.32, 0.22, 0.11, 0.05))[0]
        for code in set(rng.choices(codes, weights, k=k)):
            listed[code].append(who)
    rosters: list[Roster] = []
    truth: dict[str, str] = {}
    for code, name, fmt, _, columns, habits in DEPARTMENTS:
        roster = Roster(code, name, list(columns), file_format=fmt)
        write = _writer(rng, columns, habits)
        twice = float(habits.get("twice", 0))  # type: ignore[arg-type]
        rows = listed[code] + [w for w in listed[code] if rng.random() < twice]
        rng.shuffle(rows)
        for i, who in enumerate(rows, start=1):
            rid = f"{code[:2].upper()}{seed % 100:02d}{i:05d}"
            roster.rows.append(write(who, rid))
            truth[f"{code}:{rid}"] = who.hid
        rosters.append(roster)
    certs, cert_truth = _certificates(rng, people)
    rosters.append(certs)
    truth.update(cert_truth)
    city = City("holdout", rosters, truth)
    city.notes.append("18 departments; hrss one row per certificate; no-ID lists; namesakes")
    return city
