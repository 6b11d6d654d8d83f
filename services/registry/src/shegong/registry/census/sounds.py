"""Names read alike through a character of two readings (多音字).

:func:`.names.pinyin_key` reads each character by its first reading; a name reads some
characters otherwise: 卜 is bo in 萝卜 but bǔ in a name, and 都 is dōu in 都是 but dū in
阿卜杜拉's other spelling 阿布都拉 (Abdulla). Two names of one length read alike when each
pair of their characters shares its first or second reading — a homophone written, as
the census weighs one (same pinyin); a second reading counts where a word reads the
character so, not where only the dictionary keeps it (英 yāng); the rarer third
readings (杜 tú, 单 shàn) are not counted. Pure; the table is read from pypinyin's own
data on the first use.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

from shegong.kernel.data.names import name_key, normalize_name
from shegong.registry.census.names import pinyin_key
from shegong.registry.census.transcriptions import transcribed_alike, transliterated_alike

__all__ = ["given_name_alike", "read_alike"]


def _toneless(reading: str) -> str:
    text = unicodedata.normalize("NFD", reading.strip()).replace("u\u0308", "v")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _second_readings() -> dict[str, str]:
    """Each character's second reading where it differs from its first, toneless (卜: bu;
    都: du), read once from pypinyin's ``pinyin_dict.json`` — and only where a word of its
    ``phrases_dict.json`` reads the character so (占卜, 首都): the dictionary also lists
    archaic readings no one reads a name by (英 yāng, 明 mèng, 平 pián, 浩 gǎo), which
    would make 魏英 and 魏阳, 李明 and 李梦 — a household's two members beside its one
    phone — the same sound. A few hundred characters."""
    spec = importlib.util.find_spec("pypinyin")  # without importing it (see .names)
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        return {}
    data = Path(next(iter(spec.submodule_search_locations)))
    try:
        readings_of: dict[str, str] = json.loads(
            (data / "pinyin_dict.json").read_text(encoding="utf-8")
        )
        phrases: dict[str, list[list[str]]] = json.loads(
            (data / "phrases_dict.json").read_text(encoding="utf-8")
        )
    except OSError:  # pragma: no cover - a pypinyin without its data files
        return {}
    read_in_words = {
        (ch, _toneless(readings[0]))
        for word, word_readings in phrases.items()
        if len(word) == len(word_readings)
        for ch, readings in zip(word, word_readings, strict=True)
        if readings
    }
    second: dict[str, str] = {}
    for code, readings in readings_of.items():
        parts = readings.split(",")
        if (
            len(parts) > 1
            and (other := _toneless(parts[1])) != _toneless(parts[0])
            and (ch := chr(int(code)), other) in read_in_words
        ):
            second[ch] = sys.intern(other)
    return second


def read_alike(a: str, b: str) -> bool:
    """``a`` and ``b`` (names as compared) read alike, a character of two readings read by
    either (阿卜杜拉 / 阿布都拉), or a Tibetan or Yi name-word transcribed another way
    (多杰 / 多吉: :mod:`.transcriptions`); False for names of two lengths or without Chinese."""
    if len(a) != len(b) or a == b:
        return False
    if transcribed_alike(a, b) or transliterated_alike(a, b):
        return True
    second = _second_readings()
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        first_x, first_y = pinyin_key(x), pinyin_key(y)
        if first_x is None or first_y is None:
            return False
        if not {first_x, second.get(x, first_x)} & {first_y, second.get(y, first_y)}:
            return False
    return True


_PARTS_DASH = re.compile(r"(?<=[\u3400-\u9fff])[-‐‑‒–—―⸺]{1,2}(?=[\u3400-\u9fff])")


@lru_cache(maxsize=4096)
def given_name(raw: str | None) -> str | None:
    """The first part of a name written in parts (阿依努尔·吾买尔: the given name, then the
    father's), as the key compares it: a volunteer list that writes the given name alone
    (阿依努尔) writes one person's name short, as a slip would — not another name. None
    for a name of one part, or a first part of one character."""
    if not raw:
        return None
    parts = _PARTS_DASH.sub("·", normalize_name(raw)).split("·")
    if len(parts) < 2 or len(first := name_key(parts[0])) < 2:
        return None
    return first


def given_name_alike(raw: str | None, name: str) -> bool:
    """``raw`` (a name as written) is in parts and ``name`` (as compared) writes its given
    name alone — as spelt there, or transcribed another way (热依罕·买合木提 / 热依汗;
    吐尔逊·艾山 / 吐尔孙: a given name in parts is no Han name, so even two or three
    characters are read as :func:`.transcriptions.transliterated_alike` reads them)."""
    given = given_name(raw)
    if given is None:
        return False
    if given == name or pinyin_key(given) == pinyin_key(name) or read_alike(given, name):
        return True
    return transliterated_alike(given, name, shortest=2)  # 吐尔逊·艾山 / 吐尔孙
