"""Tibetan and Yi names transcribed two ways (音译异写).

A Tibetan or Yi name is written in Chinese characters by its sound, and clerks transcribe
a syllable with different characters: རྡོ་རྗེ is 多杰 or 多吉, ཚེ་རིང 次仁 or 茨仁, ཚེ་རིང་ 才让
or 才仁, ལྷ་མོ 拉姆 or 拉毛; the Yi ꀉꉼ 阿呷 or 阿嘎, 尔古 or 尔果. Many pairs read alike
(扎西 / 扎喜) and :func:`.names.pinyin_key` already takes them for one name; the rest
differ in a vowel (jie / ji, rang / ren, mu / mao), which the census otherwise reads as a
character of another sound — another name, as siblings' names differ (陈子涵 / 陈子轩).
A clerk in a city that receives cadres from Tibetan and Yi areas reads them as one name:
the same name transcribed two ways, weighed as a homophone (same pinyin).

Only whole name-words of this table are read so (a two-character word written the other
way), never a single character: 张杰 and 张吉 stay two names.

Uyghur, Kazakh and Mongolian names (and long Tibetan ones) are transcribed the same way,
syllable by syllable, and no table holds them all: 吐尔逊 / 图尔荪, 加勒肯 / 加尔肯,
阿米娜 / 阿米乃, 别克 / 拜克, 额尔敦 / 额尔登, 巴特尔 / 巴图尔. A transcriber keeps each
syllable's consonant and writes its vowel as they hear it; :func:`transliterated_alike`
reads two names of four characters or more so (a Han name has two or three — four with a
surname of two, 欧阳文静 / 欧阳文军, which stay two names — and siblings' names differ in
a consonant: 阿依古丽 / 阿依努尔). Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shegong.kernel.data.names import pinyin_key

__all__ = ["transcribed_alike", "transliterated_alike"]

# Each group: the ways one name-word is commonly transcribed, the first taken as its form.
_GROUPS: tuple[tuple[str, ...], ...] = (
    # Tibetan
    ("多杰", "多吉", "朵杰"),
    ("才让", "才仁", "彩让"),
    ("次仁", "茨仁", "慈仁", "策仁"),
    ("泽仁", "泽让", "则仁"),
    ("扎西", "扎喜", "扎希", "札西"),
    ("卓玛", "卓嘛", "卓马"),
    ("拉姆", "拉毛", "拉母", "拉莫"),
    ("措姆", "措毛", "错毛"),
    ("旦增", "丹增", "单增"),
    ("央金", "阳金", "洋金"),
    ("洛桑", "罗桑"),
    ("索朗", "索南"),
    ("平措", "彭措", "平错", "彭错"),
    ("嘉措", "加措", "嘉错", "加错"),
    ("尼玛", "尼马"),
    ("达瓦", "达娃"),
    ("顿珠", "东珠", "敦珠"),
    ("益西", "益希", "伊西", "意西"),
    ("仁青", "仁钦"),
    ("次旦", "次丹"),
    ("桑吉", "桑杰"),
    ("白玛", "贝玛"),
    ("土登", "图登"),
    ("贡布", "公布"),
    ("群培", "群佩"),
    ("曲珍", "曲真"),
    # Yi (诺苏)
    ("阿呷", "阿嘎"),
    ("木呷", "木嘎"),
    ("尔古", "尔果"),
    ("伍各", "乌各"),
    ("阿依", "阿衣"),
    ("日火", "日伙"),
    ("阿芝", "阿支"),
    ("史妞", "石妞"),
)
_FORM = {variant: group[0] for group in _GROUPS for variant in group[1:]}
_WORDS = re.compile("|".join(sorted(_FORM, key=len, reverse=True)))


@lru_cache(maxsize=4096)
def _form(name: str) -> str:
    return _WORDS.sub(lambda m: _FORM[m.group(0)], name)


def transcribed_alike(a: str, b: str) -> bool:
    """``a`` and ``b`` (names as compared) are one name with a word of the table written
    another way (多杰德吉 / 多吉德吉); False for the same name or names of two lengths."""
    if a == b or len(a) != len(b):
        return False
    return _form(a) == _form(b)


# A syllable's consonant as transcribers hear it: x and sh for s (逊 / 荪), zh for z, ch
# for c, k for h (库安 / 胡安: the Kazakh q), f for p (玉素甫 / 玉素普: Yusup); y and w are
# no consonant (艾 / 阿, 依 / 伊).
_INITIALS: tuple[str, ...] = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g")
_INITIALS += ("k", "h", "j", "q", "x", "r", "z", "c", "s", "y", "w")
_HEARD = {"x": "s", "sh": "s", "zh": "z", "ch": "c", "k": "h", "f": "p", "y": "", "w": ""}


def _consonant(syllable: str) -> str:
    if syllable == "er":  # 尔 writes an r or an l after a vowel (加尔肯 / 加勒肯)
        return "r/l"
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return _HEARD.get(initial, initial)
    return ""


def _heard_alike(a: str, b: str) -> bool:
    ca, cb = _consonant(a), _consonant(b)
    return ca == cb or ("r/l" in (ca, cb) and bool({ca, cb} & {"r", "l"}))


# Surnames of two characters (复姓): a four-character name beginning with one is a Han name.
_TWO_CHARACTER_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 西门 南宫 "  # noqa: SIM905
    "独孤 轩辕 申屠 百里 呼延 万俟 闻人 澹台 公冶 太史 赫连 拓跋".split()
)


# The commonest Han surnames (about nine people in ten bear one): a three-character name
# that begins with none of them, and with the same character on both sides (巴特尔 /
# 巴图尔, 额尔敦 / 额尔登), is read as a transcribed name too; one that begins with one
# (王文静 / 王文军: twins) is a Han name, its characters of other sounds another name.
_HAN_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝冶撒者海"
)


def transliterated_alike(a: str, b: str, shortest: int = 4) -> bool:
    """``a`` and ``b`` (names as compared, of one length, ``shortest`` characters or more)
    are one transcribed name: each syllable keeps its consonant (its vowel heard another
    way), and at least half of them read the same. False for shorter names; a name known
    to be no Han name (the given name of a name in parts; three characters beginning
    alike with no common Han surname) may be shorter."""
    if len(a) == len(b) == 3 and a[0] == b[0] and a[0] not in _HAN_SURNAMES:
        shortest = 3
    if len(a) != len(b) or len(a) < shortest or a == b or a[:2] in _TWO_CHARACTER_SURNAMES:
        return False
    ra, rb = pinyin_key(a), pinyin_key(b)
    if ra is None or rb is None:
        return False
    sa, sb = ra.split(), rb.split()
    if len(sa) != len(a) or len(sb) != len(b):
        return False  # a character without a reading
    if not all(_heard_alike(x, y) for x, y in zip(sa, sb, strict=True)):
        return False
    return 2 * sum(x != y for x, y in zip(sa, sb, strict=True)) <= len(sa)
