"""A stream entry is parsed once per process, not once per consumer group
(``kernel/events/recent.py``), and a shared parse is never taken for another entry."""

from __future__ import annotations

from shegong.contracts import StreamContract
from shegong.kernel.events.recent import RecentEntries, decoded, recent_entries, server_of
from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.skim import skim
from shegong.kernel.testing import TALLY_STREAM, Counted, count_up


def _wants_all(aggregate_type: str, type_: str | None) -> bool:
    return True


def _wants_none(aggregate_type: str, type_: str | None) -> bool:
    return False


def _skim_for(wants):  # type: ignore[no-untyped-def]
    return lambda fields: skim(fields, wants)


async def test_groups_of_one_process_take_the_relays_envelopes(store, redis, stream_prefix) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 5)
    relay = OutboxRelay(store, redis, stream)
    hits = recent_entries.hits
    assert await relay.publish_once() == 5
    server = server_of(redis)
    for _, fields in await redis.xrange(stream):
        wanted = recent_entries.envelope(server, stream, fields, _wants_all, _skim_for(_wants_all))
        skipped = recent_entries.envelope(
            server, stream, fields, _wants_none, _skim_for(_wants_none)
        )
        assert skipped is wanted and wanted.data == {"by": 1}  # one envelope, not three
        # Each projection that reads it decodes it; the process validates it once.
        assert decoded(TALLY_STREAM, wanted) is decoded(TALLY_STREAM, skipped)
    assert recent_entries.hits - hits == 10


async def test_the_relay_leaves_its_envelopes_before_it_publishes(
    store, redis, stream_prefix, monkeypatch
) -> None:
    """A group on another thread's loop (training's, matching's under ``shegong up``) reads
    an entry the moment the XADD lands: the relay's parse must be there already."""
    from redis.asyncio.client import Pipeline

    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 3)
    relay, server = OutboxRelay(store, redis, stream), server_of(redis)
    published = await store.read_after(0)
    found = []
    execute = Pipeline.execute

    async def looked_up_first(pipe, *args, **kwargs):  # type: ignore[no-untyped-def]
        for envelope in published:
            fields = {k.encode(): v.encode() for k, v in envelope.to_wire().items()}
            found.append(
                recent_entries.envelope(server, stream, fields, _wants_all, _skim_for(_wants_all))
            )
        return await execute(pipe, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", looked_up_first)
    hits = recent_entries.hits
    assert await relay.publish_once() == 3
    assert recent_entries.hits - hits == 3
    assert [e.id for e in found] == [e.id for e in published]


async def test_an_entry_with_other_content_under_a_known_id_is_parsed_anew(
    store, redis, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 2)
    cache = RecentEntries(size=16)
    first, second = await store.read_after(0)
    server = server_of(redis)
    cache.put(server, stream, first, first.to_wire())
    fields = {k.encode(): v.encode() for k, v in first.to_wire().items()}
    assert cache.envelope(server, stream, fields, _wants_all, _skim_for(_wants_all)) is first
    # Same event id, other data (a test's hand-made entry): parsed anew.
    changed = {**fields, b"data": b'{"by":7}'}
    got = cache.envelope(server, stream, changed, _wants_all, _skim_for(_wants_all))
    assert got.data == {"by": 7}
    # Same event id and data, another field (a stream rebuilt with other positions).
    moved = {**fields, b"sequence": str(first.sequence + 100).encode()}
    got = cache.envelope(server, stream, moved, _wants_all, _skim_for(_wants_all))
    assert got is not first and got.sequence == first.sequence + 100
    # Another Redis server's entry of the same event is another entry.
    elsewhere = ("other-host", 6379, None, 0)
    cache.put(elsewhere, stream, second, second.to_wire())
    other = {k.encode(): v.encode() for k, v in second.to_wire().items()}
    got = cache.envelope(server, stream, other, _wants_all, _skim_for(_wants_all))
    assert got.id == second.id and got is not second
    # Text fields (a client that decodes responses) are the same entry.
    text = cache.envelope(elsewhere, stream, second.to_wire(), _wants_all, _skim_for(_wants_all))
    assert text is second
    # Left as bytes (as the relay encodes them once for its XADD): the same entry.
    cache.put(server, stream, second, other)
    assert cache.envelope(server, stream, other, _wants_all, _skim_for(_wants_all)) is second


async def test_a_skimmed_entry_is_read_whole_by_a_group_that_wants_it(
    store, redis, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 1)
    (envelope,) = await store.read_after(0)
    fields = {k.encode(): v.encode() for k, v in envelope.to_wire().items()}
    cache, server = RecentEntries(size=16), server_of(redis)
    skimmed = cache.envelope(server, stream, fields, _wants_none, _skim_for(_wants_none))
    assert skimmed.data == {}  # a group that skips it does not parse its data
    whole = cache.envelope(server, stream, fields, _wants_all, _skim_for(_wants_all))
    assert whole.data == {"by": 1}
    again = cache.envelope(server, stream, fields, _wants_none, _skim_for(_wants_none))
    assert again is whole and cache.hits == 1


async def test_the_window_keeps_the_newest_entries(store, redis, stream_prefix) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 5)
    cache, server = RecentEntries(size=3), server_of(redis)
    envelopes = await store.read_after(0)
    for envelope in envelopes:
        cache.put(server, stream, envelope, envelope.to_wire())
    assert len(cache._items) == 3
    fields = {k.encode(): v.encode() for k, v in envelopes[0].to_wire().items()}
    got = cache.envelope(server, stream, fields, _wants_all, _skim_for(_wants_all))
    assert got is not envelopes[0] and got.id == envelopes[0].id  # gone: parsed again


def test_a_decoded_event_is_shared_only_for_its_contract_and_data() -> None:
    from datetime import UTC, datetime

    from shegong.contracts import Envelope

    now = datetime.now(UTC)
    common = {
        "id": "ev-1",
        "type": "Counted",
        "schema_version": 1,
        "source": "/t",
        "service": "tally",
        "subject": "c",
        "aggregate_type": "counter",
        "aggregate_version": 1,
        "sequence": 1,
        "time": now,
        "recorded_time": now,
        "correlation_id": "x",
    }
    one = Envelope(**common, data={"by": 1})
    event = decoded(TALLY_STREAM, one)
    assert isinstance(event, Counted) and event.by == 1
    assert decoded(TALLY_STREAM, Envelope(**common, data={"by": 1})) is event
    assert decoded(TALLY_STREAM, Envelope(**common, data={"by": 2})).by == 2
    twin = StreamContract(
        name="tally.events", service="tally", description="another", events=(Counted,)
    )
    assert decoded(twin, one) is not event
