"""The organisation's comparison (:func:`org_level`): the same unit written as each
department writes it — its key, an abbreviation (简称), a part of the other's name, the
name with its province and city dropped, a head written with a character of the same
sound — and the units that are two however alike their names: two counties' hospitals,
two villages' committees of one name in two townships."""

from __future__ import annotations

import re
from functools import lru_cache

from shegong.registry.census.features import Features, org_county
from shegong.registry.census.names import committee_community, pinyin_key

__all__ = ["ORG_ELSE", "org_level"]

ORG_ELSE = 3  # organisations that differ: a move, which takes the person elsewhere too


@lru_cache(maxsize=50_000)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset((text,))


def _abbreviates(short: str, long: str) -> bool:
    """``short`` is ``long``'s characters kept in order (a Chinese abbreviation, 简称),
    starting with the same character."""
    if len(short) < 3 or short[0] != long[0]:
        return False
    chars = iter(long)
    return all(ch in chars for ch in short)


_CITY = re.compile(r"[\u4e00-\u9fff]{2,4}?[省市]")


@lru_cache(maxsize=100_000)
def _city_dropped(text: str) -> str:
    """A unit's name without its leading province and city (山东省济南市), if 4+ are left."""
    while (found := _CITY.match(text)) and len(text) - found.end() >= 4:
        text = text[found.end() :]
    return text


def _committees(x: Features, y: Features) -> bool:
    return (
        committee_community(x.record.organization) is not None
        and committee_community(y.record.organization) is not None
    )


def org_level(x: Features, y: Features) -> int:
    a, b = x.org, y.org
    if not a or not b:
        return 0
    if _committees(x, y):
        # Two committees of villages of one name (龙泉村) in two townships, or in two
        # counties where a roster names no township: two employers.
        ta, tb = x.org_township or x.township, y.org_township or y.township
        if ta and tb and ta != tb:
            return ORG_ELSE
        if x.county and y.county and x.county != y.county:
            return ORG_ELSE
    ca, cb = org_county(x.record.organization), org_county(y.record.organization)
    if ca and cb and ca != cb:
        # 南岗区人民医院 and 平房区人民医院: one key once the county is dropped, two
        # hospitals (the first schools, the people's hospitals of every county).
        return ORG_ELSE
    if a == b:
        return 1
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if (len(short) >= 4 and short in long) or _abbreviates(short, long):
        return 2
    ta, tb = x.org_text, y.org_text
    if ta and tb and ta != tb:
        short, long = (ta, tb) if len(ta) < len(tb) else (tb, ta)
        if _abbreviates(short, long):
            return 2
        # Keys drop the county of 济南市章丘区第一中学, not 章丘区一中's: read them as written.
        if not (x.county and y.county and x.county != y.county):
            short, long = sorted((_city_dropped(ta), _city_dropped(tb)), key=len)
            if len(short) >= 4 and (short in long or _abbreviates(short, long)):
                return 2
    # Two names that end alike (社区居委会, 志愿服务队, 社工中心: the kind of unit) are told
    # apart by what comes before: 新华社区居委会 and 中华社区居委会 are two committees,
    # 爱心社工中心 and 同心社工中心 two agencies, however many bigrams their ending shares.
    # A head written with another character of the same sound (海滨 / 海宾) is a slip.
    ha, hb = _heads(a, b)
    if len(a) - len(ha) >= 2 and ha and hb:
        if ha == hb or pinyin_key(ha) == pinyin_key(hb):
            return 2
        a, b = ha, hb
    ga, gb = _bigrams(a), _bigrams(b)
    return 2 if 2 * len(ga & gb) / (len(ga) + len(gb)) >= 0.75 else 3


def _heads(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without the ending they share."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[: len(a) - n], b[: len(b) - n]
