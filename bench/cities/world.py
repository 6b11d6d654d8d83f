"""The people of a generated city, and how a department's clerk writes them down.

Written from what departments' rosters (花名册) look like, not from any linker's rules:
each department has its own columns, its own date format, its own habits (a volunteer list
without ID numbers, an office that writes the unit's landline for everyone, a federation
that updates its list once a year and still shows last year's employer), and clerks make
the slips clerks make (a digit pair swapped, day and month swapped, a wrong 男/女, a stray
space, a traditional character, a phone typed +86 / 0086 / with dashes).

Everything is drawn from one ``random.Random``: a city is deterministic for its seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .clerks import Habits, appearances, row_writer
from .people import Human, People
from .places import Places

# --------------------------------------------------------------------------- what a city is


@dataclass
class Roster:
    """One department's file: its headers (in order) and its rows as the clerk typed them
    (every value a string, '' for an empty cell)."""

    code: str  # department code, as the registry knows it (hrss, civil-affairs, …)
    name: str  # 人力资源和社会保障局
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    file_format: str = "csv-utf8"  # csv-utf8 (with BOM, as Excel saves it) | csv-gbk | xlsx


@dataclass
class City:
    name: str
    rosters: list[Roster]
    truth: dict[str, str]  # "department:记录编号" → human id
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return sum(len(r.rows) for r in self.rosters)


# --------------------------------------------------------------------------- a city of departments


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    columns: tuple[str, ...]
    habits: Habits
    weight: float = 1.0  # how many of the city's people it reports, relative to the others
    file_format: str = "csv-utf8"
    prefix: str = ""  # of its 记录编号
    stale: bool = False  # updated once a year: a mover may still be listed at the old job


def make_city(
    name: str,
    n_persons: int,
    seed: int,
    departments: Sequence[Department],
    *,
    mover_share: float = 0.0,
    common_share: float = 0.06,
    spread: Sequence[float] = (0.25, 0.35, 0.25, 0.15),
    extra: Callable[[random.Random, People, list[Human], dict[str, Roster], dict[str, str]], None]
    | None = None,
) -> City:
    """Humans → each department's rows (shuffled, numbered the department's way) + truth."""
    rng = random.Random(f"{name}:{seed}")
    places = Places(rng, n_persons)
    people = People(rng, places, common_share)
    humans = [people.draw(f"H{i:06d}", mover_share=mover_share) for i in range(n_persons)]
    rosters = {
        d.code: Roster(d.code, d.name, list(d.columns), file_format=d.file_format)
        for d in departments
    }
    writers = {d.code: row_writer(rng, d.habits, d.columns) for d in departments}
    stale = {d.code: d for d in departments if d.stale}
    pending: dict[str, list[tuple[Human, str]]] = {d.code: [] for d in departments}
    weights = {d.code: d.weight for d in departments if d.weight > 0}
    for human in humans:
        for code in appearances(rng, weights, spread):
            which = "now"
            if (
                code in stale
                and human.previous_org
                and rng.random() < stale[code].habits.org_previous
            ):
                which = "before"
            pending[code].append((human, which))
    truth: dict[str, str] = {}
    for d in departments:
        items = pending[d.code]
        rng.shuffle(items)
        width = max(6, len(str(len(items))))
        for i, (human, which) in enumerate(items, start=1):
            rid = f"{d.prefix}{i:0{width}d}"
            rosters[d.code].rows.append(writers[d.code](human, rid, which))
            truth[f"{d.code}:{rid}"] = human.hid
    if extra:
        extra(rng, people, humans, rosters, truth)
    return City(name, list(rosters.values()), truth)
