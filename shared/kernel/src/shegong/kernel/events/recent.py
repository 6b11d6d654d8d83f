"""Stream entries read once per process, not once per consumer group.

Every consumer group reads every entry of a stream: under ``shegong up`` 16 groups on
``registry.events`` in one process, each parsing the same ≈ 58,000 entries of a
20,000-row import (``Envelope.from_wire``: every field decoded, the data's JSON, pydantic;
or ``skim``) and decoding the same events (``StreamContract.decode``). Here the envelope
of a recent entry is kept once per process, keyed by the Redis server, the stream and
the entry id: the relay leaves what it has just published (it holds the envelopes, and
Redis has just told it their entry ids), the first group to parse an entry leaves its
parse, and the others take it. Each hit is checked against the entry's own event id
and data (a stream recreated after a flush reuses no entry id, but nothing is taken on
trust).

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
        # (server, stream, entry id) → (event id, data as sent, envelope, whole: with data)
        self._items: OrderedDict[tuple[Any, ...], tuple[bytes, bytes, Envelope, bool]] = (
            OrderedDict()
        )
        self.hits = self.misses = 0

    def put(
        self,
        server: tuple[Any, ...],
        stream: str,
        entry_id: Any,
        envelope: Envelope,
        fields: Mapping[Any, Any],
    ) -> None:
        """An entry as published: its envelope and the fields it was sent as."""
        value = (envelope.id.encode(), _bytes(_field(fields, b"data")), envelope, True)
        self._put((server, stream, _bytes(entry_id)), value)

    def _put(self, key: tuple[Any, ...], value: tuple[bytes, bytes, Envelope, bool]) -> None:
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
        entry_id: bytes,
        fields: Mapping[Any, Any],
        wants: Callable[[str, str | None], bool],
        skim: Callable[[Mapping[Any, Any]], Envelope | None],
    ) -> Envelope:
        """The entry's envelope: whole when ``wants`` it, else perhaps without its data
        (as :func:`~.skim.skim` reads one). Raises ``WireFormatError`` as
        ``Envelope.from_wire`` does."""
        if not self.size:
            return skim(fields) or Envelope.from_wire(fields)
        key = (server, stream, _bytes(entry_id))
        found = self._items.get(key)
        data = _bytes(_field(fields, b"data"))
        if found is not None:
            event_id, sent, envelope, whole = found
            if (
                sent == data
                and _bytes(_field(fields, b"id")) == event_id
                and (whole or not wants(envelope.aggregate_type, envelope.type))
            ):
                self.hits += 1
                return envelope
        self.misses += 1
        skimmed = skim(fields)
        if skimmed is not None:
            self._put(key, (skimmed.id.encode(), data, skimmed, False))
            return skimmed
        envelope = Envelope.from_wire(fields)
        self._put(key, (envelope.id.encode(), data, envelope, True))
        return envelope


def _trim(items: OrderedDict[Any, Any], size: int) -> None:
    """Drop the oldest past ``size`` (an ``OrderedDict``: a plain dict's first key is found
    by walking the slots its deletions left, ≈ 1.5 s of a 20k-row import). No lock: another
    thread's trim may race this one, and either one's drop does."""
    while len(items) > size:
        try:
            items.popitem(last=False)
        except KeyError:
            return


def _field(fields: Mapping[Any, Any], name: bytes) -> Any:
    """A field by its name as redis-py gives it (bytes), or as text."""
    value = fields.get(name)
    return fields.get(name.decode(), b"") if value is None else value


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
