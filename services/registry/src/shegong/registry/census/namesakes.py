"""Whether a pair of namesakes are the only holders of their name the census sees.

An exact name's u is the chance that *another person's* record carries it. The census
weighs it by the name's count less the records of a person's own (``MatchModel.name_weight``:
the mean, size-biased). Where it can tell a person's records apart before any model weighs
them — one ID number (valid, or the same four parts as typed) or one mobile number under
the name, or one mobile's mask: the record's *anchor group* — it can do better for one kind
of pair: a bare record (no ID number, no mobile: a list of names, a village, a landline)
beside a group
that holds every other record of the name. Then no other holder of the name is seen — the
leave-out count of the name outside both sides is zero — and its u is the name's base
rate in the population (the model's floor), not its count in the census. Counted on the
bench's cities, such pairs are one person 0.99 of the time where the mean-size weight said
0.88–0.95. Two anchored groups apart are left to the count: each is a holder the census
sees on its own (their own pair's evidence weighs the rest), and there the count is right.

The groups use no model weight, so a link never feeds the weight that made it; a
landline (a unit's or a household's, shared by design) anchors nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shegong.registry.census.blocks import NAME_BLOCK_MAX
from shegong.registry.census.comparison import Features
from shegong.registry.census.features import former_match, one_community
from shegong.registry.census.model import MatchModel
from shegong.registry.census.names import COMMON_NAMES, government_township, spelt_from

__all__ = ["Groups", "NameWeights", "anchor_groups", "anchored", "sole_holders"]

# record key → (its group's root key, the group's size)
Groups = dict[str, tuple[str, int]]
_CACHED_NAMES = 256
UNIT_HOLDERS_MAX = 32  # records of one name at one unit: more is a unit too big to tell


def anchored(r: Features) -> bool:
    """The record carries something that groups it with its person's other records: a
    mobile's published mask (138****5678) too, as a published ID mask's parts do."""
    return bool(
        r.id_hash
        or (r.parts and len(r.parts) == 4)
        or (r.phone and r.phone_kind != "landline")
        or r.record.phone_shown
    )


def anchor_groups(recs: Sequence[Features]) -> Groups:
    """Each record of one name → its anchor group (root key, size)."""
    parent = {r.key: r.key for r in recs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[object, str] = {}
    for r in recs:
        anchors: list[object] = []
        if r.id_hash:
            anchors.append(("i", r.id_hash))
        if r.parts and len(r.parts) == 4:
            anchors.append(("d", r.parts))
        if r.phone and r.phone_kind != "landline":
            anchors.append(("p", r.phone))
        if r.record.phone_shown:  # a mobile's mask: a list of masks' records, and the number's
            anchors.append(("m", r.record.phone_shown))
        for anchor in anchors:
            a, b = find(first.setdefault(anchor, r.key)), find(r.key)
            if a != b:
                parent[max(a, b)] = min(a, b)
    sizes: dict[str, int] = {}
    for r in recs:
        root = find(r.key)
        sizes[root] = sizes.get(root, 0) + 1
    return {r.key: (find(r.key), sizes[find(r.key)]) for r in recs}


def sole_holders(groups: Groups, count: int, x: Features, y: Features) -> bool:
    """``x`` and ``y`` (of one name carried by ``count`` records) are in two groups, one of
    them a bare record, and no record of the name lies outside the two."""
    gx, gy = groups[x.key], groups[y.key]
    if gx[0] == gy[0] or (anchored(x) and anchored(y)):
        return False
    return count == gx[1] + gy[1]


class NameWeights:
    """The linker's weight of an exact name for a pair (state lives on the linker)."""

    model: MatchModel
    _recs: Mapping[str, Features]
    _groups: dict[str, Groups]  # name → its records' anchor groups (a few names cached)
    _name_weights: dict[tuple[int, bool], float]  # (bucket, common) → weight

    @property
    def _by_name(self) -> Mapping[str, list[str]]:  # the block index's
        raise NotImplementedError

    def _frequency(self, name: str) -> tuple[int, bool]:  # the block index's
        raise NotImplementedError

    def _name_count(self, name: str) -> int:  # the block index's
        raise NotImplementedError

    def _name_weight_of(self, name: str) -> float:
        # The weight depends on the bucket and whether the name is a common one, not on
        # the name: a few dozen entries, where one a name cost ≈ 26 bytes a record.
        key = (self._frequency(name)[0], name in COMMON_NAMES)
        found = self._name_weights.get(key)
        if found is None:
            found = self._name_weights[key] = self.model.name_weight(2 ** (key[0] / 2), key[1])
        return found

    def _groups_of(self, name: str) -> Groups:
        groups = self._groups.get(name)
        if groups is None:
            if len(self._groups) >= _CACHED_NAMES:  # a few names' at a time, not the census's
                self._groups.clear()
            keys = self._by_name[name]
            groups = self._groups[name] = anchor_groups([self._recs[k] for k in keys])
        return groups

    def _sole_shape(self, name: str) -> frozenset[str] | None:
        """What a name's pair weights depend on besides its count: where its records form
        two anchor groups and one is a bare record, the bare ones (their pairs across are
        the name's sole holders: :func:`sole_holders`); else None."""
        count = self._name_count(name)
        if not 2 <= count <= NAME_BLOCK_MAX:
            return None
        groups = self._groups_of(name)
        if len({root for root, _ in groups.values()}) != 2:
            return None
        bare = (k for k, (_, size) in groups.items() if size == 1)
        return frozenset(k for k in bare if not anchored(self._recs[k])) or None

    def _namesakes(self, name: str, shape: frozenset[str] | None) -> set[str]:
        """A name's records to re-score after one of them came, changed or went, given
        the name's ``shape`` before: all of them if it changed, else none (the records'
        count is the block index's to watch)."""
        self._groups.pop(name, None)
        if self._sole_shape(name) == shape:
            return set()
        return set(self._by_name.get(name, ()))

    def _spelt_name_weight(self, x: Features, y: Features) -> float:
        """For a name and its spelling in Latin letters (王伟 / WANG WEI), the weight of the
        Chinese name by its frequency, which the spelling's may not pass; else 0."""
        chinese = spelt_from(x.name, y.name) or former_match(x, y)  # or a former name
        return self._name_weight_of(chinese) if chinese else 0.0

    def _pair_name_weight(self, name: str, a: str, b: str) -> float:
        """An exact name's weight for the pair (a, b): its base rate where the two are
        the only holders of the name the census sees (:mod:`.namesakes`), or the only
        person of the name at their unit (:meth:`_sole_at_unit`), else its frequency
        bucket's."""
        count = self._name_count(name)
        x, y = self._recs[a], self._recs[b]
        if (
            count <= NAME_BLOCK_MAX and sole_holders(self._groups_of(name), count, x, y)
        ) or self._sole_at_unit(x, y):
            return self.model.name_weight_apart(0.0, name in COMMON_NAMES)
        return self._name_weight_of(name)

    def _unit_holders(self, name: str, org: str) -> list[str]:  # the block index's
        raise NotImplementedError

    def _community_holders(self, name: str, community: str) -> list[str]:  # the index's
        raise NotImplementedError

    def _township_holders(self, name: str, township: str) -> list[str]:  # the index's
        raise NotImplementedError

    def _sole_at_unit(self, x: Features, y: Features) -> bool:
        """One of ``x`` and ``y`` is a bare record (a volunteer list's name, sex and
        unit) and the other anchored, at one unit (its key) or in one community (a
        street office's roster gives the 社区 where another list gives the committee),
        where every anchored record of the name is in the other's anchor group: the one
        person of the name the unit or community is seen to have. The name's count in
        the city (王刚, dozens) then says nothing about another holder there: its u is the
        base rate, as for sole holders. Bare records of the name there are no other
        holder (they may be the one)."""
        if anchored(x) == anchored(y):
            return False
        name = x.name or ""
        if x.org and x.org == y.org and self._sole_among(self._unit_holders(name, x.org)):
            return True
        # A township's government's row beside the one anchored holder in that township.
        if _at_government(x) or _at_government(y):
            town = x.township
            if town and town == y.township and self._sole_among(self._township_holders(name, town)):
                return True
        apart = x.township and y.township and x.township != y.township
        if apart or not one_community(x.community, y.community):
            return False
        place = x.community  # its block holds 东关社区 and 东关村 alike: the place's own
        holders = self._community_holders(name, place or "")
        return self._sole_among(
            [k for k in holders if one_community(self._recs[k].community, place)]
        )

    def _sole_among(self, holders: list[str]) -> bool:
        """The anchored records among ``holders`` (few) are one anchor group."""
        if len(holders) > UNIT_HOLDERS_MAX:
            return False
        held = [self._recs[k] for k in holders if anchored(self._recs[k])]
        return len({root for root, _ in anchor_groups(held).values()}) == 1

    def _unit_namesakes(self, rec: Features) -> set[str]:
        """The bare records of ``rec``'s name at its unit and in its community, whose
        weight against the anchored holders there (:meth:`_sole_at_unit`) an anchored
        ``rec`` coming or going changes: to re-score (none for a bare ``rec``, which
        changes no one's)."""
        if not anchored(rec):
            return set()
        name = rec.name or ""
        out: set[str] = set()
        for holders in (
            self._unit_holders(name, rec.org) if rec.org else [],
            self._community_holders(name, rec.community) if rec.community else [],
        ):
            if len(holders) <= UNIT_HOLDERS_MAX:
                out.update(k for k in holders if k != rec.key and not anchored(self._recs[k]))
        town = self._township_holders(name, rec.township) if rec.township else []
        if len(town) <= UNIT_HOLDERS_MAX:  # its township's government's bare rows
            out.update(
                k for k in town if not anchored(self._recs[k]) and _at_government(self._recs[k])
            )
        return out


def _at_government(r: Features) -> bool:
    """The record's unit is its township's government (腾鳌镇人民政府)."""
    return r.township is not None and government_township(r.record.organization) == r.township
