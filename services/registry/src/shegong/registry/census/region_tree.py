"""The region tree the workforce indicators count by (``rm_regions``: county → township →
community): a record's place resolved to the deepest node it names consistently, a node's
ancestors, its urban population (see :mod:`.indicators`, "Regions")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_LEVEL_DEPTH = {"county": 1, "township": 2, "community": 3}


@dataclass(frozen=True)
class RegionNode:
    code: str
    name: str
    parent: str | None
    level: str  # "county" | "township" | "community"
    urban_population: int | None = None


@dataclass
class RegionTree:
    nodes: dict[str, RegionNode]
    children: dict[str | None, list[str]] = field(default_factory=dict)
    # A built tree does not change: a place resolves to the same node every time (asked
    # for every active record of every person, two or three days each — it scanned every
    # node of a level per record), a node has the same ancestors.
    _resolved: dict[tuple[str | None, str | None, str | None], str | None] = field(
        default_factory=dict
    )
    _ancestors: dict[str | None, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, regions: Iterable[RegionNode]) -> RegionTree:
        nodes = {r.code: r for r in regions}
        tree = cls(nodes)
        for code in sorted(nodes):
            parent = nodes[code].parent
            tree.children.setdefault(parent if parent in nodes else None, []).append(code)
        return tree

    def _match(self, text: str | None, candidates: Iterable[str]) -> str | None:
        if text is None or not text.strip():
            return None
        text = text.strip()
        cands = list(candidates)
        if text in cands:
            return text
        named = [c for c in cands if self.nodes[c].name.strip() == text]
        return named[0] if len(named) == 1 else None

    def _of_level(self, level: str) -> list[str]:
        return [c for c, n in self.nodes.items() if n.level == level]

    def resolve(
        self, county: str | None, township: str | None, community: str | None
    ) -> str | None:
        place = (county, township, community)
        try:
            return self._resolved[place]
        except KeyError:
            found = self._resolved[place] = self._resolve(county, township, community)
            return found

    def _resolve(
        self, county: str | None, township: str | None, community: str | None
    ) -> str | None:
        found: str | None = None
        for level, text in (("county", county), ("township", township), ("community", community)):
            if text is None or not text.strip():
                continue
            if found is None:
                hit = self._match(text, self._of_level(level))
            else:
                # Under what was resolved above; else elsewhere in its county — a township
                # merged into another or split in two keeps its communities' names, and a
                # list written before the change names the old township (or one the tree
                # no longer has) above a community now under another.
                hit = self._match(text, self._below(found, level))
                county_of = self._county(found)
                if hit is None and county_of is not None and county_of != found:
                    hit = self._match(text, self._below(county_of, level))
            if hit is not None:
                found = hit
        return found

    def _below(self, code: str, level: str) -> list[str]:
        """The nodes of ``level`` under ``code``, at any depth."""
        out, todo = [], list(self.children.get(code, []))
        while todo:
            c = todo.pop()
            if self.nodes[c].level == level:
                out.append(c)
            todo.extend(self.children.get(c, []))
        return sorted(out)

    def county_of(self, code: str | None) -> str | None:
        """The county node ``code`` lies in (itself for a county), or None."""
        return self._county(code) if code is not None else None

    def _county(self, code: str) -> str | None:
        while code in self.nodes and self.nodes[code].level != "county":
            parent = self.nodes[code].parent
            if parent is None:
                return None
            code = parent
        return code if code in self.nodes else None

    def ancestors(self, code: str | None) -> set[str]:
        known = self._ancestors.get(code)
        if known is None:
            known = self._ancestors[code] = self._ancestors_of(code)
        return known

    def _ancestors_of(self, code: str | None) -> set[str]:
        out: set[str] = set()
        while code is not None and code in self.nodes and code not in out:
            out.add(code)
            code = self.nodes[code].parent
        return out

    def population(self, code: str | None) -> int | None:
        """Own figure if given, else the sum of the children's (None if nothing known)."""
        if code is not None:
            own = self.nodes[code].urban_population
            if own is not None:
                return own
        known = [p for c in self.children.get(code, []) if (p := self.population(c)) is not None]
        return sum(known) if known else None


def region_depth(tree: RegionTree, code: str | None) -> int:
    if code is None:
        return 0
    return _LEVEL_DEPTH.get(tree.nodes[code].level, 0) if code in tree.nodes else 0


def county_name(tree: RegionTree | None, records: Iterable[Any]) -> str | None:
    """The county, as the tree names it now, that most of ``records`` (with ``county``,
    ``township``, ``community``) lie in — a list written before 仁和县 became 仁和区 counts
    for 仁和区 — or None where the tree places none of them."""
    if tree is None or not tree.nodes:
        return None
    counted = Counter(
        county
        for r in records
        if (county := tree.county_of(tree.resolve(r.county, r.township, r.community)))
    )
    return tree.nodes[counted.most_common(1)[0][0]].name if counted else None
