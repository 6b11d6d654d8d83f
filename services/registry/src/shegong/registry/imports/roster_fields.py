"""A roster's fields for :mod:`shegong.registry.imports.roster`: the headers its columns go
by, as departments write them (花名册 from 民政, 人社, 团委, 总工会 … each has its own
habits), and how each field's cell becomes a value."""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shegong.contracts.events import Labelled
from shegong.contracts.registry import CertificateLevel, Gender, OrgType, Post, Region
from shegong.kernel.data.controls import shows_something
from shegong.kernel.data.identity import ResidentId
from shegong.kernel.data.names import normalize_name
from shegong.kernel.data.sheets import Cell, CellError, Choices, Suffix, cell_text, parse_date
from shegong.kernel.data.sheets.dates import short_year_date, short_year_month
from shegong.kernel.data.sheets.vocabulary import (
    CERTIFICATE_LEVEL_HEADERS,
    CERTIFICATE_NO_HEADERS,
    CERTIFIED_ON_HEADERS,
    COMMUNITY_HEADERS,
    COUNTY_HEADERS,
    ID_NUMBER_HEADERS,
    LANDLINE_HEADERS,
    LEVEL_WORDS,
    MOBILE_HEADERS,
    NAME_HEADERS,
    NAME_SUFFIX,
    NOT_A_NAME,
    TOWNSHIP_HEADERS,
    certificate_level,
)

# field → accepted headers as departments write them, best first: the first is the Chinese
# label used in messages; where a file has two columns for one field (手机号码 and 联系电话)
# the better-named one is read and the other fills its blanks.
_HIRED = ("入职日期", "入职时间", "到岗时间", "到岗日期", "聘用时间", "聘用日期")
FIELDS: dict[str, tuple[str, ...]] = {
    # 序号 is not one: it numbers the printed lines and changes with every export, and a
    # record's key must not move to another person when it does. A bare 编号 is the key where
    # it holds one (MZ-0001, 2024010023) and is 序号 where it counts the lines (``line_number``).
    "record_id": (
        "记录编号",
        "人员编号",
        "记录号",
        "人员ID",
        "登记编号",
        "档案编号",
        "会员编号",
        "志愿者编号",
        "工号",
        "编号",
    ),
    "name": NAME_HEADERS,
    "id_number": ID_NUMBER_HEADERS,
    "gender": ("性别", "性別", "姓别", "sex"),  # and "gender", the field's own name
    "birth_date": ("出生日期", "出生年月日", "出生年月", "出生时间", "出生年份", "生日"),
    "phone": (*MOBILE_HEADERS, *LANDLINE_HEADERS),
    "organization": (
        "工作单位",
        "单位名称",
        "工作单位名称",
        "现工作单位",
        "所在单位",
        "服务单位",
        "就职单位",
        "任职单位",
        "所在机构",
        "服务机构",
        "机构名称",
        "单位全称",
        "执业机构",
        "就业单位",
        "任职机构",
        "就职机构",
        "学校名称",
        "医院名称",
        "组织名称",
        "社会组织名称",
        "服务队名称",
        "单位",
        "学校",
        "医院",
        "组织",
        "服务队",
        "机构",
        # the workplace named by its kind (所在司法所, 所属社工站, 服务中心), also where one
        # serves (新时代文明实践站, 人民调解委员会)
        *("司法所", "民政所", "社工站", "服务站", "工作站", "服务中心", "福利院"),
        *("敬老院", "养老院", "实践站", "实践所", "调解委员会", "调委会"),
        *("org", "organisation", "employer", "work unit", "workplace"),  # a sheet kept in English
    ),
    "org_type": ("单位类型", "单位性质", "机构类型", "单位类别", "机构性质", "单位属性"),
    # 职务 (主任, 文书, 社区专职工作者) where a roster has no 岗位: a community's staff list
    "post": ("岗位类别", "岗位类型", "岗位", "现任职务", "担任职务", "职务"),
    "county": COUNTY_HEADERS,
    "township": TOWNSHIP_HEADERS,
    "community": COMMUNITY_HEADERS,
    # the whole place in one column (服务区域: 涪城区城郊街道东街社区), read into the 3 above
    "place": ("区域", "所在区域", "所属区域", "地区", "所在地区", "行政区划", "所在地", "区划"),
    # 参加工作时间 (a career's start: on or before this job's) last, where nothing else says
    "hired_on": (*_HIRED, "入职年月", "聘用年月", "参加工作时间", "参加工作日期"),
    "left_on": ("离职日期", "离职时间"),
    "cert_level": CERTIFICATE_LEVEL_HEADERS,
    "certified_on": CERTIFIED_ON_HEADERS,
    "cert_no": CERTIFICATE_NO_HEADERS,
    "channel": ("招聘渠道",),
    "former_name": ("曾用名", "曾用姓名", "原名", "英文姓名", "外文姓名", "英文名", "姓名拼音"),
    # an age (a volunteer platform's, a school's staff list), where no birth date is given
    "age": ("年龄", "年龄（岁）", "年龄(岁)", "周岁", "实际年龄"),
    # which document the 证件号码 is of: a passport's or a travel permit's number is no
    # resident ID number (a 港澳台居民居住证's is one in form, and read as one)
    "id_type": ("证件类型", "证件种类", "证件名称", "身份证件类型"),
    # a volunteer platform's export: the ID number's last four only (a mask of the rest)
    "id_last4": ("身份证后四位", "身份证号后四位", "证件号后四位", "证件号码后四位", "身份证尾号"),
}
# The last resort for a header no alias names: a role before 姓名 (网格员姓名), a kind of
# unit before 单位 / 机构 / 组织 (医疗机构名称, 服务组织, 用人单位) unless the unit is not the
# person's own (发证机构, 主管单位, 帮扶单位, 原工作单位), a person's role before 编号
# (教职工编号, 队员编号 — never a bare 编号, nor 单位编号 or 证书编号).
_NOT_OWN_UNIT = (
    "发证|颁证|颁发|主管|填报|上级|推荐|培训|审核|审批|登记|管理|业务|帮扶|对口|考核|认定"
    "|挂钩|结对|原|曾|前|上一|毕业|户籍|社保|缴费|参保|合作|委托|购买|采购"
    # the department that sent the list, not the person's employer (报送单位, 归口单位)
    "|报送|上报|报备|归口|统计|汇总"
)
_ROLES = "职工|员工|人员|会员|成员|队员|社工|义工|学员|志愿者|工作者|员"
# …or the department's own record of the person: 档案号, 登记号, 会员证号, 证书记录号, 人员代码
# (never 序列号: like 序号 it may number the printed lines).
_RECORD_HEAD = f"(?:{_ROLES}|记录|登记|档案|注册|会员证|工作证|服务证|志愿者证)$"
SUFFIXES: dict[str, tuple[Suffix, ...]] = {
    "name": (NAME_SUFFIX,),
    "organization": (
        *(
            Suffix(word, not_head=_NOT_OWN_UNIT)
            for word in ("单位名称", "机构名称", "组织名称", "单位", "机构", "组织")
        ),
        # a workplace's name by its kind: 服务站名称, 司法所名称, 所在学校名称, 服务中心名称
        # (not 项目名称, 社区名称, 培训中心名称)
        Suffix("名称", head="(?:所|站|中心|院|校|队|社)$", not_head=_NOT_OWN_UNIT),
    ),
    "record_id": (
        *(Suffix(word, head=_RECORD_HEAD) for word in ("编号", "编码", "代码", "ID")),
        Suffix("号", head=_RECORD_HEAD),
    ),
}
LABEL_ZH = {name: aliases[0] for name, aliases in FIELDS.items()}
# A header that is a record's key or the lines' number by what its cells hold.
BARE_NUMBER_HEADERS = frozenset({"编号"})
_LINE_NUMBER = re.compile(r"[1-9]\d{0,5}")


def line_number(cell: Cell) -> bool:
    """``cell`` counts the lines (1, 2 … 999999, as typed or as a number), the way 序号
    does, rather than naming a record."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | float):
        return math.isfinite(cell) and cell == int(cell) and 0 < cell < 1_000_000
    return isinstance(cell, str) and _LINE_NUMBER.fullmatch(cell.strip()) is not None


_MAX_LEN = {"organization": 128, "place": 128} | dict.fromkeys(
    ("name", "record_id", "cert_no", "channel", "county", "township", "community", "id_type"),
    64,
)
_MAX_LEN["former_name"] = _MAX_LEN["id_last4"] = 64


ENUMS: dict[str, Choices] = {
    # 1 / 2 are GB/T 2261.1's codes (an export from a government system writes them).
    "gender": Choices(
        Gender,
        {"男性": "male", "女性": "female", "1": "male", "2": "female", "m": "male", "f": "female"},
    ),
    "org_type": Choices(OrgType),
    "post": Choices(Post),
    # 初级 / 中级 / 高级 and the short forms clerks write (助理社工师, 中级社工师).
    "cert_level": Choices(CertificateLevel, LEVEL_WORDS),
}


def _enum(field_name: str, cell: Cell) -> Labelled | None:
    return ENUMS[field_name](cell)


# A post as rosters describe it rather than by its category: a social worker's
# (专职社工, 社会工作者, 社工站站长), a community worker's (社区专职工作者, 网格员), or a job
# title the categories do not name (主任, 项目主管): other.
_SOCIAL_WORK_POST = re.compile(r"社工|社会工作(?!部|局|委|处|科)")
_COMMUNITY_WORKER = re.compile(r"社区工作者|社区专职|社区专干|网格员|网格长")
# …but a clerk's "don't know" is no job title: it is reported, as a wrong value is.
_NO_ANSWER = re.compile(r".*(?:不知道|不详|未知|待定|暂无|不清楚|没有).*|[?？]+")


def _post(field_name: str, cell: Cell) -> Labelled | None:
    try:
        return ENUMS[field_name](cell)
    except CellError:
        text = cell_text(cell) or ""
        if _SOCIAL_WORK_POST.search(text):
            return Post.SOCIAL_WORK_POST
        if _COMMUNITY_WORKER.search(text):
            return Post.COMMUNITY_WORKER
        if len(text) <= 20 and not _NO_ANSWER.fullmatch(text) and text.isalpha():
            return Post.OTHER
        raise


def _cert_level(field_name: str, cell: Cell) -> Labelled | None:
    """A certificate as 人社's lists name it: 社会工作者职业水平证书（初级）, 中级社会工作师 …"""
    try:
        return ENUMS[field_name](cell)
    except CellError:
        level = certificate_level(cell_text(cell))
        if level is None:
            raise
        return CertificateLevel(level)


def _age(_: str, cell: Cell) -> int | None:
    """年龄 in whole years (42, 42岁, 42.0 as a sheet keeps a number); a working age."""
    text = unicodedata.normalize("NFKC", cell_text(cell) or "").strip().removesuffix("岁")
    if not text:
        return None
    if not re.fullmatch(r"\d{1,3}(?:\.0+)?", text) or not 14 <= float(text) <= 100:
        raise CellError("is not an age in years (14 to 100)", "不是 14 至 100 之间的周岁年龄")
    return int(float(text))


def _name(_: str, cell: Cell) -> str:
    text = cell_text(cell)
    if text and len(text) > 1024:  # no name is: not normalised first (linear, not free)
        raise CellError("is longer than 64 characters", "超过64个字符")
    name = normalize_name(text) if text else ""
    if not shows_something(name):  # blank, or nothing but combining marks (round 10)
        raise CellError("is missing", "未填写")
    if len(name) > 64:
        raise CellError("is longer than 64 characters", "超过64个字符")
    if NOT_A_NAME.fullmatch(name):
        raise CellError(
            "is not a person's name (a total or a note line?)", "不是人名（是合计或备注行吗？）"
        )
    return name


def _bounded(field_name: str, cell: Cell) -> str | None:
    text = cell_text(cell)
    if text is not None and len(text) > _MAX_LEN[field_name]:
        limit = _MAX_LEN[field_name]
        raise CellError(f"is longer than {limit} characters", f"超过{limit}个字符")
    return text


# 出生年月 as clerks write it: 1985.03, 1985-3, 1985年3月, 198503, or the year alone.
_YEAR_MONTH = re.compile(r"((?:19|20)\d\d)\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2})|年)?")


class PartialDate(datetime.date):
    """A date known to the month (``known == "month"``) or the year only, as its first day."""

    known: str = "month"


def partial_date(cell: Cell) -> PartialDate | None:
    """A birth date written to the month or the year only, as its first day (the census
    compares such a date by what it gives: the year, or the year and month); ``None``
    when the cell is not one. A workbook's number 1985.03 is March; 1985.1 could be
    January or October (Excel drops the 0 of 1985.10), so only its year is kept; 198503
    typed in a General cell (a number, as Excel keeps it) is March, as the text is."""
    if isinstance(cell, bool) or cell is None or isinstance(cell, datetime.date):
        return None
    if isinstance(cell, int | float) and math.isfinite(cell) and 190001 <= cell <= 210012:
        if cell != int(cell):
            return None
        text = f"{int(cell)}"  # YYYYMM: no Excel serial is this large (year 2100 is 73051)
    elif isinstance(cell, int | float):
        if not math.isfinite(cell) or not 1900 <= cell < 2101:
            return None
        _, _, decimals = f"{cell}".partition(".")
        month = int(decimals) if len(decimals) == 2 else 0  # 1985.0 and 1985.1: the year
        text = f"{int(cell)}-{month}" if 1 <= month <= 12 else f"{int(cell)}"
    else:
        text = cell_text(cell) or ""
    match = _YEAR_MONTH.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2) or match.group(3) or 1)
    if not 1 <= month <= 12:
        return None
    partial = PartialDate(year, month, 1)
    partial.known = "month" if match.group(2) or match.group(3) else "year"
    return partial


def _month_or_year(name: str, cell: Cell) -> datetime.date | None:
    """A date, or one given to the month or the year (a :class:`PartialDate`)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and 1900 <= cell < 2101:
        return partial_date(cell)  # a number 1985.03 is a month, not Excel's day 1985
    try:
        return parse_date(cell)
    except CellError:  # 1985.03; a birth date 85-03-12, of someone 16 or older this year
        adult = datetime.date.today().year - 16
        found = partial_date(cell) or (name == "birth_date" and short_year_date(cell, adult))
        if not found and name == "birth_date" and (month := short_year_month(cell, adult)):
            found = PartialDate(*month, 1)  # 85年3月, 85.03
        if not found:
            raise
        return found


TEXT_FIELDS: tuple[str, ...] = ("record_id", "organization", "cert_no", "channel")
TEXT_FIELDS += ("county", "township", "community", "place", "id_type", "former_name", "id_last4")
CONVERT: dict[str, Callable[[str, Cell], Any]] = (
    {"name": _name}
    | dict.fromkeys(TEXT_FIELDS, _bounded)
    | dict.fromkeys(ENUMS, _enum)
    | dict.fromkeys(("birth_date", "hired_on", "left_on", "certified_on"), _month_or_year)
)
CONVERT["cert_level"] = _cert_level
CONVERT["post"] = _post
CONVERT["age"] = _age


def readable(name: str, cell: Cell) -> bool:
    """Whether field ``name`` reads a value from ``cell`` (one read otherwise: yes)."""
    try:
        return name not in CONVERT or CONVERT[name](name, cell) is not None
    except CellError:
        return False


_NO_REGION = Region()

# A place written whole, from the province down: each level by the word that ends it (a
# county-level 市 is the prefecture's, left out: the census compares township, community).
_PLACE = re.compile(
    r"(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,7}?(?:市|州|盟|地区))?"
    r"(?P<county>[\u4e00-\u9fff]{1,7}?(?:县|(?<![社园小景校片])区|旗))?"
    r"(?P<township>[\u4e00-\u9fff]{1,9}?(?:街道办事处|街道|镇|乡))?"
    r"(?P<community>[\u4e00-\u9fff]{1,12}?(?:社区居民委员会|村民委员会|居委会|村委会|社区|村))?"
)


def region_parts(values: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The row's county, township and community: its own columns, and where a roster has
    none of them but one column for the whole place, that place's parts."""
    county, township, community = values["county"], values["township"], values["community"]
    place = values.get("place")
    if place and not (county or township or community):
        found = _PLACE.fullmatch("".join(unicodedata.normalize("NFKC", place).split()))
        if found:
            county, township, community = found.group("county", "township", "community")
    return county, township, community


@dataclass(frozen=True, slots=True)
class RosterRow:
    """A valid row. Sensitive values (raw ID text, phone) are left out of the repr."""

    row_number: int
    name: str
    record_id: str | None = None
    id_number: ResidentId | None = None
    raw_id_number: str | None = field(default=None, repr=False)
    id_problem: str | None = None
    id_problem_zh: str | None = None
    document_type: str | None = None  # the 证件类型 of another document's number (护照 …)
    gender: Gender | None = None
    birth_date: datetime.date | None = None
    phone: str | None = field(default=None, repr=False)
    # A phone libphonenumber does not know as allocated, but well formed (its digits):
    # not kept as a contact, still evidence that two records are one person.
    phone_digits: str | None = field(default=None, repr=False)
    # The display mask of a number not kept as a contact (not in use, or published masked:
    # 138****5678): the census compares its shown digits with another list's number.
    phone_shown: str | None = None
    # The other numbers of the phone cell (a second mobile, a landline): evidence only.
    other_phones: tuple[str, ...] = field(default=(), repr=False)
    organization: str | None = None
    org_type: OrgType | None = None
    post: Post | None = None
    region: Region = _NO_REGION
    hired_on: datetime.date | None = None
    left_on: datetime.date | None = None
    cert_level: CertificateLevel | None = None
    certified_on: datetime.date | None = None
    cert_no: str | None = None
    channel: str | None = None
    former_name: str | None = None  # 曾用名, else the name's Latin spelling (英文姓名)
    age: int | None = None  # 年龄: a birth year ±1 where the row gives no birth date
    warnings: tuple[str, ...] = ()
    sheet: str | None = None  # the row's sheet, when the workbook had more than one read
    unread: str = field(default="", repr=False)  # its cells no field reads (年度): not content
