"""A city whose 人社 sends its certificate list (证书发放名单), and whose smaller departments
keep thin rosters.

* 人社 (hrss) reports no roster of staff but the list of certificates it issued: one row per
  certificate, so a person who passed 助理社会工作师 in 2019 and 社会工作师 in 2022 is on two
  rows of the same file with the same ID number, each with its own 记录编号 and 证书编号.
  A few rows have the level but the issue date was never filled in; the employer is the one
  given at the exam, often left blank.
* 团委 (youth league) lists volunteers by name, sex and phone: no ID or birth-date column.
* 总工会 has no ID column; 妇联, 教育 and 残联 have one, but it is blank on about half of
  their rows, and birth date or sex are often blank too.
"""

from __future__ import annotations

import random

from .clerks import Habits, fmt_date
from .people import Human, People
from .world import City, Department, Roster, make_city

_FULL = (
    "记录编号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "手机号",
    "工作单位",
    "单位类型",
    "岗位类别",
    "区县",
    "乡镇街道",
    "社区村",
    "入职日期",
    "证书等级",
    "取证日期",
)
_PLAIN = (("plain", 0.8), ("dashes", 0.1), ("spaces", 0.1))

DEPARTMENTS = (
    Department("social-work", "社会工作部", _FULL, Habits(), 3.0, "xlsx", "SG"),
    Department(
        "civil-affairs",
        "民政局",
        (
            "记录编号",
            "姓名",
            "身份证号码",
            "性别",
            "联系电话",
            "单位名称",
            "岗位类别",
            "所属区县",
            "乡镇街道",
            "社区村",
            "入职日期",
        ),
        Habits(date_format="slash", phone_styles=_PLAIN, id_missing=0.05),
        3.0,
        "csv-gbk",
        "MZ",
    ),
    Department(
        "health",
        "卫生健康委员会",
        (
            "记录编号",
            "姓名",
            "性别",
            "身份证号",
            "手机号码",
            "工作单位",
            "单位类型",
            "岗位类别",
            "入职日期",
        ),
        Habits(date_format="dot", id_missing=0.10),
        1.0,
        "csv-utf8",
        "WJ",
    ),
    Department(
        "justice",
        "司法局",
        (
            "记录编号",
            "姓名",
            "性别",
            "出生日期",
            "身份证号",
            "手机号",
            "工作单位",
            "区县",
            "岗位类别",
        ),
        Habits(date_format="zh"),
        0.8,
        "xlsx",
        "SF",
    ),
    Department(
        "youth-league",
        "团委",
        ("记录编号", "姓名", "性别", "手机号", "工作单位", "社区村"),
        Habits(sex_missing=0.2, phone_missing=0.03, org_missing=0.15, region_missing=0.2),
        1.5,
        "csv-utf8",
        "TW",
    ),
    Department(
        "womens-federation",
        "妇联",
        ("记录编号", "姓名", "出生日期", "身份证号", "联系电话", "乡镇街道", "社区村", "岗位类别"),
        Habits(date_format="zh", id_missing=0.55, birth_missing=0.40, phone_missing=0.10),
        1.2,
        "csv-gbk",
        "FL",
    ),
    Department(
        "education",
        "教育局",
        (
            "记录编号",
            "姓名",
            "性别",
            "出生日期",
            "身份证号",
            "手机号",
            "工作单位",
            "岗位类别",
            "入职日期",
        ),
        Habits(date_format="compact", id_missing=0.45, sex_missing=0.5, birth_missing=0.3),
        1.2,
        "xlsx",
        "JY",
    ),
    Department(
        "trade-union",
        "总工会",
        ("记录编号", "姓名", "性别", "出生日期", "联系电话", "工作单位", "区县"),
        Habits(birth_missing=0.35, sex_missing=0.3, phone_missing=0.12),
        1.0,
        "csv-utf8",
        "GH",
    ),
    Department(
        "disabled-federation",
        "残联",
        ("记录编号", "姓名", "身份证号", "性别", "手机号", "工作单位", "乡镇街道", "岗位类别"),
        Habits(id_missing=0.5, sex_missing=0.25),
        0.8,
        "csv-gbk",
        "CL",
    ),
)

_CERT_COLUMNS = (
    "记录编号",
    "姓名",
    "性别",
    "公民身份号码",
    "证书等级",
    "取证日期",
    "证书编号",
    "工作单位",
)


def _certificate_list(
    rng: random.Random,
    people: People,
    humans: list[Human],
    rosters: dict[str, Roster],
    truth: dict[str, str],
) -> None:
    roster = Roster("hrss", "人力资源和社会保障局", list(_CERT_COLUMNS), file_format="xlsx")
    listed: list[tuple[Human, tuple[str, object, str]]] = [
        (h, c) for h in humans if h.certificates and rng.random() < 0.9 for c in h.certificates
    ]
    listed.sort(key=lambda item: (item[1][1], item[1][2]))  # issued in date order
    for i, (human, (level, day, number)) in enumerate(listed, start=1):
        rid = f"ZS{i:07d}"
        spaced = rng.random() < 0.02
        name = (human.name[0] + " " + human.name[1:]) if spaced else human.name
        id_number = human.id18 if rng.random() >= 0.015 else ""
        if id_number.endswith("X") and rng.random() < 0.5:
            id_number = id_number[:-1] + "x"
        roster.rows.append(
            {
                "记录编号": rid,
                "姓名": name,
                "性别": "男" if human.sex == "M" else "女",
                "公民身份号码": id_number,
                "证书等级": level,
                "取证日期": "" if rng.random() < 0.02 else fmt_date(day, "iso"),  # type: ignore[arg-type]
                "证书编号": number,
                "工作单位": "" if rng.random() < 0.4 else human.org.name,
            }
        )
        truth[f"hrss:{rid}"] = human.hid
    rosters["hrss"] = roster


def generate(n_persons: int, seed: int = 2024) -> City:
    city = make_city("certs", n_persons, seed, DEPARTMENTS, extra=_certificate_list)
    city.notes.append("hrss: one row per certificate (same ID number on several rows)")
    return city
