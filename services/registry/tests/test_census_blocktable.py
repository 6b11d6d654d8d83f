"""The linker's block table (arrays, not Python objects) against a ``dict`` doing the same:
the same blocks, the same counts and records, walked in the same order, through adds,
removals and rebuilds."""

from __future__ import annotations

import random

from shegong.registry.census.blocktable import BlockTable


def test_block_table_keeps_a_dicts_blocks_and_order_through_adds_removals_and_rebuilds() -> None:
    rng = random.Random(5)
    table = BlockTable()
    model: dict[int, list[int]] = {}  # digest → rows, as a dict keeps them
    entry: dict[int, int] = {}
    digests = [rng.getrandbits(60) for _ in range(400)] + [7, 7 + 8, 7 + 16]  # a probe run
    for step in range(6000):
        digest = rng.choice(digests)
        if digest in model and rng.random() < 0.45:
            e = table.first(digest)
            assert e >= 0
            table.counts[e] -= 1
            model[digest].pop()
            if not model[digest]:
                del model[digest]
                table.remove(e)
        elif digest in model:
            e = table.first(digest)
            table.counts[e] += 1
            table.tails[e] = step
            model[digest].append(step)
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
    assert table.first(rng.getrandbits(60) | 1 << 61) == -1
    assert table.filled * 3 < len(table.slots) * 2  # rebuilt before two thirds full
