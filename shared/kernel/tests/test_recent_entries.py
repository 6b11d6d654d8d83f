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
    for entry_id, fields in await redis.xrange(stream):
        wanted = recent_entries.envelope(
            server, stream, entry_id, fields, _wants_all, _skim_for(_wants_all)
        )
        skipped = recent_entries.envelope(
            server, stream, entry_id, fields, _wants_none, _skim_for(_wants_none)
        )
        assert skipped is wanted and wanted.data == {"by": 1}  # one envelope, not three
        # Each projection that reads it decodes it; the process validates it once.
        assert decoded(TALLY_STREAM, wanted) is decoded(TALLY_STREAM, skipped)
    assert recent_entries.hits - hits == 10


async def test_an_entry_with_other_content_under_a_known_id_is_parsed_anew(
    store, redis, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 2)
    cache = RecentEntries(size=16)
    first, second = await store.read_after(0)
    server = server_of(redis)
    cache.put(server, stream, b"1-1", first, first.to_wire())
    # The stream was recreated (a flush) and the id came back with another event.
    other = {k.encode(): v.encode() for k, v in second.to_wire().items()}
    got = cache.envelope(server, stream, b"1-1", other, _wants_all, _skim_for(_wants_all))
    assert got.id == second.id and got is not first
    # Same event id, other data (a test's hand-made entry): parsed anew too.
    changed = {**other, b"data": b'{"by":7}'}
    got = cache.envelope(server, stream, b"1-1", changed, _wants_all, _skim_for(_wants_all))
    assert got.data == {"by": 7}
    # Another Redis server's entry of the same id is another entry.
    elsewhere = ("other-host", 6379, None, 0)
    cache.put(elsewhere, stream, b"2-1", first, first.to_wire())
    got = cache.envelope(server, stream, b"2-1", other, _wants_all, _skim_for(_wants_all))
    assert got.id == second.id


async def test_a_skimmed_entry_is_read_whole_by_a_group_that_wants_it(
    store, redis, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 1)
    (envelope,) = await store.read_after(0)
    fields = {k.encode(): v.encode() for k, v in envelope.to_wire().items()}
    cache, server = RecentEntries(size=16), server_of(redis)
    skimmed = cache.envelope(server, stream, b"1-1", fields, _wants_none, _skim_for(_wants_none))
    assert skimmed.data == {}  # a group that skips it does not parse its data
    whole = cache.envelope(server, stream, b"1-1", fields, _wants_all, _skim_for(_wants_all))
    assert whole.data == {"by": 1}
    again = cache.envelope(server, stream, b"1-1", fields, _wants_none, _skim_for(_wants_none))
    assert again is whole and cache.hits == 1


async def test_the_window_keeps_the_newest_entries(store, redis, stream_prefix) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count_up(store, "a", 5)
    cache, server = RecentEntries(size=3), server_of(redis)
    envelopes = await store.read_after(0)
    for n, envelope in enumerate(envelopes):
        cache.put(server, stream, f"1-{n}".encode(), envelope, envelope.to_wire())
    assert len(cache._items) == 3
    fields = {k.encode(): v.encode() for k, v in envelopes[0].to_wire().items()}
    got = cache.envelope(server, stream, b"1-0", fields, _wants_all, _skim_for(_wants_all))
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
