"""What the census decides about a pair, and how it scores one: the decisions (``Link``,
``Unlink``, ``Review``), a record's features with its block keys, and a scored edge whose
evidence is the model's waterfall."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from shegong.registry.census import model as fs
from shegong.registry.census.certificates import certificate_block
from shegong.registry.census.comparison import (
    BIRTH_MONTH,
    CensusRecord,
    Features,
    compare_levels,
    numbers_agree,
    veto,
)
from shegong.registry.census.features import second_mobile
from shegong.registry.census.model import DEFAULT_MODEL, MatchModel
from shegong.registry.census.names import (
    COMMON_NAMES,
    community_key,
    sound_key,
    spelt_from,
    surname,
)
from shegong.registry.census.sounds import given_name


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
    """The model cannot decide whether ``a`` and ``b`` are one person: a clerk should."""

    a: str
    b: str
    reason: str
    evidence: dict[str, Any] = field(hash=False)
    score: float


Decision: TypeAlias = Link | Unlink | Review


class CensusConflict(ValueError):
    """A clerk's "same" decision would make two different valid ID numbers one person."""


RULE_VALID_ID = "same-valid-id"
RULE_MODEL = "match-weight"
REVIEW_REASON = "match probability uncertain"
REVIEW_NAMES = "names differ"
REVIEW_RIVAL = "another person matches as well"
NAME_ELSE = 4
BIRTH_EXACT = 1
SEX_ELSE = 2
ID_SLIP = 2  # the ID level "one slip" (a published mask's shown digits agreeing too)


def _nothing_shared(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and not set(a) & set(b)  # type: ignore[arg-type]


def name_part(x: Features, y: Features) -> bool:
    """One name is a whole word of the other, its first or last: 卓玛 of 扎西卓玛, 拉哈 of
    吉克拉哈 — a Tibetan called by one of the words of a name without a surname, a Yi
    written without the 家支's. The long name has at least two more characters (not 晓明
    for 张晓明: a given name alone is ``given_name_alike``'s) and is not written in parts
    (伊力哈木·艾山: its last part is the father's name, 艾山 another man)."""
    a, b = x.name, y.name
    if not a or not b:
        return False
    (short, _), (long, raw) = sorted(((a, x.record.name), (b, y.record.name)), key=_length)
    return (
        len(short) >= 2
        and len(long) >= len(short) + 2
        and (long.startswith(short) or long.endswith(short))
        and given_name(raw) is None
    )


def _one_roster(x: Features, y: Features) -> bool:
    """Both records are rows of one department's roster."""
    return bool(x.record.department) and x.record.department == y.record.department


def renamed(x: Features, y: Features, levels: tuple[int, ...]) -> bool:
    """Two given names of one surname beside one ID number's digits (one slip apart, or a
    published mask whose shown digits agree) and one birth date: a person renamed (改名),
    whom a unit still lists under the old name. Twins and siblings share a surname, a
    birth date and a household's phone, but never the ID number's order digits."""
    return (
        levels[0] == ID_SLIP
        and levels[2] in (BIRTH_EXACT, BIRTH_MONTH)
        and bool(x.name and y.name)
        and surname(x.name or "") == surname(y.name or "")
    )


def _two_scripts(x: Features, y: Features) -> bool:
    """One name in Latin letters, the other in characters: names the census cannot compare.
    Two names in characters that differ (王华 / 陈嘉欣) beside one document's number are a
    mistyped number or a guess, a clerk's question."""
    latin = [any("a" <= ch.lower() <= "z" for ch in r.record.name or "") for r in (x, y)]
    return latin[0] != latin[1]


def _length(named: tuple[str, str | None]) -> int:
    return len(named[0])


class _Rec(Features):
    """A record's features; its block keys are worked out when asked for (the block index
    holds one copy of each key, not one per record)."""

    __slots__ = ("row",)  # its row in the linker (``blocks``), while it is in the census

    row: int

    @property
    def blocks(self) -> list[tuple[str, Any]]:
        """The record's block keys: (kind, value), the value a string or a tuple."""
        blocks: list[tuple[str, Any]] = []
        record, name = self.record, self.name
        if record.id_hash:  # the record's own fields, as ``Features`` reads them
            blocks.append(("i", record.id_hash))
        if record.document:  # a passport's, a permit's number (its kind and digest)
            blocks.append(("d", record.document))
        typed = self.typed
        parts = typed.split(".") if isinstance(typed, str) else typed
        if parts and len(parts) == 4:
            region, birth, order, check = parts
            if region and birth:  # a published mask's hidden parts block with nothing
                blocks.append(("rb", (region, birth)))
            if region:
                blocks.append(("ro", (region, order, check)))
            if birth:
                blocks.append(("bo", (birth, order, check)))
            if name and order and check:  # a mask showing the last four (4407**…9694)
                blocks.append(("so", (surname(name), order, check)))  # beside a homophone
        if record.phone_hash:
            blocks.append(("p", record.phone_hash))
        if (second := second_mobile(record)) is not None:
            blocks.append(("q", second))  # met by a record whose phone ("p") it is, too
        if name:
            born = record.birth_date
            if born:
                # The year as its distance from 1900: a small int is one shared object.
                blocks.append(("nb", (name, born.year - 1900)))
                # The surname and the birth date: a given name mistyped or shortened.
                blocks.append(("sb", (surname(name), born)))
                # The name's sound and the birth date: a homophone typed (张守君 for 张守军),
                # or the name spelt in Latin letters surname first (Zhang Shoujun).
                blocks.append(("yb", (sound_key(name), born)))
            if self.org:
                blocks.append(("no", (name, self.org)))
            if self.community:  # a name within its community, as a clerk looks one up
                blocks.append(("nc", (name, community_key(self.community))))
            if self.township:  # and within its township (腾鳌镇人民政府's staff, 腾鳌镇)
                blocks.append(("nt", (name, self.township)))
            if record.phone_shown:  # a name and a mobile's mask (138****5678): an export's
                blocks.append(("nm", (name, record.phone_shown)))
            if (cert := certificate_block(record.certificates)) is not None:
                blocks.append(("nk", (name, cert)))  # one name holding one certificate
        return blocks


class _Edge:
    """A scored pair: a link edge or a review edge. Pairs of one kind — the same comparison
    vector, name and phone weights and model, and whether a valid ID decides — share one
    edge (``_compare``): an edge holds nothing of its pair. Its evidence (the waterfall) is
    worked out when a decision first needs it, and then kept."""

    __slots__ = (
        "_evidence",
        "levels",
        "link",
        "model",
        "name_weight",
        "phone_weight",
        "rule",
        "score",
        "weight",
    )

    def __init__(
        self,
        link: bool,
        rule: str,
        weight: float,
        model: MatchModel,
        levels: tuple[int, ...],
        name_weight: float,
        phone_weight: float | None = None,
    ) -> None:
        self.link, self.rule, self.weight = link, rule, weight
        self.model, self.levels, self.name_weight = model, levels, name_weight
        self.phone_weight = phone_weight
        self.score = fs.probability(weight)  # the match probability
        self._evidence: dict[str, Any] | None = None

    @property
    def evidence(self) -> dict[str, Any]:
        if self._evidence is None:
            self._evidence = self.model.explain(self.levels, self.name_weight, self.phone_weight)
        return self._evidence


def _bucket(count: int) -> int:
    """A name's frequency bucket (steps of √2): its weight changes only between buckets."""
    return round(2 * math.log2(count)) if count > 0 else 0


# Edge kinds a model keeps (``MatchModel.scored``) before it starts afresh: a city has a
# few thousand (vectors × name and phone weight buckets).
_KINDS_MAX = 100_000


def _compare(
    x: _Rec, y: _Rec, model: MatchModel, name_weight: float, phone_weight: float | None = None
) -> _Edge | None:
    levels = compare_levels(x, y)
    if veto(x, y, levels) is not None:
        return None
    if (
        levels[1] == NAME_ELSE
        and not numbers_agree(x, y, levels)
        and (
            (levels[2] != BIRTH_EXACT and _nothing_shared(x.name, y.name))
            or ((_one_roster(x, y) or levels[3] == SEX_ELSE) and not name_part(x, y))
        )
    ):
        # 马雨欣 and 罗敏 beside one phone and one community are a household, not one
        # person: names with no character in common (surname and given name both other)
        # are not a candidate, not even a clerk's question, unless the ID numbers or the
        # birth dates agree (then a name may have been written into the wrong row).
        # Two rows of one department's roster under two names are two people however
        # much else they share (马勇 and 马军, twins on one village's roster beside their
        # household's phone): a roster lists a person once, or again under the same name
        # (a certificate list, a row per certificate) — only the ID numbers say otherwise.
        # Nor are a man and a woman under two names (周毛加措, 女 / 措央金, 男 beside one
        # household's phone and birth month): name and sex both another's are another
        # person's, unless the ID numbers agree.
        return None
    hx = x.record.id_hash
    decisive = bool(hx) and hx == y.record.id_hash
    # A name that is a word of the other, or the same passport or permit under a name in
    # another script (WILSON THOMAS / 托马斯·威尔逊, 陳俊思 / CHAN CHUN SZE): not two names.
    document = x.record.document
    part = levels[1] == NAME_ELSE and (
        name_part(x, y)
        or (bool(document) and document == y.record.document and _two_scripts(x, y))
        or renamed(x, y, levels)
    )
    kind = (levels, name_weight, phone_weight, decisive, part)
    scored = model.scored
    try:
        return scored[kind]  # type: ignore[no-any-return]
    except KeyError:
        pass
    if len(scored) >= _KINDS_MAX:
        scored.clear()
    edge = scored[kind] = _score(levels, model, name_weight, phone_weight, decisive, part)
    return edge


def _score(
    levels: tuple[int, ...],
    model: MatchModel,
    name_weight: float,
    phone_weight: float | None,
    decisive: bool,
    part: bool = False,
) -> _Edge | None:
    """The edge of a kind of pair (None: too unlikely to be one). Two different names wait
    for a clerk however sure the rest is (twins beside their household's phone and birth
    date), but for a name that is a word of the other (``part``: :func:`name_part`), which
    the model links from ``LINK_AT`` as it links one name: the name's weight is still the
    level's (else), so only the rest of the evidence — a phone with the birth date or the
    ID number's digits — carries it there. So is the same passport or permit (its kind and
    number) under a name the census cannot compare, written in another script."""
    tf = (name_weight, phone_weight)
    if decisive:
        return _Edge(True, RULE_VALID_ID, math.inf, model, levels, *tf)
    weight = model.weight(levels, name_weight, phone_weight)
    if fs.probability(weight) < fs.REVIEW_AT:
        return None
    if levels[1] == NAME_ELSE and not part:  # linked only by a valid ID or a clerk
        if fs.probability(weight) < fs.LINK_AT:
            return _Edge(False, REVIEW_REASON, weight, model, levels, *tf)
        return _Edge(False, REVIEW_NAMES, weight, model, levels, *tf)
    # A candidate: clustering links it if its probability holds against the other persons
    # its records match as well (``clustering``), else a clerk sees it.
    return _Edge(True, RULE_MODEL, weight, model, levels, *tf)


def compare(
    x: CensusRecord, y: CensusRecord, *, model: MatchModel = DEFAULT_MODEL, name_count: int = 1
) -> Decision | None:
    """What the model says about two records alone: a ``Link``, a ``Review`` or nothing
    (``name_count``: how many records in the census carry their name)."""
    rx, ry = _Rec(x), _Rec(y)
    name = rx.name if rx.name == ry.name else spelt_from(rx.name, ry.name)
    edge = _compare(rx, ry, model, _name_weight(model, name, name_count) if name else 0.0)
    if edge is None:
        return None
    if edge.link and edge.score >= fs.LINK_AT:
        return Link(x.key, y.key, edge.rule, edge.evidence, edge.score)
    reason = REVIEW_REASON if edge.link else edge.rule
    return Review(x.key, y.key, reason, edge.evidence, edge.score)


def _name_weight(model: MatchModel, name: str, count: int) -> float:
    bucket = _bucket(count)
    return model.name_weight(2 ** (bucket / 2), name in COMMON_NAMES)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)
