"""The words every department's sheet uses for a person, shared by every importer: the
headers of the name, ID number and phone columns as clerks write them, the last resort for
a name column (网格员姓名, 学员姓名, 考生姓名), and a certificate's level as 人社's lists and
exam results name it (助理社会工作师, 社会工作者职业水平证书（初级）, 中级 …).

One vocabulary, so that a sign-in sheet reads a header the roster import reads, and the
other way round."""

from __future__ import annotations

import re
import unicodedata

from shegong.kernel.data.sheets.headers import Suffix

NAME_HEADERS: tuple[str, ...] = (
    "姓名",
    "人员姓名",
    "社工姓名",
    "志愿者姓名",
    "名字",
    "持证人",
    "全名",
    "full name",  # a sheet kept in English
)
# 网格员姓名, 学员姓名, 考生姓名: a role and 姓名 — never 联系人姓名, 监护人姓名.
NAME_SUFFIX = Suffix("姓名")

# What the name column of a sheet's last lines holds when they are not a person:
# a total (合计, 12人, 共12名), a note (以下空白), the form's footer (who filled it in and
# checked it, the date, the seal).
NOT_A_NAME = re.compile(
    r"(?:合计|总计|小计|共计|累计)[:：]?.*|[共计]?\d+[人名]?|(?:以下空白|空白|备注|说明)[:：]?.*"
    r"|(?:填表|制表|审核|审批|经办|负责|联系)人?[:：].*|(?:填表|制表|报送)(?:日期|时间).*"
    r"|.*(?:盖章|签字|签名).*"
)

ID_NUMBER_HEADERS: tuple[str, ...] = (
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "公民身份证号",
    "公民身份证号码",
    "身份证件号码",
    "证件号码",
    "身份证件号",
    "证件号",
    "身份号码",
    "身份证编号",
    "居民身份证号码",
    "居民身份证号",
    "有效证件号码",
    "有效身份证件号码",
    "有效证件号",
    "公民身份证",
    "居民身份证",
    "身份证",
    # a sheet kept in English (a bare "ID" is left to each importer: a roster's may be its
    # own record number)
    "id no",
    "id no.",
    "id number",
    "id card",
    "id card no",
    "id card no.",
    "id card number",
    "identity card number",
    "national id",
    "resident id",
)

MOBILE_HEADERS: tuple[str, ...] = (
    "手机号",
    "手机号码",
    "手机",
    "联系手机",
    "移动电话",
    "联系电话",
    "电话号码",
    "联系号码",
    "联系方式",
    "电话",
    # a sheet kept in English
    "mobile",
    "mobile no",
    "mobile no.",
    "mobile number",
    "mobile phone",
    "cell phone",
    "phone",
    "phone no",
    "phone no.",
    "phone number",
    "tel",
    "tel.",
    "telephone",
)
# a household's number (家庭电话: a village roster's only one, or beside the mobile): the
# person's where no mobile is given, else one of their other numbers — a clerk links 扎西
# of one list to 扎西 of another by it; shared by a family, whose members' names differ
HOME_PHONE_HEADERS: tuple[str, ...] = ("家庭电话", "家庭联系电话", "住宅电话", "宅电", "家庭固话")
# a landline: fills a blank mobile (the census compares it as a landline)
LANDLINE_HEADERS: tuple[str, ...] = ("固定电话", "座机", "办公电话", *HOME_PHONE_HEADERS)

# A place, as rosters, region lists and surveys head it (the first is the roster's label).
COUNTY_HEADERS: tuple[str, ...] = (
    "所属区县",
    "区县",
    "县区",
    "区(县)",
    "县(区)",
    "县(市、区)",
    "所在区县",
    "所属县区",
    "县市区",
    "区县市",
    "县",
    "区",
    "区县名称",
    "县市区名称",
)
TOWNSHIP_HEADERS: tuple[str, ...] = (
    "乡镇街道",
    "乡镇(街道)",
    "街道(乡镇)",
    "所属街道",
    "所在街道",
    "所属乡镇(街道)",
    "所在乡镇(街道)",
    "街道",
    "乡镇",
    "街道办事处",
    "街道办",
    "镇街",
    "街镇",
    "镇",
    "乡",
    "乡镇名称",
    "街道名称",
    "乡镇(街道)名称",
)
COMMUNITY_HEADERS: tuple[str, ...] = (
    "社区村",
    "社区(村)",
    "村(社区)",
    "所在社区",
    "所属社区",
    "所在村(社区)",
    "社区名称",
    "社区",
    "村",
    "社区居委会",
    "居委会",
    "村委会",
    "居民委员会",
    "村民委员会",
    "行政村",
    "村居",
    "村(社区)名称",
    "村名称",
    "村(居)",
    "村(居)委会",
)

# A certificate's level, its date and its number as rosters, 人社's certificate lists and
# exam result lists head them.
CERTIFICATE_LEVEL_HEADERS: tuple[str, ...] = (
    "证书等级",
    "证书级别",
    "职业水平等级",
    "职业资格等级",
    "资格等级",
    "持证等级",
    "持证情况",
    "证书类别",
    "证书名称",
    "职业水平证书",
    "资格证书",
    # 人社's certificate lists and the departments' own words for the same column
    "资格级别",
    "持证级别",
    "持证类别",
    "资格类别",
    "证书类型",
    "资格证书等级",
    "职业水平证书等级",
    "社工证等级",
    "职业资格",
    "职业资格证书",
    "社会工作者职业资格",
    "社工证",
    # bare, as 人社's certificate list heads it beside 资格名称 (社会工作者职业资格)
    "级别",
)
CERTIFIED_ON_HEADERS: tuple[str, ...] = (
    "取证日期",
    "取证时间",
    "发证日期",
    "发证时间",
    "取得证书时间",
    "证书取得时间",
    "获证时间",
    "获证日期",
    "取得时间",
    "取证年份",
    "取证年月",
    "批准日期",  # 人社's certificate list: the date the qualification was approved
    "取得资格时间",
    "取得资格日期",
    "资格取得时间",
    "资格取得日期",
    "取得证书日期",
    "证书获得时间",
    "签发日期",
    "取证年度",
)
CERTIFICATE_NO_HEADERS: tuple[str, ...] = (
    "证书编号",
    "证书号码",
    "证书号",
    "管理号",
    "证书管理号",
    "资格证书编号",
    "证书编码",
)

# A certificate's level: the exact words clerks write, then the words inside a longer name.
LEVEL_WORDS: dict[str, str] = {
    word: level
    for level, words in {
        "assistant": (
            "assistant",
            "初级",
            "助理",
            "助理社工师",
            "初级社工师",
            "初级社会工作师",
            "助理社会工作师",
        ),
        "intermediate": ("intermediate", "中级", "社工师", "中级社工师", "中级社会工作师"),
        "senior": ("senior", "高级", "高级社工师", "副高级社会工作师", "高级社会工作师"),
    }.items()
    for word in words
}
LEVEL_WORDS["社会工作师"] = "intermediate"
# the titles in English, as a list kept in English names them
LEVEL_WORDS |= {
    "assistant social worker": "assistant",
    "social worker": "intermediate",
    "intermediate social worker": "intermediate",
    "senior social worker": "senior",
}
_LEVEL_INSIDE = (  # checked in this order: 助理社会工作师 holds 社会工作师
    (re.compile("高级"), "senior"),
    (re.compile("助理|初级"), "assistant"),
    (re.compile("中级|社会工作师|社工师"), "intermediate"),
)


def certificate_level(text: str | None) -> str | None:
    """``"assistant"`` / ``"intermediate"`` / ``"senior"`` for a level as written
    (社会工作者职业水平证书（初级）, 中级社会工作师, 高级), ``None`` for a blank or
    anything else."""
    value = unicodedata.normalize("NFKC", text or "").strip().casefold()
    if not value:
        return None
    if (level := LEVEL_WORDS.get(value)) is not None:
        return level
    for words, level in _LEVEL_INSIDE:
        if words.search(value):
            return level
    return None
