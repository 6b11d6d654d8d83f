"""How the census reads names, organisations and regions before comparing them.

Departments write one person's name as 劉麗華, 刘　丽华 or 刘丽华 ; one organisation as
定西市安定区紅葉社會工作服務中心 or 红叶社工中心. These functions map the variants of one
value to one key (pure, cached).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Generic, TypeVar

from shegong.kernel.data.names import (
    TRADITIONAL_TO_SIMPLIFIED,
    name_key,
    pinyin_key,
    pinyin_table,
    to_simplified,
)
from shegong.registry.census.romanisations import spelt_in_romanisation

__all__ = [
    "COMMON_NAMES",
    "TRADITIONAL_TO_SIMPLIFIED",
    "committee_community",
    "committee_township",
    "county_key",
    "government_township",
    "maiden_surnames",
    "normalize_org",
    "normalize_person_name",
    "org_text",
    "person_name",
    "pinyin_key",
    "region_name",
    "sound_key",
    "sounds_alike",
    "spelt_from",
    "to_simplified",
    "township_key",
    "warm_names",
    "written_in_pinyin",
]

# The most frequent full names in China (全国姓名报告): a floor under their term frequency,
# so that a small census does not take two 王伟 for strong evidence.
COMMON_NAMES: frozenset[str] = frozenset(
    "张伟 王伟 王芳 李伟 李娜 张敏 李静 王静 刘伟 王秀英 张丽 李秀英 王丽 张静 张秀英 李强 "  # noqa: SIM905
    "王敏 李敏 王磊 刘洋 王艳 王勇 李军 张勇 李杰 张杰 张磊 王强 李娟 王军 张艳 张涛 王涛 "
    "李艳 王超 李明 李勇 王娟 刘杰 刘敏 李霞 李丽 张军 王杰 张强 王秀兰 王刚 王平 刘芳 张燕 "
    "刘军 张平 陈静 刘丽 王霞 李平 张婷 王玲 刘静 陈伟".split()
)

# Script conversion and the name key are the kernel's, so that every service compares
# names as the census does.
normalize_person_name = name_key

_A = TypeVar("_A")
_R = TypeVar("_R")


class _Kept(Generic[_A, _R]):
    """A pure function of one argument, its results kept in a plain dict (emptied when it
    holds ``size``): ≈ 40 bytes an entry, where ``lru_cache`` keeps ≈ 95 (≈ 165 for two
    arguments). For what the census reads once a record (its name, its organisation),
    one entry a value the city writes; a record shares its value's result string."""

    __slots__ = ("__wrapped__", "_results", "_size")

    def __init__(self, function: Callable[[_A], _R], size: int) -> None:
        self.__wrapped__ = function
        self._results: dict[_A, _R] = {}
        self._size = size

    def __call__(self, arg: _A) -> _R:
        results = self._results
        try:
            return results[arg]
        except KeyError:
            pass
        if len(results) >= self._size:
            results.clear()
        found = results[arg] = self.__wrapped__(arg)
        return found

    def cache_clear(self) -> None:
        self._results.clear()


# A record's name as compared (:func:`name_key`), kept as :class:`_Kept` keeps it.
person_name: _Kept[str, str] = _Kept(name_key.__wrapped__, 200_000)


def maiden_surnames(name: str) -> tuple[str, ...]:
    """The woman's own surname in a name written the old way, her husband's surname and
    hers and 氏 (王李氏, 李氏 alone; 王欧阳氏 or 欧阳李氏 where a surname has two
    characters) — as household registers and old lists of retirees and party members
    kept married women — or () for any other name."""
    if not 2 <= len(name) <= 4 or name[-1] != "氏":
        return ()
    if len(name) == 2:
        return (name[0],)
    return (name[-2],) if len(name) == 3 else (name[-2], name[1:3])


def surname(name: str) -> str:
    """The surname a name blocks by (its first character; a married woman's own surname
    where the name is written the old way: :func:`maiden_surnames`)."""
    maiden = maiden_surnames(name)
    return maiden[0] if maiden else name[0]


@lru_cache(maxsize=4096)
def sound_key(name: str) -> str:
    """A name's sound run together, for blocking: its toneless pinyin (张守军 and 张守君
    both "zhangshoujun"), or a Latin spelling as written (Zhang Shoujun), ü as u."""
    pinyin = pinyin_key(name)
    text = pinyin.replace(" ", "") if pinyin is not None else name
    return text.replace("ü", "u").replace("v", "u")


def written_in_pinyin(latin: str, pinyin: str | None) -> bool:
    """Whether ``latin`` (a name key in Latin letters: a passport's or a foreign form's
    spelling, Wang Wenjing / WANG WEN JING / Wenjing Wang) spells the Chinese name whose
    toneless pinyin is ``pinyin`` ("wang wen jing"): its syllables run together, surname
    first or last (a two-character surname too), ü written u, v or ü."""
    if pinyin is None or not latin or latin[0] > "z":  # a Chinese name: not a spelling
        return False
    text = latin.replace("ü", "u").replace("v", "u")
    if not (text.isascii() and text.isalpha()):
        return False
    return text in _latin_spellings(pinyin)


def spelt_from(a: str | None, b: str | None) -> str | None:
    """Of two name keys where one spells the other in Latin letters (王伟 / wangwei; in
    Cantonese or Wade–Giles too: 陈大文 / chantaiman), the Chinese one; else None."""
    if not a or not b or a.isascii() == b.isascii():
        return None
    chinese, latin = (b, a) if a.isascii() else (a, b)
    if written_in_pinyin(latin, pinyin_key(chinese)) or spelt_in_romanisation(latin, chinese):
        return chinese
    return None


@lru_cache(maxsize=4096)
def _latin_spellings(pinyin: str) -> frozenset[str]:
    syllables = pinyin.replace("v", "u").split()
    forms = {"".join(syllables)}
    for surname in (1, 2)[: max(len(syllables) - 1, 0)]:
        forms.add("".join(syllables[surname:] + syllables[:surname]))
    return frozenset(forms)


# The sounds an input method's fuzzy pinyin (模糊音) takes for one another, and a
# southern accent with it: zh/z, ch/c, sh/s, n/l, f/h, r/l; -ang/-an, -eng/-en, -ing/-in.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def _fuzzy(reading: str) -> str:
    for long, short in _FUZZY_INITIALS:
        if reading.startswith(long):
            reading = short + reading[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if reading.endswith(long):
            return reading[: -len(long)] + short
    return reading


def fuzzy_pinyin_key(name: str) -> str | None:
    """``pinyin_key`` with each syllable read as fuzzy pinyin does (陈建国 and 程剑国 both
    "cen jian guo"): the names ``sounds_alike`` takes for one another, character by
    character, share it. None for names without Chinese characters."""
    reading = pinyin_key(name)
    return None if reading is None else " ".join(_fuzzy(s) for s in reading.split())


@lru_cache(maxsize=4096)
def sounds_alike(a: str, b: str) -> bool:
    """Whether two characters are read alike, toneless, under fuzzy pinyin (张/章, 林/凌,
    森/生): a slip typed by sound. True when either has no reading to tell by. Siblings'
    names differ in a character of another sound (子涵 / 子轩: the generation character
    shared), which is a different name, not a typo."""
    table = pinyin_table()
    if table is None:  # pragma: no cover - a pypinyin without its data file
        return True
    ra, rb = table.get(ord(a)), table.get(ord(b))
    if ra is None or rb is None:
        return True
    return ra == rb or _fuzzy(ra.rstrip()) == _fuzzy(rb.rstrip())


_ORG_PUNCT = re.compile(r"[\s()（）\[\]【】〔〕<>《》\"'“”‘’·•.,，。、:：;；\-—_/]+")
_ORG_PAREN = re.compile(r"[(（【\[〔][^)）】\]〕]*[)）】\]〕]")
_ORG_PREFIX = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,3}省)?(?:[\u4e00-\u9fff]{2,3}市)?"
    r"(?:[\u4e00-\u9fff]{1,3}(?<![社园小城])(?:自治县|县|区))?"
)
_ORG_WORDS = (
    ("有限责任公司", ""),
    ("有限公司", ""),
    ("社会工作", "社工"),
    ("服务中心", "中心"),
    ("服务站", "站"),
    ("居民委员会", "居委会"),
    ("村民委员会", "村委会"),
    ("委员会", "委"),
    ("联合会", "联"),
)


class _OrgKeys:
    """:func:`_org_key`'s results by county, then by name (no key tuple: see ``_Kept``)."""

    def __init__(self) -> None:
        self._by_county: dict[str | None, dict[str, str]] = {}

    def __call__(self, raw: str, county: str | None = None) -> str:
        """Organisation key: spelling variants of one organisation map to one string
        (:func:`_org_key`)."""
        results = self._by_county.get(county)
        if results is None:
            results = self._by_county[county] = {}
        found = results.get(raw)
        if found is None:
            if len(results) >= 100_000:
                results.clear()
            found = results[raw] = _org_key(raw, county)
        return found

    def cache_clear(self) -> None:
        self._by_county.clear()


def _org_key(raw: str, county: str | None = None) -> str:
    """Organisation key: spelling variants of one organisation map to one string.

    Drops whitespace, punctuation and parenthesised notes, converts to simplified, drops
    a leading province / city / county (and the record's own county), and shortens the
    usual long forms (社会工作服务中心 → 社工中心, 居民委员会 → 居委会 …).
    """
    text = to_simplified(unicodedata.normalize("NFKC", raw))
    text = _ORG_PUNCT.sub("", _ORG_PAREN.sub("", text))
    stripped = _ORG_PREFIX.sub("", text, count=1)
    if len(stripped) >= 3:
        text = stripped
    if county and text.startswith(county) and len(text) - len(county) >= 3:
        text = text[len(county) :]
    for long, short in _ORG_WORDS:
        text = text.replace(long, short)
    return text.casefold()


normalize_org = _OrgKeys()


@lru_cache(maxsize=100_000)
def org_text(raw: str) -> str:
    """An organisation's name as written, in simplified script without spaces,
    punctuation or parenthesised notes (nothing dropped or shortened)."""
    text = to_simplified(unicodedata.normalize("NFKC", raw))
    return _ORG_PUNCT.sub("", _ORG_PAREN.sub("", text)).casefold()


_COMMITTEE = re.compile(r"(.+?(?:社区|村))(?:居民委员会|居委会|村民委员会|村委会)")
_VILLAGE_COMMITTEE = re.compile(r"(.{2,}?)(?:村民委员会|村委会)")
_RESIDENTS_COMMITTEE = re.compile(r"(.{2,}?)(?:居民委员会|居委会)")  # 东风居委会: 东风社区
_ABOVE_COMMUNITY = re.compile(r".*(?:街道办事处|街道|镇|乡|区|县|市)(?=.{2,}(?:社区|村)$)")


@lru_cache(maxsize=100_000)
def committee_community(raw: str | None) -> str | None:
    """The community a residents' or villagers' committee serves, from its name
    (光安街道中山社区居民委员会 → 中山社区; 中东村村委会 → 中东村): a community worker's
    employer names the community other departments list them under. None for any
    other organisation."""
    if not raw:
        return None
    text = org_text(raw)
    found = _COMMITTEE.fullmatch(text)
    if found is not None:
        place = found.group(1)
    elif found := _VILLAGE_COMMITTEE.fullmatch(text):  # 泉望村委会: 泉望村 + 村委会
        place = found.group(1) + "村"
    elif found := _RESIDENTS_COMMITTEE.fullmatch(text):
        place = found.group(1) + "社区"
    else:
        return None
    return _ABOVE_COMMUNITY.sub("", place, count=1) or None


def community_key(community: str | None) -> str | None:
    """A community as the census blocks on it: its name without 社区 or 村, so that 东关社区,
    东关村 and a 社区（村） column's bare 东关 meet (``features.one_community`` then tells
    which of them are one place). A name that would keep one character keeps its word."""
    if not community:
        return None
    for word in ("社区", "村"):
        if community.endswith(word) and len(community) - len(word) >= 2:
            return community[: -len(word)]
    return community


_TOWNSHIP_END = re.compile(r"(?:[^县区市镇乡]+?(?:街道办事处|街道|镇|乡))$")


@lru_cache(maxsize=100_000)
def committee_township(raw: str | None) -> str | None:
    """The township a committee's full name places it in, as :func:`township_key` compares
    it (三岔镇龙泉村村民委员会 → 三岔; 光安街道办事处中山社区居民委员会 → 光安), or None where
    the name does not say (龙泉村村委会) or the organisation is no committee."""
    community = committee_community(raw)
    if community is None or not raw:
        return None
    text = org_text(raw)
    at = text.find(community)
    found = _TOWNSHIP_END.search(text[:at]) if at > 0 else None
    if found is None:
        return None
    return township_key(found.group(0))


# A township's government or street office as a unit (海城市腾鳌镇人民政府, 鸡街街道办事处).
_TOWNSHIP_GOVERNMENT = re.compile(r"([^县区市旗镇乡]{2,}?(?:镇|乡|街道))(?:人民政府|政府|办事处)$")


@lru_cache(maxsize=100_000)
def government_township(raw: str | None) -> str | None:
    """The township whose government (or street office) the organisation is, as
    :func:`township_key` compares it (海城市腾鳌镇人民政府 → 腾鳌), or None for any other
    organisation (腾鳌镇中心小学): its staff are in that township."""
    found = _TOWNSHIP_GOVERNMENT.search(org_text(raw)) if raw else None
    return township_key(found.group(1)) if found else None


@lru_cache(maxsize=100_000)
def region_name(raw: str | None) -> str | None:
    """A 区县 / 乡镇街道 / 社区村 name with spaces and script variants removed."""
    if not raw:
        return None
    text = "".join(to_simplified(unicodedata.normalize("NFKC", raw)).split())
    return text or None


_PEOPLES = (
    "蒙古|维吾尔|布依|朝鲜|土家|哈尼|哈萨克|傈僳|高山|拉祜|东乡|纳西|景颇|柯尔克孜"
    "|达斡尔|仫佬|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|乌孜别克|俄罗斯|鄂温克"
    "|德昂|保安|裕固|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
# A region's own name without the word for its kind, so that the forms one place is
# written in meet: 屏边苗族自治县 / 屏边县, 蒙自市 / 蒙自县 (a county that became a city);
# 鸡街街道办事处 / 鸡街街道 / 鸡街镇 (a town that became a subdistrict), 城关镇人民政府; an
# office's short forms (长风街办, 河庄镇政府); an
# autonomous county's peoples with or without 族 (木垒哈萨克自治县, 阿克塞哈萨克族自治县).
AUTONOMOUS = rf"(?:(?:(?:{_PEOPLES})族?|[回藏苗彝壮满侗瑶白黎傣佤畲水土羌怒京]族)+自治[县旗])"
_COUNTY_KIND = re.compile(rf"(.{{2,}}?)(?:{AUTONOMOUS}|自治[县旗]|[县区市旗])")
_TOWNSHIP_KIND = re.compile(
    r"(.{2,}?)(?:街道办事处|街道办|街办|街道|[镇乡](?:人民)?政府|镇|乡|苏木)"
)


# The prefecture (and province) a county is written under: 哈尔滨市松北区, 黑龙江省哈尔滨市阿城区.
_ABOVE_COUNTY = re.compile(r"^(?:.{2,3}省)?.{2,4}?(?:市|地区|自治州|州|盟)(?=.{2,}[县区市旗]$)")


@lru_cache(maxsize=20_000)
def county_key(raw: str | None) -> str | None:
    """A 区县 as compared: its own name (no prefecture before it) without 县 / 区 / 市 /
    …族自治县 (when two characters or more are left)."""
    name = region_name(raw)
    return _without_kind(_ABOVE_COUNTY.sub("", name) if name else name, _COUNTY_KIND)


@lru_cache(maxsize=20_000)
def township_key(raw: str | None) -> str | None:
    """A 乡镇街道 as compared: its name without 街道(办事处) / 镇 / 乡 / 人民政府."""
    return _without_kind(region_name(raw), _TOWNSHIP_KIND)


def _without_kind(name: str | None, kind: re.Pattern[str]) -> str | None:
    if not name:
        return None
    found = kind.fullmatch(name)
    return sys.intern(found.group(1)) if found else name


def warm_names() -> None:
    """Load the dictionaries names are compared with (OpenCC's, pinyin's): ~0.5 s, better
    spent off the event loop than at the first name compared."""
    name_key("劉")
    pinyin_key("刘")
