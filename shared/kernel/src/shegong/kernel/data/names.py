"""Personal names (姓名) as departments type them, and the one key every service compares.

One person's name arrives as 劉麗華, 刘　丽华, 刘丽华 or ｌｉｕ ｌｉｈｕａ; a minority or foreign
name as 阿依古丽·买买提, 阿依古丽 • 买买提 or 阿依古丽・买买提. Two forms:

* :func:`normalize_name` — the name as stored and shown: full-width letters and digits
  made ASCII (NFKC), invisible characters dropped, spaces between Chinese characters
  removed, the middle-dot variants (间隔号 · • ‧ ・ …) unified to ``·``. Script and case are
  kept: a worker registered as 劉麗華 is shown as 劉麗華.
* :func:`name_key` — the name as compared: :func:`normalize_name`, no whitespace at all,
  no middle dot (阿依古丽买买提 is how a form without the dot writes it), a clerk's note
  dropped (王伟(兼), 王伟（退休返聘）, 王伟* are 王伟), traditional characters converted to
  simplified (OpenCC ``t2s``), Latin case-folded.
  The census links records with it, and an import confirms that a row's name is the
  registered person's with it (the ID number or phone says who the row is).

OpenCC's dictionaries are loaded on the first conversion, not at import. Pure functions.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

from shegong.kernel.data.controls import CONTROL
from shegong.kernel.data.controls import INVISIBLE as _SHOWS_NOTHING

__all__ = [
    "TRADITIONAL_TO_SIMPLIFIED",
    "name_key",
    "normalize_name",
    "to_simplified",
]

# Invisible characters that copy-paste leaves in spreadsheets; str.isspace() misses them.
# Also the direction marks (LRM, RLM, ALM): nothing to see, and they reorder what follows.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u061c"))

_CJK = r"\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Middle-dot variants (间隔号) separating parts of ethnic-minority and transliterated names.
_DOTS = re.compile(r"[\u00b7\u2022\u2027\u30fb\u2219\u22c5\u2e31\u16eb]")
# A typed "." between Chinese characters is a middle dot too; Latin initials keep theirs.
# So is a "?" or "�" there: a middle dot a GBK file cannot hold (‧ •), written as the
# encoder's replacement when the sheet was saved as CSV (阿依达纳?别克).
_DOT_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]) ?[.?\ufffd] ?(?=[{_CJK}])")
# A dash or hyphen between Chinese characters is where a form without the middle dot put it
# (阿卜杜-热合曼, 阿卜杜—热合曼): compared as the dot is, left as written in the stored name.
_DASH_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[-‐‑‒–—―⸺]{{1,2}}(?=[{_CJK}])")
# A name cut by a system's field length ends where its parts met (海力其古丽. / 海力其古丽·):
# a dot at the start or end of a Chinese name separates nothing.
_DOT_AT_END = re.compile(rf"(?<=[{_CJK}])[.·]+$|^[.·]+(?=[{_CJK}])")
# Spaces go between CJK characters and around the middle dot; between Latin words one stays.
_SPACE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])|(?<=·) | (?=·)")


def normalize_name(raw: str) -> str:
    """Canonical name as stored: "张 三" → "张三", "阿依古丽 • 买买提" →
    "阿依古丽·买买提", "John   Smith" → "John Smith". Case and script are kept
    (compare names with :func:`name_key`)."""
    text = unicodedata.normalize("NFKC", raw).translate(INVISIBLE)
    # After NFKC, which makes the Hangul fillers U+3164 and U+FFA0 the filler U+1160.
    text = CONTROL.sub("", _SHOWS_NOTHING.sub("", text))
    text = " ".join(text.split())
    text = _DOT_BETWEEN_CJK.sub("·", _DOTS.sub("·", text))
    return _SPACE.sub("", text)


# Traditional → simplified for characters common in names, places and organisations:
# applied before OpenCC, and the whole conversion if OpenCC cannot be loaded.
_TRAD_SIMP_PAIRS = (
    "張张劉刘陳陈楊杨趙赵黃黄吳吴孫孙馬马羅罗鄭郑謝谢韓韩馮冯蕭萧鄧邓許许呂吕蘇苏盧卢蔣蒋"
    "賈贾葉叶閻阎鍾钟譚谭鄒邹陸陆顧顾龍龙萬万錢钱湯汤嚴严魯鲁韋韦賀贺龔龚聶聂齊齐喬乔"
    "偉伟麗丽華华軍军紅红剛刚強强傑杰濤涛靜静艷艳蘭兰鳳凤輝辉鵬鹏飛飞東东國国慶庆寧宁穎颖"
    "曉晓勝胜榮荣貴贵興兴發发潔洁雲云愛爱順顺義义禮礼儀仪寶宝蓮莲嬌娇瑩莹聰聪燁烨瑋玮韻韵"
    "綺绮鑫鑫惠惠婭娅倫伦廣广鋒锋銳锐錦锦鳴鸣濱滨勵励彥彦嵐岚藝艺靈灵夢梦慧慧紫紫琪琪"
    "會会務务區区縣县團团婦妇聯联殘残鎮镇鄉乡醫医學学協协陽阳潤润臨临隴陇衛卫員员鄰邻實实"
    "驗验職职業业啟启聖圣動动場场門门關关橋桥莊庄灣湾園园樂乐經经濟济開开設设農农鞏巩驛驿"
    "鈎钩稱称眾众與与溫温馨馨暉晖澤泽遠远長长壽寿幹干華华語语詩诗書书歡欢亞亚達达悅悦鹽盐結结"
    "營营誼谊賴赖鋪铺雞鸡齡龄內内"
)
TRADITIONAL_TO_SIMPLIFIED: dict[str, str] = {
    _TRAD_SIMP_PAIRS[i]: _TRAD_SIMP_PAIRS[i + 1]
    for i in range(0, len(_TRAD_SIMP_PAIRS), 2)
    if _TRAD_SIMP_PAIRS[i] != _TRAD_SIMP_PAIRS[i + 1]
}
_T2S_TABLE = str.maketrans(TRADITIONAL_TO_SIMPLIFIED)
# A clerk's note on a name cell: a bracketed remark, or a mark before or after the name.
_NOTE = re.compile(r"[(\[【〔][^)\]】〕]*[)\]】〕]|^[*※△▲★☆#]+|[*※△▲★☆#]+$")
# A name in characters beside its spelling in Latin letters, either way round and with
# or without brackets (spaces already gone): 陳大文CHANTAIMAN, 郭美俊(KUO,Mei-Chun),
# PanChengrong(潘诚荣), KevinTan(凯文·陈) — a Hong Kong (Cantonese), Taiwan (Wade–Giles),
# passport or English form a clerk added; the characters are the name.
_HAN_NAME = rf"[{_CJK}][{_CJK}·]+"
_LATIN = r"[A-Za-z]{2}[A-Za-z,.'\-]*"  # two letters or more: 王伟A is a namesake's mark
_WITH_SPELLING = re.compile(rf"(?P<a>{_HAN_NAME})\(?{_LATIN}\)?|{_LATIN}\((?P<b>{_HAN_NAME})\)")


@cache
def _opencc() -> Callable[[str], str] | None:
    try:
        import opencc  # OpenCC's t2s: the full traditional → simplified dictionary
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    convert: Callable[[str], str] = opencc.OpenCC("t2s").convert
    return convert


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC ``t2s``, loaded on the first call)."""
    text = text.translate(_T2S_TABLE)
    if text.isascii():
        return text
    convert = _opencc()
    return text if convert is None else str(convert(text))


@lru_cache(maxsize=200_000)
def name_key(raw: str) -> str:
    """The key two names are compared by: 劉　麗 華, 刘丽华 and "刘 丽华" are one key; so
    are ｚｈａｎｇ ｓａｎ and Zhang San. No whitespace at all, simplified characters, middle
    dots (and a dash typed for one between Chinese characters, or a dot a cut name ends
    with) and clerks' notes dropped, Latin letters case-folded; a name in characters
    beside its Latin spelling (陳大文 CHAN TAI MAN, Pan Chengrong (潘诚荣)) is the
    characters."""
    text = "".join(normalize_name(raw).split())
    if (spelt := _WITH_SPELLING.fullmatch(text)) is not None:
        text = spelt.group("a") or spelt.group("b")
    bare = _NOTE.sub("", text)
    text = _DASH_BETWEEN_CJK.sub("", _DOT_AT_END.sub("", bare or text).replace("·", ""))
    return to_simplified(text).casefold()


@lru_cache(maxsize=1)
def pinyin_table() -> dict[int, str] | None:
    """Each character's first reading, toneless (``ü`` as ``v``), from pypinyin's own
    dictionary: a table lookup per character instead of pypinyin's phrase segmentation
    (~1 ms a name). Built on the first name compared, not at import, from the package's
    ``pinyin_dict.json`` read directly: importing any pypinyin module runs its package's
    ``__init__``, which loads the 2.5 MB phrase dictionary the census never uses (≈ 0.1 s
    of a service's first census batch, and its memory for good)."""
    spec = importlib.util.find_spec("pypinyin")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    try:
        readings_of: dict[str, str] = json.loads(source.read_text(encoding="utf-8"))
    except OSError:  # pragma: no cover - a pypinyin without its data file
        return None
    table: dict[int, str] = {}
    for code, readings in readings_of.items():
        first = unicodedata.normalize("NFD", readings.split(",", 1)[0])
        first = first.replace("u\u0308", "v")
        # One string a reading, shared by its characters (415 readings for 41,923
        # characters: a string each cost ≈ 2 MB of every census process).
        reading = "".join(ch for ch in first if not unicodedata.combining(ch)) + " "
        table[int(code)] = sys.intern(reading)
    return table


# A few thousand names at a time (a record's own name, asked again while it is scored),
# not one a name of the census: on `today` 20,000 persons, 4,096 entries miss 140,630 of
# 655,127 calls against 16,139 (≈ 2 µs a miss), where each entry is ≈ 150 bytes.
@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> str | None:
    """Toneless pinyin of a normalised name (晓燕 and 小燕 both "xiao yan"): a clerk's
    homophone slip keeps its sound. None for names without Chinese characters."""
    table = pinyin_table()
    if table is None or name.isascii():
        return None
    return name.translate(table).rstrip()


def read_alike(written: str, registered: str) -> bool:
    """Whether a name as a sheet writes it is the registered one: the same as compared
    (:func:`name_key`), or — a clerk typing a photographed sheet up — with one character
    changed for one read alike (马小燕 for 马晓燕, 黄晓名 for 黄晓明). A character of
    another sound (陈子涵 / 陈子轩, twins' names) is another name."""
    a, b = name_key(written), name_key(registered)
    if a == b:
        return True
    if len(a) != len(b) or len(a) < 2:
        return False
    changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(changed) != 1:
        return False
    x, y = changed[0]
    sound_x, sound_y = pinyin_key(x), pinyin_key(y)
    return sound_x is not None and sound_x == sound_y
