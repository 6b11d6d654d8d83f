"""The linker's edge store (arrays) against the tuple-per-record rows it replaced, and the
sharing of one edge object by the pairs of one kind."""

from __future__ import annotations

import random
from datetime import date
from types import SimpleNamespace

from shegong.registry.census.comparison import CensusRecord
from shegong.registry.census.edgestore import EdgeStore
from shegong.registry.census.model import DEFAULT_MODEL
from shegong.registry.census.scoring import _compare, _Edge, _Rec


def _edge(i: int) -> _Edge:
    return _Edge(True, "match-weight", float(i), DEFAULT_MODEL, (1, 1, 1, 1, 0, 0, 0), 3.0)


def test_edge_store_keeps_each_records_edges_in_the_order_they_came() -> None:
    rng = random.Random(7)
    kinds = [_edge(i) for i in range(5)]
    keys = [f"k{i}" for i in range(40)]
    table = [SimpleNamespace(key=key, row=row) for row, key in enumerate(keys)]  # row → record
    store = EdgeStore({r.key: r for r in table}, table)  # type: ignore[arg-type]
    rows: dict[str, list[tuple[str, _Edge]]] = {}  # the old rows: a tuple per record
    for step in range(6000):
        key, other = rng.sample(keys, 2)
        op = rng.random()
        if op < 0.55:
            if other in {o for o, _ in rows.get(key, [])}:
                continue
            edge = rng.choice(kinds)
            store.add(key, other, edge)
            rows.setdefault(key, []).append((other, edge))
        elif op < 0.9 and rows.get(key):
            gone, _ = rng.choice(rows[key])
            store.drop(key, gone)
            rows[key] = [(o, e) for o, e in rows[key] if o != gone]
            if not rows[key]:
                del rows[key]
        elif op >= 0.9:
            assert store.pop(key) == [o for o, _ in rows.pop(key, [])]
        if step % 1000 == 999:
            store.forget_kinds()
        assert set(store) == set(rows)
        for k in (key, other):
            assert store.edges(k) == rows.get(k, [])
            assert store.others(k) == [o for o, _ in rows.get(k, [])]
            pairs = zip(store.edges(k), rows.get(k, []), strict=True)
            assert all(e is edge for (_, e), (_, edge) in pairs)
    # Entries are reused: the store holds no more than it ever held at once.
    assert len(store._other) <= 40 * 39


def _record(key: str, name: str, phone: str) -> CensusRecord:
    return CensusRecord(
        key=key, department=key.split(":")[0], name=name, birth_date=date(1980, 5, 6),
        sex="female", phone_hash=phone, phone_kind="mobile", organization="富源县第一中学",
    )  # fmt: skip


def test_pairs_of_one_kind_share_one_edge() -> None:
    a, b = _Rec(_record("mz:1", "李秀英", "p1")), _Rec(_record("rs:1", "李秀英", "p1"))
    c, d = _Rec(_record("mz:2", "王建华", "p2")), _Rec(_record("rs:2", "王建华", "p2"))
    first = _compare(a, b, DEFAULT_MODEL, 9.0)
    assert first is not None and first.link
    assert _compare(c, d, DEFAULT_MODEL, 9.0) is first  # the same vector and weights
    other = _compare(c, d, DEFAULT_MODEL, 5.0)  # another name weight: another kind
    assert other is not None and other is not first and other.weight < first.weight


def test_more_kinds_than_two_bytes_number_are_kept_apart() -> None:
    """A store numbers its kinds in two bytes while it can, then in four: each edge keeps
    its own kind past 65,535 of them."""
    keys = [f"k{i}" for i in range(3)]
    table = [SimpleNamespace(key=key, row=row) for row, key in enumerate(keys)]
    store = EdgeStore({r.key: r for r in table}, table)  # type: ignore[arg-type]
    kinds = [object() for _ in range(70_000)]
    for kind in kinds:
        store.add("k0", "k1", kind)
        store.drop("k0", "k1")  # one entry, used again
    store.add("k0", "k1", kinds[-1])
    store.add("k0", "k2", kinds[65_536])
    store.add("k1", "k0", kinds[3])
    assert store.edges("k0") == [("k1", kinds[-1]), ("k2", kinds[65_536])]
    assert store.edges("k1") == [("k0", kinds[3])]
    store.forget_kinds()
    assert store.edges("k0") == [("k1", kinds[-1]), ("k2", kinds[65_536])]
    assert store.edges("k1") == [("k0", kinds[3])]
