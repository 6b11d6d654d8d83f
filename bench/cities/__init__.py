"""Generated cities for the census benchmark: each department's roster rows, with the
headers that department uses, and the truth (record → human). Seeded and deterministic.

* ``today``  — the registry's own generator (imported lazily from the registry package)
* ``certs``  — 人社's certificate list (one row per certificate) and thin rosters
* ``movers`` — job changes, stale lists, clerks' slips, phone formats, colliding names
* ``holdout`` — eighteen departments written apart from the linker (own people, places,
  headers and proportions): a check on a city the linker was not shaped on
"""

from __future__ import annotations

from collections.abc import Callable

from . import certs, holdout, movers, today
from .world import City, Roster

GENERATORS: dict[str, Callable[[int, int], City]] = {
    "today": today.generate,
    "certs": certs.generate,
    "movers": movers.generate,
    "holdout": holdout.generate,
}

__all__ = ["GENERATORS", "City", "Roster"]
