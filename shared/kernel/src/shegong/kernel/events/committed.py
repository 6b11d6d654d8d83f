"""The events this process committed, kept for its relay while it leads (``EventStore
.committed_after``): it publishes them as it was handed them, instead of reading back and
rebuilding what was just committed (bench/README.md, census end to end, rounds 10–11)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from shegong.contracts import Envelope

# At most this many, the oldest first out; a relay further behind reads the store.
KEPT = 10_000


class CommittedWindow:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._by_position: OrderedDict[int, Envelope] = OrderedDict()
        self._keeping = False  # while a relay of this process publishes

    def keep(self, keep: bool) -> None:
        """Keep what this process commits (a relay leads), or stop and forget it."""
        self._keeping = keep
        if not keep:
            self._by_position.clear()

    def add(self, envelopes: Sequence[Envelope]) -> None:
        if not self._keeping:
            return
        held = self._by_position
        for envelope in envelopes:
            held[envelope.sequence] = envelope
        while len(held) > self.kept:
            held.popitem(last=False)

    def after(self, position: int, limit: int) -> list[Envelope] | None:
        """The events after ``position`` as this process committed them, in order — the
        ones held from ``position + 1`` on with no position missing, at most ``limit`` —
        forgetting those up to ``position``; None when the next one is not held (another
        process or replica committed it, or it was dropped): read the store. A position
        held is a committed row of the store, and positions are dense and in commit order,
        so what it gives is what ``EventStore.read_after`` would."""
        held = self._by_position
        while held:
            first = next(iter(held))
            if first > position:
                break
            del held[first]
        found: list[Envelope] = []
        while len(found) < limit:
            envelope = held.get(position + len(found) + 1)
            if envelope is None:
                break
            found.append(envelope)
        return found or None
