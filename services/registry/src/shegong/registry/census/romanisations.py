"""Chinese names spelt in Latin letters other than by Mandarin pinyin.

A Hong Kong or Macau identity card spells a name by its Cantonese sound in the Hong Kong
Government romanisation (陳大文 CHAN TAI MAN, 黃 WONG, 梁 LEUNG, 張 CHEUNG, 伍 NG); a
Taiwanese passport and old documents by Wade–Giles (徐 HSU, 張 CHANG, 周 CHOU, 郭美俊
Kuo Mei-chun). A clerk reads such a spelling as the name in characters whenever each
syllable is a reading of its character: the same name spelt, weighed as pinyin is
(:data:`.comparison.NAME_PINYIN`).

Readings come from published tables: the Hong Kong Government romanisation of each
character (``cantonese-romanisation``, keyed by traditional characters: a name key is
simplified, so it is read through OpenCC ``s2t`` too) and pypinyin's Wade–Giles.
The surname may be spelt in one system and the given name in another (a Hongkonger's
surname on an old card beside a given name in pinyin); the given name is spelt in one.
Pure.
"""

from __future__ import annotations

import json
import pkgutil
from functools import lru_cache

import opencc
from pypinyin import Style, pinyin

__all__ = ["spelt_in_romanisation"]

_S2T = opencc.OpenCC("s2t")
_TABLE = "data/charToRoman.json"  # in cantonese-romanisation's ``cantoroman``


@lru_cache(maxsize=1)
def _cantonese() -> dict[str, list[str]]:
    # The package's table of character → HK Government romanisations, read on its own:
    # ``cantoroman.Cantonese()`` loads all six of its tables (11 MB against 2).
    table: dict[str, list[str]] = json.loads(pkgutil.get_data("cantoroman", _TABLE) or b"{}")
    return table


def _clean(reading: str) -> str:
    # Wade–Giles apostrophes and hyphens go (ch'en → chen), ü is written u (hsü → hsu).
    return "".join(ch for ch in reading.replace("ü", "u").replace("v", "u") if ch.isalpha())


@lru_cache(maxsize=8192)
def _readings(char: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The character's readings: Mandarin pinyin, Wade–Giles, Cantonese (HK Government)."""
    mandarin = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    wade = pinyin(char, style=Style.WADEGILES, heteronym=True, errors="ignore")
    table = _cantonese()
    canto = [table.get(form, []) for form in {char, _S2T.convert(char)}]
    return tuple(  # type: ignore[return-value]
        frozenset(_clean(r) for rs in readings for r in rs) - {""}
        for readings in (mandarin, wade, canto)
    )


def _spells(text: str, chars: str, system: int | None) -> bool:
    """``text`` is ``chars`` read one syllable each, in ``system`` (None: any)."""
    if not chars:
        return not text
    options = _readings(chars[0])
    pool = options if system is None else (options[system],)
    return any(
        text.startswith(r) and _spells(text[len(r) :], chars[1:], system)
        for readings in pool
        for r in readings
    )


def _spelt(text: str, surname: str, given: str) -> bool:
    """``text`` is the surname (any system) then the given name (one system), or the
    given name then the surname."""
    for n in range(1, len(text)):
        for piece, rest in ((text[:n], text[n:]), (text[-n:], text[:-n])):
            if _spells(piece, surname, None) and any(_spells(rest, given, s) for s in range(3)):
                return True
    return False


@lru_cache(maxsize=4096)
def spelt_in_romanisation(latin: str, chinese: str) -> bool:
    """Whether ``latin`` (a name key in Latin letters, run together: chantaiman,
    kuomei-chun) spells the Chinese name key ``chinese`` (陈大文, 郭美俊) in pinyin,
    Wade–Giles or Cantonese, surname first or last (a two-character surname too)."""
    latin = latin.replace("-", "").replace("'", "")  # Mei-chun, Ch'en
    if not latin or not chinese or not latin.isascii() or not latin.isalpha():
        return False
    if chinese.isascii() or not 2 <= len(chinese) <= 4:
        return False
    return any(_spelt(latin, chinese[:n], chinese[n:]) for n in (1, 2) if n < len(chinese))
