"""The linker's block table (arrays, not Python objects) against a ``dict`` doing the same:
the same blocks, the same counts and records, walked in the same order, through adds,
removals and rebuilds."""

from __future__ import annotations

import random

from shegong.registry.census.blocktable import LONG, BlockTable


def test_block_table_keeps_a_dicts_blocks_and_order_through_adds_removals_and_rebuilds() -> None:
    rng = random.Random(5)
    table = BlockTable()
    model: dict[int, list[int]] = {}  # digest → rows, as a dict keeps them
    entry: dict[int, int] = {}
    digests = [rng.getrandbits(31) for _ in range(400)] + [7, 7 + 8, 7 + 16]  # a probe run
    digests += digests[:4] * 30  # and a few blocks long enough to keep their last row
    for step in range(6000):
        digest = rng.choice(digests)
        if digest in model and rng.random() < 0.45:
            e = table.first(digest)
            assert e >= 0
            table.counts[e] -= 1
            model[digest].pop()
            if len(model[digest]) >= LONG:
                table.long[e] = model[digest][-1]
            elif len(model[digest]) == LONG - 1:
                del table.long[e]
            if not model[digest]:
                del model[digest]
                table.remove(e)
        elif digest in model:
            e = table.first(digest)
            table.counts[e] += 1
            model[digest].append(step)
            if len(model[digest]) >= LONG:
                table.long[e] = step
        else:
            e = table.add(digest, step)
            assert table.digests[e] == digest
            model[digest] = [step]
        if step % 500 == 0:
            entry = {table.digests[e]: e for e in table.entries()}
            assert list(entry) == list(model)  # creation order, as the dict's
            assert len(table) == len(model)
    entry = {table.digests[e]: e for e in table.entries()}
    assert list(entry) == list(model)
    for digest, rows in model.items():
        e = table.first(digest)
        assert e == entry[digest]
        assert table.counts[e] == len(rows)
        assert table.heads[e] == rows[0]
        assert table.long.get(e) == (rows[-1] if len(rows) >= LONG else None)
    assert len(table.long) == sum(len(rows) >= LONG for rows in model.values()) > 0
    assert table.first(rng.getrandbits(31) | 1 << 30) == -1
    assert table.filled * 3 < len(table.slots) * 2  # rebuilt before two thirds full


def test_a_block_of_more_records_than_two_bytes_count_keeps_its_count() -> None:
    """Counts take two bytes while every block holds fewer than 65,536 records, then
    four: a block that grows past it (an office number written for a whole city) keeps
    its count, first and last row, and so do the others."""
    from array import array

    table = BlockTable()
    nexts = array("i", [-1]) * 70_000
    big, small = table.add(11, 0), table.add(12, 69_999)
    for row in range(1, 69_999):
        table.append(big, row, nexts, 1, 0)
    assert table.counts[big] == 69_999 and table.counts[small] == 1
    assert table.heads[big] == 0 and table.long[big] == 69_998
    table.took(big, 69_998, 69_997)
    assert table.counts[big] == 69_998 and table.long[big] == 69_997
    assert [table.first(11), table.first(12)] == [big, small]
