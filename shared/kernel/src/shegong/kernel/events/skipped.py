"""Positions a projection moved past without a write of their own.

A stream entry a read model has nothing to do with — another aggregate, a type it
ignores, a duplicate — still moves its position. Writing that position in a transaction
of its own cost a turn at the write lock per batch (under ``shegong up`` every registry
projection queued so behind every other, each turn ≈ 0.1–0.2 s while a big import caught
up). :class:`SkippedPositions` keeps them in memory instead: the next batch that applies
something writes them with its own, and the subscription writes them once it is quiet.

Losing them (a crash) is harmless: the stored positions are behind only over entries
that change nothing, and the next entry past them is a gap that the feed fills (with
those same entries, skipped again).

It also remembers the last position it knows per source (stored, or skipped past): a
batch whose entries continue those one by one has no gap and no duplicate, so skipping
it needs no read of the positions table — a read per batch for every consumer group
whose read model ignores what the stream carries (three of the registry's five on
registrations). Anything else (an unknown source, a jump: a replica of the group took
entries in between; a redelivery) reads the table as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shegong.contracts import Envelope


class SkippedPositions:
    def __init__(self) -> None:
        self.ahead: dict[str, int] = {}
        self._since: float | None = None
        self._known: dict[str, int] = {}

    def following(self, envelopes: Sequence[Envelope]) -> dict[str, int] | None:
        """The batch's sources at their known positions if its entries continue them one
        by one (then these are as good as the stored ones for a batch that skips all);
        None: read the table."""
        next_of = dict(self._known)
        for envelope in envelopes:
            if next_of.get(envelope.source) != envelope.sequence - 1:
                return None
            next_of[envelope.source] = envelope.sequence
        return {e.source: self._known[e.source] for e in envelopes}

    def _know(self, last: dict[str, int]) -> None:
        for source, position in last.items():
            self._known[source] = max(position, self._known.get(source, 0))

    def past(self, stored: dict[str, int]) -> dict[str, int]:
        """``stored`` (of some sources) moved on by the entries skipped since."""
        return {s: max(p, self.ahead.get(s, 0)) for s, p in stored.items()}

    def note(self, stored: dict[str, int], last: dict[str, int]) -> None:
        """The entries up to ``last`` were skipped; ``stored`` is what the table holds."""
        ahead = {s: p for s, p in last.items() if p > stored.get(s, 0)}
        if ahead and self._since is None:
            self._since = asyncio.get_running_loop().time()
        self.ahead.update(ahead)
        self._know(last)

    def written(self, last: dict[str, int]) -> None:
        """Positions ``last`` are stored: skips up to them need no write of their own."""
        self._know(last)
        for source, position in last.items():
            if self.ahead.get(source, position + 1) <= position:
                del self.ahead[source]
        if not self.ahead:
            self._since = None

    def waiting_for(self) -> float:
        """Seconds since a skipped position first waited unwritten (0: none waits)."""
        if self._since is None:
            return 0.0
        return asyncio.get_running_loop().time() - self._since

    def clear(self) -> None:
        self.ahead, self._since, self._known = {}, None, {}
