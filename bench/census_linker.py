"""The bench's adapter to the project's census linker: link records one at a time, train,
and read back the persons, the review queue and the census's best estimate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def link(
    records: list[Any],
    memory: dict[str, int] | None = None,
    estimated: list[set[str]] | None = None,
) -> tuple[list[set[str]], int]:
    """The project's linker: the adapter to change when its API does. With ``memory``, the
    bytes the linker holds once every record is in (tracemalloc; slower) go there; with
    ``estimated``, the census's best estimate (its queued pairs from probability 0.5 as
    one person, as the indicators count them while the queue waits) goes there."""
    import tracemalloc

    from shegong.registry.census.linkage import Linker

    if memory is not None:
        tracemalloc.start()
    linker = Linker()
    for record in records:
        linker.add(record)
    if callable(getattr(linker, "train", None)):
        linker.train()
    if memory is not None:
        memory["linker bytes"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    persons = linker.persons()
    groups = persons.values() if isinstance(persons, Mapping) else persons
    if estimated is not None:
        estimated.extend(best_estimate(linker))
    return [set(g) for g in groups], len(linker.review_queue())


def best_estimate(linker: Any) -> list[set[str]]:
    """The linker's persons regrouped as the census's best estimate (``census.estimate``)."""
    from shegong.registry.census.estimate import QueuedPair, estimate

    person_of = {key: pid for pid, keys in linker.persons().items() for key in keys}
    queue = [QueuedPair(r.a, r.b, r.score, r.reason) for r in linker.review_queue()]
    features = {key: linker._recs[key] for key in person_of}  # the linker's own features
    found = estimate(queue, person_of, features, [])
    grouped: dict[str, set[str]] = {}
    for key, pid in person_of.items():
        grouped.setdefault(found.person_of.get(pid, pid), set()).add(key)
    return list(grouped.values())
