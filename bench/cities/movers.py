"""A city where people move, and clerks slip.

* A quarter of the people changed jobs in the last years. The departments that update their
  lists once a year (总工会, 妇联, 老龄办) still show most of them at the previous employer,
  with its township and community, and often the phone number they had then.
* 总工会 writes the unit's office landline (0932-…) in 联系电话 for some members: colleagues
  share it.
* Clerks' slips: 男/女 wrong, day and month of the birth date swapped, only the year known
  ("1985", or 1985-01-01), two adjacent ID digits transposed, a wrong check character, the
  15-digit number of a first-generation card, phones as +86 …, 0086…, 138-…, 138 …; stray
  half- and full-width spaces and traditional characters in names.
* Names collide as they do in a real city (王伟, 李娜 by the dozen): strangers share a name,
  sometimes a county, and their birth dates differ.
"""

from __future__ import annotations

from .clerks import Habits
from .world import City, Department, make_city

_ALL_PHONES = (
    ("plain", 0.55),
    ("dashes", 0.1),
    ("spaces", 0.1),
    ("+86", 0.1),
    ("+86-", 0.05),
    ("0086", 0.05),
    ("(+86)", 0.05),
)
_SLIPS = dict(
    sex_wrong=0.015,
    birth_swapped=0.02,
    birth_year_only=0.015,
    id_transposed=0.02,
    id_check_wrong=0.015,
    id_digit_wrong=0.01,
    id_old_15=0.02,
    name_spaced=0.06,
    name_traditional=0.05,
    phone_styles=_ALL_PHONES,
)
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

DEPARTMENTS = (
    Department("social-work", "社会工作部", _FULL, Habits(**_SLIPS), 3.0, "xlsx", "SG"),
    Department(
        "civil-affairs",
        "民政局",
        (
            "记录编号",
            "姓名",
            "身份证号码",
            "性别",
            "出生日期",
            "联系电话",
            "单位名称",
            "岗位类别",
            "所属区县",
            "乡镇街道",
            "社区村",
            "入职日期",
        ),
        Habits(**{**_SLIPS, "date_format": "slash"}),
        3.0,
        "csv-gbk",
        "MZ",
    ),
    Department(
        "hrss",
        "人力资源和社会保障局",
        (
            "记录编号",
            "姓名",
            "性别",
            "公民身份号码",
            "手机号码",
            "工作单位",
            "岗位类别",
            "入职日期",
            "证书等级",
            "取证日期",
            "证书编号",
        ),
        Habits(**{**_SLIPS, "id_old_15": 0.06, "id_missing": 0.03}),
        2.0,
        "xlsx",
        "RS",
    ),
    Department(
        "health",
        "卫生健康委员会",
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
        Habits(**{**_SLIPS, "date_format": "dot", "id_transposed": 0.04, "id_check_wrong": 0.03}),
        1.0,
        "csv-utf8",
        "WJ",
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
        Habits(**{**_SLIPS, "date_format": "compact", "birth_swapped": 0.04}),
        1.2,
        "xlsx",
        "JY",
    ),
    Department(
        "trade-union",
        "总工会",
        ("记录编号", "姓名", "性别", "身份证号", "联系电话", "工作单位", "区县", "乡镇街道"),
        Habits(
            **{
                **_SLIPS,
                "org_previous": 0.85,
                "phone_old": 0.5,
                "phone_is_landline": 0.25,
                "id_missing": 0.25,
            }
        ),
        1.0,
        "csv-gbk",
        "GH",
        stale=True,
    ),
    Department(
        "womens-federation",
        "妇联",
        ("记录编号", "姓名", "出生日期", "身份证号", "联系电话", "工作单位", "乡镇街道", "社区村"),
        Habits(
            **{
                **_SLIPS,
                "org_previous": 0.7,
                "phone_old": 0.4,
                "date_format": "zh",
                "id_missing": 0.3,
            }
        ),
        1.0,
        "csv-utf8",
        "FL",
        stale=True,
    ),
    Department(
        "ageing",
        "老龄工作委员会办公室",
        (
            "记录编号",
            "姓名",
            "性别",
            "出生日期",
            "身份证号",
            "手机号",
            "工作单位",
            "区县",
            "社区村",
        ),
        Habits(
            **{
                **_SLIPS,
                "org_previous": 0.6,
                "phone_old": 0.4,
                "id_old_15": 0.15,
                "birth_year_only": 0.05,
            }
        ),
        0.8,
        "csv-gbk",
        "LL",
        stale=True,
    ),
    Department(
        "youth-league",
        "团委",
        ("记录编号", "姓名", "性别", "手机号", "工作单位", "社区村"),
        Habits(**{**_SLIPS, "sex_missing": 0.2}),
        1.2,
        "csv-utf8",
        "TW",
    ),
    Department(
        "disabled-federation",
        "残联",
        (
            "记录编号",
            "姓名",
            "身份证号",
            "性别",
            "出生日期",
            "手机号",
            "工作单位",
            "乡镇街道",
            "岗位类别",
        ),
        Habits(**_SLIPS),
        0.8,
        "xlsx",
        "CL",
    ),
)


def generate(n_persons: int, seed: int = 2024) -> City:
    return make_city("movers", n_persons, seed, DEPARTMENTS, mover_share=0.25, common_share=0.10)
