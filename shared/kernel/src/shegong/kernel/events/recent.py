"""Stream entries read once per process, not once per consumer group.

Every consumer group reads every entry of a stream: under ``shegong up`` 16 groups on
``registry.events`` in one process, each parsing the same ≈ 58,000 entries of a
20,000-row import (``Envelope.from_wire``: every field decoded, the data's JSON, pydantic;
or ``skim``) and decoding the same events (``StreamContract.decode``). Here the envelope
of a recent entry is kept once per process, keyed by the Redis server, the stream and
the event id: the relay leaves what it is about to publish (it holds the envelopes and
the fields it sends) *before* its XADD — a group on another thread's loop (training's,
matching's under ``shegong up``) reads an entry the moment Redis has it, and found
nothing when the relay left it after (each of them parsed ≈ 40 % of the entries itself:
bench/README.md, census end to end, round 10) — the first group to parse an entry leaves
its parse, and the others take it. A hit is an entry whose every field is the one kept
(a stream recreated after a flush, a test's hand-made entry with a known event id and
other content: parsed anew; nothing is taken on trust).

Envelopes and events are frozen; what is shared is never changed. Bounded (the oldest
go first): a group that lags further behind than the window parses for itself, as
before.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from redis.asyncio import Redis

from shegong.contracts import Envelope, Event, StreamContract

__all__ = ["RecentEntries", "decoded", "recent_entries", "server_of"]

# ≈ 2 KB an entry with its data: ≈ 64 MB at most. It must span the distance between the
# relay and the slowest group of the process (the census, up to ≈ 20,000 entries behind
# under a big import once the relay keeps up with the store; 8,192 made it parse for
# itself: bench/README.md, census end to end, round 8). 0 turns the sharing off (each
# group parses for itself, as before: ``SHEGONG_RECENT_ENTRIES=0``, to compare).
_ENTRIES = int(os.environ.get("SHEGONG_RECENT_ENTRIES", "32768"))


def server_of(redis: Redis) -> tuple[Any, ...]:
    """Which Redis server and database a client talks to (entry ids are per stream and
    per server: two test platforms in one process each have their own)."""
    kwargs = redis.connection_pool.connection_kwargs
    return (kwargs.get("host"), kwargs.get("port"), kwargs.get("path"), kwargs.get("db", 0))


class RecentEntries:
    def __init__(self, size: int = _ENTRIES) -> None:
        self.size = size
        # (server, stream, event id) → (the entry's fields as bytes, envelope, whole: with data)
        self._items: OrderedDict[tuple[Any, ...], tuple[Mapping[Any, Any], Envelope, bool]] = (
            OrderedDict()
        )
        self.hits = self.misses = 0

    def put(
        self, server: tuple[Any, ...], stream: str, envelope: Envelope, fields: Mapping[Any, Any]
    ) -> None:
        """An entry about to be published: its envelope and the fields it is sent as
        (bytes, as the relay sends them, or text)."""
        if not self.size:
            return
        self._put((server, stream, envelope.id.encode()), (_as_bytes(fields), envelope, True))

    def _put(self, key: tuple[Any, ...], value: tuple[Mapping[Any, Any], Envelope, bool]) -> None:
        if not self.size:
            return
        items = self._items
        items[key] = value
        items.move_to_end(key)
        _trim(items, self.size)

    def envelope(
        self,
        server: tuple[Any, ...],
        stream: str,
        fields: Mapping[Any, Any],
        wants: Callable[[str, str | None], bool],
        skim: Callable[[Mapping[Any, Any]], Envelope | None],
    ) -> Envelope:
        """The entry's envelope: whole when ``wants`` it, else perhaps without its data
        (as :func:`~.skim.skim` reads one). Raises ``WireFormatError`` as
        ``Envelope.from_wire`` does."""
        if not self.size:
            return skim(fields) or Envelope.from_wire(fields)
        given = _as_bytes(fields)
        key = (server, stream, given.get(b"id", b""))
        found = self._items.get(key)
        if found is not None:
            sent, envelope, whole = found
            if sent == given and (whole or not wants(envelope.aggregate_type, envelope.type)):
                self.hits += 1
                return envelope
        self.misses += 1
        skimmed = skim(fields)
        if skimmed is not None:
            self._put(key, (given, skimmed, False))
            return skimmed
        envelope = Envelope.from_wire(fields)
        self._put(key, (given, envelope, True))
        return envelope


def _as_bytes(fields: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """The fields as redis-py gives them (bytes names and values), whatever they came as:
    a client gives every field as bytes, or every one as text (``decode_responses``)."""
    for name in fields:
        if type(name) is bytes:
            return fields
        break
    return {_bytes(k): _bytes(v) for k, v in fields.items()}


def _trim(items: OrderedDict[Any, Any], size: int) -> None:
    """Drop the oldest past ``size`` (an ``OrderedDict``: a plain dict's first key is found
    by walking the slots its deletions left, ≈ 1.5 s of a 20k-row import). No lock: another
    thread's trim may race this one, and either one's drop does."""
    while len(items) > size:
        try:
            items.popitem(last=False)
        except KeyError:
            return


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


recent_entries = RecentEntries()

_events: OrderedDict[str, tuple[StreamContract, Envelope, Event]] = OrderedDict()


def decoded(contract: StreamContract, envelope: Envelope) -> Event:
    """``contract.decode(envelope)``, once per process for a recent event (every
    projection of the stream that reads it validates the same data): taken when the
    envelope is the one decoded (shared through :data:`recent_entries`) or carries the
    same type, schema version and data."""
    if not _ENTRIES:
        return contract.decode(envelope)
    found = _events.get(envelope.id)
    if found is not None:
        by, seen, event = found
        if by is contract and (
            seen is envelope
            or (
                seen.type == envelope.type
                and seen.schema_version == envelope.schema_version
                and seen.data == envelope.data
            )
        ):
            return event
    event = contract.decode(envelope)
    _events[envelope.id] = (contract, envelope, event)
    _events.move_to_end(envelope.id)
    _trim(_events, _ENTRIES)
    return event
