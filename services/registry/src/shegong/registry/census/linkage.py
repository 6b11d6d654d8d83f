"""Record linkage for the city census (应统尽统、不漏不重): one person per human.

Pure and incremental: ``Linker.add`` / ``update`` / ``remove`` / ``decide`` each return the
``Link`` / ``Unlink`` / ``Review`` decisions they caused, so a census that stores them as
events can be replayed and explained. The engine sees privacy-preserving records only
(``CensusRecord``: keyed hashes and masked forms, never a raw ID number or phone).

How a partition is made
-----------------------
* **Blocking.** A record is compared only with records sharing a block key: valid-ID hash;
  (name, birth date); phone hash; (masked-ID fragment, birth date); (name, masked-ID
  fragment); (name, organisation). Never all pairs.
* **Pair rules.** Each compared pair gets a link edge (a named rule, a score and the evidence:
  which fields agreed, disagreed or were missing), a review edge, or nothing (``_compare``).
  Two different valid IDs, or different birth dates, sexes or masked-ID fragments (beyond
  one mistyped character per invalid number) rule a pair out. Otherwise, with equal
  normalised names:

  ======================== ============================================ ==================
  rule                     evidence required                            name frequency
  ======================== ============================================ ==================
  same-valid-id            same valid-ID hash (decisive; names ignored) any
  id-typo+name+birth       birth date + masked-ID fragment equal/near   any
  name+birth+phone         birth date + phone                           any
  name+birth+org+region    birth date + organisation + region           any
  name+birth+community     birth date + same community                  unique, shared
  name+phone               phone (a birth date missing)                 unique
  name+id-fragment+sex     exact fragment + sex (a birth date missing)  unique
  name+org+region          organisation + region (a birth date missing) unique
  name+phone+id-fragment   phone + fragment (a birth date missing)      shared
  name+phone+org+region    phone + org + region (a birth date missing)  shared
  ======================== ============================================ ==================

  Review: "same name and birth date only"; "shared name without birth date" (a common or
  shared name with a phone, organisation or fragment but no birth date); "id fragment and
  birth date agree, names differ". A name's frequency is *common* (``COMMON_NAMES``, China's
  most frequent names: never linked without a birth date), *shared* (this census holds it
  on two different valid IDs or birth dates), or *unique*.
* **Constrained clustering.** Within each connected component of the link graph, clerks'
  "same" decisions are applied first, then link edges by descending score (ties by key);
  a union is refused when it would put two different valid-ID hashes, or a pair a clerk
  declared "not same", into one person. A refused edge goes to the review queue.

The partition is therefore a function of the current records and decisions, whatever
order they arrived in. Each operation re-clusters only the components it touched.
A person's id is the smallest record key in it (deterministic, so replay gives the same
ids; it changes when a person absorbs a record with a smaller key).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple, TypeAlias

from shegong.kernel.identity import normalize_name

__all__ = [
    "COMMON",
    "COMMON_NAMES",
    "RULE_SCORES",
    "SHARED",
    "TRADITIONAL_TO_SIMPLIFIED",
    "UNIQUE",
    "CensusConflict",
    "CensusRecord",
    "Decision",
    "Link",
    "Linker",
    "Review",
    "Unlink",
    "compare",
    "id_fragment",
    "normalize_org",
    "normalize_person_name",
]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class CensusRecord:
    """One department's roster row as the census sees it (no raw personal data)."""

    key: str  # "department:record_key", unique per record
    department: str
    name: str  # as reported: may be traditional, with stray or full-width spaces
    id_hash: str | None = None  # keyed hash of a VALID 18-char ID number
    id_masked: str | None = None  # 620102********123X, of what was reported (valid or not)
    birth_date: date | None = None
    sex: str | None = None  # "male" / "female"
    phone_hash: str | None = None
    organization: str | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """Records ``a`` and ``b`` are the same person, by ``rule`` (``"clerk"`` for a human)."""

    a: str
    b: str
    rule: str
    evidence: dict[str, Any] = field(hash=False)
    score: float


@dataclass(frozen=True, slots=True)
class Unlink:
    """A link between ``a`` and ``b`` no longer holds; ``rule`` is the link's, ``reason`` why."""

    a: str
    b: str
    rule: str
    reason: str
    evidence: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Review:
    """The rules cannot decide whether ``a`` and ``b`` are one person: a clerk should."""

    a: str
    b: str
    reason: str
    evidence: dict[str, Any] = field(hash=False)
    score: float


Decision: TypeAlias = Link | Unlink | Review


class CensusConflict(ValueError):
    """A clerk's "same" decision would make two different valid ID numbers one person."""


# Scores order the clustering (higher first); a clerk's "same" goes before all of them.
RULE_SCORES: dict[str, float] = {
    "same-valid-id": 1.0,
    "id-typo+name+birth": 0.97,
    "name+birth+phone": 0.95,
    "name+birth+org+region": 0.9,
    "name+birth+community": 0.87,
    "name+phone+id-fragment": 0.86,
    "name+phone": 0.85,
    "name+phone+org+region": 0.84,
    "name+id-fragment+sex": 0.8,
    "name+org+region": 0.75,
}
REVIEW_SCORES: dict[str, float] = {
    "same name and birth date only": 0.6,
    "shared name without birth date": 0.5,
    "id fragment and birth date agree, names differ": 0.5,
}

# The most frequent full names in China (全国姓名报告): sharing one of these is no evidence.
COMMON_NAMES: frozenset[str] = frozenset(
    "张伟 王伟 王芳 李伟 李娜 张敏 李静 王静 刘伟 王秀英 张丽 李秀英 王丽 张静 张秀英 李强 "  # noqa: SIM905
    "王敏 李敏 王磊 刘洋 王艳 王勇 李军 张勇 李杰 张杰 张磊 王强 李娟 王军 张艳 张涛 王涛 "
    "李艳 王超 李明 李勇 王娟 刘杰 刘敏 李霞 李丽 张军 王杰 张强 王秀兰 王刚 王平 刘芳 张燕 "
    "刘军 张平 陈静 刘丽 王霞 李平 张婷 王玲 刘静 陈伟".split()
)


# --------------------------------------------------------------------------- normalisation

# Traditional → simplified for characters common in names, places and organisations: the
# fallback when OpenCC is not installed (and applied before it when it is).
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


def _load_t2s() -> Callable[[str], str]:
    try:
        import opencc  # OpenCC's t2s: the full traditional → simplified dictionary
    except ImportError:  # pragma: no cover - depends on the environment
        return lambda text: text.translate(_T2S_TABLE)
    converter = opencc.OpenCC("t2s")

    def convert(text: str) -> str:
        text = text.translate(_T2S_TABLE)
        return text if text.isascii() else str(converter.convert(text))

    return convert


to_simplified: Callable[[str], str] = _load_t2s()


@lru_cache(maxsize=200_000)
def normalize_person_name(raw: str) -> str:
    """Name key for matching: NFKC, no whitespace at all (incl. full-width), simplified
    characters, middle dots unified (``normalize_name``), Latin letters case-folded."""
    text = normalize_name(raw)
    text = "".join(text.split())
    return to_simplified(text).casefold()


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


@lru_cache(maxsize=100_000)
def normalize_org(raw: str, county: str | None = None) -> str:
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


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def _org_agreement(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "agree"
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and short in long:
        return "similar"
    ga, gb = _bigrams(a), _bigrams(b)
    dice = 2 * len(ga & gb) / (len(ga) + len(gb))
    return "similar" if dice >= 0.75 else "disagree"


@lru_cache(maxsize=100_000)
def _region_name(raw: str | None) -> str | None:
    if not raw:
        return None
    text = "".join(to_simplified(unicodedata.normalize("NFKC", raw)).split())
    return text or None


def id_fragment(masked: str | None) -> str | None:
    """The visible part of a masked 18-char ID (first 6 + last 4), or None."""
    if not masked or len(masked) != 18 or masked[6:14] != "********":
        return None
    return (masked[:6] + masked[14:]).upper()


# --------------------------------------------------------------------------- comparison


class _Rec:
    """A record with its matching features computed once."""

    __slots__ = (
        "birth",
        "blocks",
        "community",
        "county",
        "frag",
        "id_hash",
        "key",
        "name",
        "org",
        "phone",
        "record",
        "sex",
        "township",
    )

    def __init__(self, record: CensusRecord) -> None:
        self.record = record
        self.key = record.key
        self.name = normalize_person_name(record.name)
        self.id_hash = record.id_hash or None
        self.frag = id_fragment(record.id_masked)
        self.birth = record.birth_date
        self.sex = record.sex or None
        self.phone = record.phone_hash or None
        self.county = _region_name(record.county)
        self.township = _region_name(record.township)
        self.community = _region_name(record.community)
        self.org = (
            (normalize_org(record.organization, self.county) or None)
            if record.organization
            else None
        )
        blocks: list[tuple[Any, ...]] = []
        if self.id_hash:
            blocks.append(("i", self.id_hash))
        if self.name:
            if self.birth:
                blocks.append(("nb", self.name, self.birth))
            if self.frag:
                blocks.append(("nf", self.name, self.frag))
            if self.org:
                blocks.append(("no", self.name, self.org))
        if self.phone:
            blocks.append(("p", self.phone))
        if self.frag and self.birth:
            blocks.append(("fb", self.frag, self.birth))
        self.blocks = tuple(blocks)


class _Edge(NamedTuple):
    link: bool  # True: a link edge; False: a review edge
    rule: str  # the rule (link) or the reason (review)
    score: float
    evidence: dict[str, Any]


def _agree(a: object, b: object) -> str:
    if a is None or b is None:
        return "missing"
    return "agree" if a == b else "disagree"


def _frag_agreement(x: _Rec, y: _Rec) -> str:
    """Masked-ID fragments: "near" allows one mistyped visible character per invalid side."""
    a, b = x.frag, y.frag
    if a is None or b is None:
        return "missing"
    if a == b:
        return "agree"
    diff = sum(1 for p, q in zip(a, b, strict=True) if p != q)
    typos = (x.id_hash is None) + (y.id_hash is None)
    return "near" if diff <= typos else "disagree"


def _region_agreement(x: _Rec, y: _Rec) -> str:
    agreed = False
    for a, b in ((x.county, y.county), (x.township, y.township), (x.community, y.community)):
        if a and b:
            if a != b:
                return "disagree"
            agreed = True
    return "agree" if agreed else "missing"


def _evidence(x: _Rec, y: _Rec, **known: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "id": _agree(x.id_hash, y.id_hash),
        "id_fragment": _frag_agreement(x, y),
        "name": "agree" if x.name == y.name else "disagree",
        "birth_date": _agree(x.birth, y.birth),
        "sex": _agree(x.sex, y.sex),
        "phone": _agree(x.phone, y.phone),
        "organization": _org_agreement(x.org, y.org),
        "region": _region_agreement(x, y),
    }
    ev.update(known)
    return ev


def _link(rule: str, x: _Rec, y: _Rec, **known: Any) -> _Edge:
    return _Edge(True, rule, RULE_SCORES[rule], _evidence(x, y, **known))


def _review(reason: str, x: _Rec, y: _Rec, **known: Any) -> _Edge:
    return _Edge(False, reason, REVIEW_SCORES[reason], _evidence(x, y, **known))


# How much a shared name says. COMMON: one of China's most frequent names (COMMON_NAMES):
# never linked without a birth date. SHARED: this census holds the name on two different
# valid IDs or birth dates. UNIQUE: neither.
UNIQUE, SHARED, COMMON = "unique", "shared", "common"


def _compare(x: _Rec, y: _Rec, frequency: str) -> _Edge | None:
    """The edge between two records; ``frequency`` is that of their name (when equal)."""
    if x.id_hash is not None and y.id_hash is not None:
        if x.id_hash == y.id_hash:
            return _link("same-valid-id", x, y)
        return None  # two different valid ID numbers are never one person
    # Conflicts: facts that, when both known, say "different humans".
    if x.birth is not None and y.birth is not None and x.birth != y.birth:
        return None
    if x.sex is not None and y.sex is not None and x.sex != y.sex:
        return None
    frag = _frag_agreement(x, y)
    if frag == "disagree":
        return None
    birth = x.birth is not None and x.birth == y.birth
    if x.name != y.name:
        if birth and frag == "agree":
            return _review("id fragment and birth date agree, names differ", x, y)
        return None
    phone = x.phone is not None and x.phone == y.phone
    region = _region_agreement(x, y)
    if birth:
        if frag != "missing":
            return _link("id-typo+name+birth", x, y, name_frequency=frequency)
        if phone:
            return _link("name+birth+phone", x, y, name_frequency=frequency)
        if region == "agree" and _org_agreement(x.org, y.org) in ("agree", "similar"):
            return _link("name+birth+org+region", x, y, name_frequency=frequency)
        if frequency != COMMON and x.community is not None and x.community == y.community:
            return _link("name+birth+community", x, y, name_frequency=frequency)
        return _review("same name and birth date only", x, y, name_frequency=frequency)
    # A birth date is missing: a name needs more; a shared name two identifiers; a common
    # name a clerk.
    org_region = x.org is not None and x.org == y.org and region == "agree"
    if frequency == UNIQUE:
        if phone:
            return _link("name+phone", x, y, name_frequency=frequency)
        if frag == "agree" and x.sex is not None and x.sex == y.sex:
            return _link("name+id-fragment+sex", x, y, name_frequency=frequency)
        if org_region:
            return _link("name+org+region", x, y, name_frequency=frequency)
        return None
    if frequency == SHARED and phone:
        if frag != "missing":
            return _link("name+phone+id-fragment", x, y, name_frequency=frequency)
        if org_region:
            return _link("name+phone+org+region", x, y, name_frequency=frequency)
    if phone or org_region or frag == "agree":
        return _review("shared name without birth date", x, y, name_frequency=frequency)
    return None


def compare(x: CensusRecord, y: CensusRecord, *, frequency: str | None = None) -> Decision | None:
    """What the rules say about two records alone: a ``Link``, a ``Review`` or nothing.

    ``frequency`` is that of their name: ``"unique"``, ``"shared"`` (a ``Linker`` has seen
    it on different humans) or ``"common"``; by default common if in ``COMMON_NAMES``.
    """
    rx, ry = _Rec(x), _Rec(y)
    if frequency is None:
        frequency = COMMON if rx.name in COMMON_NAMES else UNIQUE
    edge = _compare(rx, ry, frequency)
    if edge is None:
        return None
    if edge.link:
        return Link(x.key, y.key, edge.rule, edge.evidence, edge.score)
    return Review(x.key, y.key, edge.rule, edge.evidence, edge.score)


# --------------------------------------------------------------------------- the linker


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def _union(parent: dict[str, str], a: str, b: str) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[rb] = ra


def _increment(stats: dict[str, Counter[Any]], name: str, value: object) -> None:
    counter = stats.get(name)
    if counter is None:
        stats[name] = Counter((value,))
    else:
        counter[value] += 1


def _decrement(stats: dict[str, Counter[Any]], name: str, value: object) -> None:
    counter = stats[name]
    counter[value] -= 1
    if counter[value] <= 0:
        del counter[value]
    if not counter:
        del stats[name]


class Linker:
    """Incremental census linkage: records in, persons out, every change a decision."""

    def __init__(self, *, common_names: Iterable[str] = COMMON_NAMES) -> None:
        self._common_static = frozenset(normalize_person_name(n) for n in common_names)
        self._recs: dict[str, _Rec] = {}
        self._blocks: dict[tuple[Any, ...], set[str]] = {}
        self._by_name: dict[str, set[str]] = {}
        self._name_ids: dict[str, Counter[str]] = {}
        self._name_births: dict[str, Counter[date]] = {}
        self._links: dict[str, dict[str, _Edge]] = {}
        self._reviews: dict[str, dict[str, _Edge]] = {}
        self._same: dict[str, set[str]] = {}  # clerks' "same", over all keys ever decided
        self._not_same: dict[str, set[str]] = {}
        self._decided: dict[tuple[str, str], tuple[bool, str]] = {}
        self._person: dict[str, str] = {}
        self._members: dict[str, set[str]] = {}
        self._active: dict[str, dict[str, Link]] = {}
        self._queue: dict[tuple[str, str], Review] = {}
        self._queue_by_key: dict[str, set[tuple[str, str]]] = {}
        # What changed since the last drain_changes(): for a store that mirrors the state.
        self._changed_keys: set[str] = set()
        self._changed_pairs: set[tuple[str, str]] = set()

    # ---------------------------------------------------------------- queries

    def __len__(self) -> int:
        return len(self._recs)

    def __contains__(self, key: object) -> bool:
        return key in self._recs

    def record(self, key: str) -> CensusRecord:
        return self._recs[key].record

    def person_of(self, key: str) -> str:
        """The person a record belongs to (its id is the person's smallest record key)."""
        return self._person[key]

    def persons(self) -> dict[str, set[str]]:
        return {pid: set(keys) for pid, keys in self._members.items()}

    def links(self, key: str) -> list[Link]:
        """The links that hold ``key`` in its person, with their rules and evidence."""
        return sorted(self._active.get(key, {}).values(), key=lambda link: (link.a, link.b))

    def review_queue(self) -> list[Review]:
        return [self._queue[pair] for pair in sorted(self._queue)]

    def decisions(self) -> dict[tuple[str, str], tuple[bool, str]]:
        """Clerks' decisions: (a, b) with a < b → (same, by)."""
        return dict(self._decided)

    def drain_changes(self) -> tuple[set[str], set[tuple[str, str]]]:
        """Records whose person may have changed, and review pairs that may have entered or
        left the queue, since the last call (a superset: check ``person_of``/``in_queue``)."""
        keys, pairs = self._changed_keys, self._changed_pairs
        self._changed_keys, self._changed_pairs = set(), set()
        return keys, pairs

    def in_queue(self, pair: tuple[str, str]) -> Review | None:
        return self._queue.get(_pair(*pair))

    def name_frequency(self, name: str) -> str:
        """``"common"`` (COMMON_NAMES), ``"shared"`` (seen on different humans) or
        ``"unique"``."""
        return self._frequency(normalize_person_name(name))

    # ---------------------------------------------------------------- commands

    def add(self, record: CensusRecord) -> list[Decision]:
        if record.key in self._recs:
            raise KeyError(f"record {record.key} is already in the census; use update()")
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([rec.name])
        self._insert(rec)
        dirty = {rec.key} | self._flipped(before)
        touched = self._touch(dirty)
        for key in dirty:
            self._rescore(key)
        return self._recluster(self._component(touched), removed=set())

    def update(self, record: CensusRecord) -> list[Decision]:
        old = self._recs.get(record.key)
        if old is None:
            raise KeyError(f"record {record.key} is not in the census")
        if old.record == record:
            return []
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([old.name, rec.name])
        touched = self._touch({rec.key})
        self._delete(old)
        self._insert(rec)
        dirty = {rec.key} | self._flipped(before)
        touched |= self._touch(dirty)
        for key in dirty:
            self._rescore(key)
        return self._recluster(self._component(touched), removed=set())

    def remove(self, key: str) -> list[Decision]:
        old = self._recs.get(key)
        if old is None:
            raise KeyError(f"record {key} is not in the census")
        before = self._commonness([old.name])
        touched = self._touch({key})
        self._delete(old)
        self._drop_edges(key)
        dirty = self._flipped(before)
        touched |= self._touch(dirty)
        for other in dirty:
            self._rescore(other)
        touched.discard(key)
        return self._recluster(self._component(touched), removed={key})

    def decide(self, a: str, b: str, same: bool, by: str) -> list[Decision]:
        """A clerk's decision on a pair; it holds through later updates and imports.

        "Not same" keeps the two records in different persons for good. "Same" keeps them
        in one person; it raises ``CensusConflict`` if that would join two different valid
        ID numbers, or contradict an earlier "not same" between records linked by clerks.
        """
        if a == b:
            raise ValueError("a decision needs two different records")
        for key in (a, b):
            if key not in self._recs:
                raise KeyError(f"record {key} is not in the census")
        pair = _pair(a, b)
        previous = self._decided.get(pair)
        if previous is not None and previous[0] == same:
            self._decided[pair] = (same, by)
            return []
        touched = self._touch({a, b})
        self._forget_decision(pair)
        try:
            if same:
                self._check_clerk_links({}, extra_same=pair)
            elif b in self._same_closure({a}):
                raise CensusConflict(
                    f"{a} and {b} are joined by other clerks' 'same' decisions; revise those first"
                )
        except CensusConflict:
            if previous is not None:
                self._remember_decision(pair, *previous)
            raise
        self._remember_decision(pair, same, by)
        return self._recluster(self._component(touched), removed=set())

    # ---------------------------------------------------------------- internals: state

    def _frequency(self, name: str) -> str:
        if name in self._common_static:
            return COMMON
        ids = self._name_ids.get(name)
        if ids is not None and len(ids) >= 2:
            return SHARED
        births = self._name_births.get(name)
        return SHARED if births is not None and len(births) >= 2 else UNIQUE

    def _commonness(self, names: Iterable[str]) -> dict[str, str]:
        return {name: self._frequency(name) for name in names}

    def _flipped(self, before: Mapping[str, str]) -> set[str]:
        """Records whose edges must be recomputed because their name's frequency changed."""
        dirty: set[str] = set()
        for name, was in before.items():
            if self._frequency(name) != was:
                dirty |= self._by_name.get(name, set())
        return dirty

    def _insert(self, rec: _Rec) -> None:
        self._recs[rec.key] = rec
        for block in rec.blocks:
            bucket = self._blocks.get(block)
            if bucket is None:
                self._blocks[block] = {rec.key}
            else:
                bucket.add(rec.key)
        same_name = self._by_name.get(rec.name)
        if same_name is None:
            self._by_name[rec.name] = {rec.key}
        else:
            same_name.add(rec.key)
        if rec.id_hash:
            _increment(self._name_ids, rec.name, rec.id_hash)
        if rec.birth:
            _increment(self._name_births, rec.name, rec.birth)

    def _delete(self, rec: _Rec) -> None:
        del self._recs[rec.key]
        for block in rec.blocks:
            bucket = self._blocks[block]
            bucket.discard(rec.key)
            if not bucket:
                del self._blocks[block]
        names = self._by_name[rec.name]
        names.discard(rec.key)
        if not names:
            del self._by_name[rec.name]
        if rec.id_hash:
            _decrement(self._name_ids, rec.name, rec.id_hash)
        if rec.birth:
            _decrement(self._name_births, rec.name, rec.birth)

    def _drop_edges(self, key: str) -> None:
        for edges in (self._links, self._reviews):
            for other in edges.pop(key, {}):
                del edges[other][key]

    def _rescore(self, key: str) -> None:
        """Recompute every edge of ``key`` against the records sharing a block with it."""
        self._drop_edges(key)
        rec = self._recs[key]
        candidates: set[str] = set()
        for block in rec.blocks:
            candidates |= self._blocks[block]
        candidates.discard(key)
        links = self._links.setdefault(key, {})
        reviews = self._reviews.setdefault(key, {})
        freq = self._frequency(rec.name)
        recs = self._recs
        for other_key in candidates:
            other = recs[other_key]
            edge = _compare(rec, other, freq) if key < other_key else _compare(other, rec, freq)
            if edge is None:
                continue
            if edge.link:
                links[other_key] = edge
                self._links.setdefault(other_key, {})[key] = edge
            else:
                reviews[other_key] = edge
                self._reviews.setdefault(other_key, {})[key] = edge

    def _touch(self, keys: Iterable[str]) -> set[str]:
        """``keys`` and everything their clusters may currently depend on."""
        out: set[str] = set()
        for key in keys:
            out.add(key)
            out.update(self._links.get(key, ()))
            out.update(self._same.get(key, ()))
            pid = self._person.get(key)
            if pid is not None:
                out.update(self._members[pid])
        return out

    def _component(self, seeds: Iterable[str]) -> set[str]:
        """The union of the link-graph components (link edges + clerks' "same") of seeds."""
        recs, links, same = self._recs, self._links, self._same
        seen: set[str] = set()
        stack = [key for key in seeds if key in recs]
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            for other in links.get(key, ()):
                if other not in seen:
                    stack.append(other)
            for other in same.get(key, ()):
                if other not in seen and other in recs:
                    stack.append(other)
        return seen

    def _same_closure(self, start: set[str], extra: tuple[str, str] | None = None) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            stack.extend(self._same.get(key, ()))
            if extra is not None and key in extra:
                stack.append(extra[1] if key == extra[0] else extra[0])
        return seen

    def _check_clerk_links(
        self, id_hashes: Mapping[str, str | None], extra_same: tuple[str, str] | None = None
    ) -> None:
        """Refuse a state where clerks' "same" decisions join different valid IDs."""
        starts = set(id_hashes) | set(extra_same or ())
        closure = self._same_closure(starts, extra=extra_same)
        if len(closure) < 2:
            return
        hashes: set[str] = set()
        for key in closure:
            if key in id_hashes:
                value = id_hashes[key]
            else:
                rec = self._recs.get(key)
                value = rec.id_hash if rec is not None else None
            if value:
                hashes.add(value)
        if len(hashes) > 1:
            raise CensusConflict(
                "a clerk's 'same' decision would make records with different valid ID numbers "
                f"one person ({', '.join(sorted(closure))})"
            )
        if extra_same is not None:
            for key in closure:
                if self._not_same.get(key, set()) & closure:
                    raise CensusConflict(
                        f"{extra_same[0]} and {extra_same[1]}: 'same' contradicts a clerk's "
                        "earlier 'not same' between records it would join"
                    )

    def _remember_decision(self, pair: tuple[str, str], same: bool, by: str) -> None:
        a, b = pair
        self._decided[pair] = (same, by)
        target = self._same if same else self._not_same
        target.setdefault(a, set()).add(b)
        target.setdefault(b, set()).add(a)

    def _forget_decision(self, pair: tuple[str, str]) -> None:
        previous = self._decided.pop(pair, None)
        if previous is None:
            return
        target = self._same if previous[0] else self._not_same
        a, b = pair
        for x, y in ((a, b), (b, a)):
            partners = target.get(x)
            if partners is not None:
                partners.discard(y)
                if not partners:
                    del target[x]

    # ---------------------------------------------------------------- internals: clustering

    def _recluster(self, keys: set[str], removed: set[str]) -> list[Decision]:
        """Re-partition ``keys`` (whole link components) and return what changed."""
        recs, person, members, active = self._recs, self._person, self._members, self._active
        # Old persons of these keys lie inside them (plus removed keys), by construction.
        old_pids = {person[k] for k in keys | removed if k in person}
        for pid in old_pids:
            keys.update(m for m in members[pid] if m in recs)
        everything = keys | removed
        self._changed_keys |= everything
        old_links: dict[tuple[str, str], Link] = {}
        for key in everything:
            for link in active.get(key, {}).values():
                old_links[(link.a, link.b)] = link

        clerk_pairs: list[tuple[str, str]] = []
        edges: list[tuple[float, str, str, _Edge]] = []
        for key in keys:
            for other in self._same.get(key, ()):
                if key < other and other in recs:
                    clerk_pairs.append((key, other))
            for other, edge in self._links.get(key, {}).items():
                if key < other:
                    edges.append((-edge.score, key, other, edge))
        groups, refused = self._partition(keys, clerk_pairs, edges)

        # New persons.
        for pid in old_pids:
            del members[pid]
        for key in removed:
            person.pop(key, None)
        for group in groups:
            pid = min(group)
            members[pid] = set(group)
            for key in group:
                person[key] = pid

        # New active links (the old objects kept where nothing changed) and the diff.
        new_links: dict[tuple[str, str], Link] = {}
        for _, a, b, edge in edges:
            if person[a] == person[b]:
                old = old_links.get((a, b))
                if old is not None and old.evidence is edge.evidence:
                    new_links[(a, b)] = old
                else:
                    new_links[(a, b)] = Link(a, b, edge.rule, edge.evidence, edge.score)
        for a, b in clerk_pairs:
            _, by = self._decided[(a, b)]
            new_links[(a, b)] = Link(a, b, "clerk", {"decided": "same", "by": by}, 1.0)
        for key in everything:
            active.pop(key, None)
        for pair, link in new_links.items():
            a, b = pair
            mine = active.get(a)
            if mine is None:
                active[a] = {b: link}
            else:
                mine[b] = link
            theirs = active.get(b)
            if theirs is None:
                active[b] = {a: link}
            else:
                theirs[a] = link

        out: list[Decision] = []
        if old_links:
            for pair, link in sorted(old_links.items()):
                if pair not in new_links:
                    why = self._why_unlinked(pair, removed, refused)
                    out.append(Unlink(pair[0], pair[1], link.rule, why, link.evidence))
        for pair, link in sorted(new_links.items()):
            old = old_links.get(pair)
            if old is not link and (
                old is None or old.rule != link.rule or old.evidence != link.evidence
            ):
                out.append(link)
        out.extend(self._requeue(everything, removed, refused, edges))
        return out

    def _partition(
        self,
        keys: set[str],
        clerk_pairs: list[tuple[str, str]],
        edges: list[tuple[float, str, str, _Edge]],
    ) -> tuple[list[list[str]], dict[tuple[str, str], str]]:
        """Kruskal with constraints: clerks' "same" first, then link edges by score (ties by
        key); a union that would join different valid IDs or a clerk's "not same" pair is
        refused. Returns the groups and the refused edges with the reason."""
        recs, not_same = self._recs, self._not_same
        parent = {k: k for k in keys}
        refused: dict[tuple[str, str], str] = {}
        hashes = {recs[k].id_hash for k in keys}
        hashes.discard(None)
        guarded = {k for k in keys if k in not_same}
        if len(hashes) <= 1 and not guarded:
            # Nothing can be refused: the groups are the connected components.
            for a, b in clerk_pairs:
                _union(parent, a, b)
            for _, a, b, _edge in edges:
                _union(parent, a, b)
            grouped: dict[str, list[str]] = {}
            for key in keys:
                grouped.setdefault(_find(parent, key), []).append(key)
            return list(grouped.values()), refused

        ident = {k: recs[k].id_hash for k in keys}
        members: dict[str, list[str]] = {k: [k] for k in keys}

        def union(x: str, y: str) -> str | None:
            rx, ry = _find(parent, x), _find(parent, y)
            if rx == ry:
                return None
            ix, iy = ident[rx], ident[ry]
            if ix is not None and iy is not None and ix != iy:
                return "conflict: would join different valid ID numbers"
            if rx in guarded or ry in guarded:
                small, large = sorted((members[rx], members[ry]), key=len)
                large_set = set(large)
                for m in small:
                    if not_same.get(m, set()) & large_set:
                        return "conflict: a clerk decided these persons are not the same"
            if len(members[rx]) < len(members[ry]):
                rx, ry = ry, rx
            parent[ry] = rx
            members[rx].extend(members.pop(ry))
            if ident[rx] is None:
                ident[rx] = ident[ry]
            if ry in guarded:
                guarded.add(rx)
            return None

        for a, b in sorted(clerk_pairs):
            union(a, b)  # validated when decided and whenever records change
        edges.sort(key=lambda item: item[:3])
        for _, a, b, _edge in edges:
            why = union(a, b)
            if why is not None:
                refused[(a, b)] = why
        return list(members.values()), refused

    def _why_unlinked(
        self, pair: tuple[str, str], removed: set[str], refused: Mapping[tuple[str, str], str]
    ) -> str:
        a, b = pair
        if a in removed or b in removed:
            return "record removed"
        decided = self._decided.get(pair)
        if decided is not None and not decided[0]:
            return "clerk decided not the same"
        if pair in refused:
            return refused[pair]
        if b in self._links.get(a, {}):
            return "persons split"
        return "evidence changed"

    def _requeue(
        self,
        keys: set[str],
        removed: set[str],
        refused: Mapping[tuple[str, str], str],
        edges: list[tuple[float, str, str, _Edge]],
    ) -> list[Review]:
        old: dict[tuple[str, str], Review] = {}
        for key in keys:
            for pair in self._queue_by_key.pop(key, ()):
                review = self._queue.pop(pair, None)
                if review is not None:
                    old[pair] = review
                    other = pair[1] if pair[0] == key else pair[0]
                    others = self._queue_by_key.get(other)
                    if others is not None:
                        others.discard(pair)
                        if not others:
                            del self._queue_by_key[other]
        person, decided = self._person, self._decided
        new: dict[tuple[str, str], Review] = {}
        for key in keys:
            if key in removed:
                continue
            for other, edge in self._reviews.get(key, {}).items():
                pair = _pair(key, other)
                if pair in new or pair in decided or person[key] == person[other]:
                    continue
                previous = old.get(pair)
                if previous is not None and previous.evidence is edge.evidence:
                    new[pair] = previous
                else:
                    new[pair] = Review(pair[0], pair[1], edge.rule, edge.evidence, edge.score)
        for _, a, b, edge in edges:
            if (a, b) in refused and (a, b) not in decided:
                evidence = dict(edge.evidence, rule=edge.rule)
                new[(a, b)] = Review(a, b, refused[(a, b)], evidence, edge.score)
        self._changed_pairs.update(old)
        self._changed_pairs.update(new)
        out: list[Review] = []
        for pair, review in sorted(new.items()):
            self._queue[pair] = review
            self._queue_by_key.setdefault(pair[0], set()).add(pair)
            self._queue_by_key.setdefault(pair[1], set()).add(pair)
            previous = old.get(pair)
            if previous is None or previous.reason != review.reason:
                out.append(review)
        return out
