"""The ``X-Correlation-ID`` a caller sends reaches the events only as the edge accepted it.

Probed: the edge answered with a fresh id for a header of 3,000 characters holding
``<script>`` and a phone number, but the command context took the raw header, so the event
carried it — a raw phone on the bus (rule 7), markup, any length — and its correlation id
was not the one the caller was told. Now the event's id is the answer's id; a sane header
is kept as given. Real components: the registry app, real Redis and SQLite, over HTTP."""

from __future__ import annotations

from .conftest import Node, StartNode


async def test_the_events_carry_the_correlation_id_the_edge_accepted(
    sqlite_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(sqlite_url)
    hostile = "<script>alert(1)</script> 13909310002 " + "x" * 3000
    sane = ("batch-2024.03:roster@mz", "case-2026-0042", "550e8400-e29b-41d4-a716-44665544abcd")
    # A phone or an ID number, however separated, would go onto the bus whole.
    numbers = ("621126197501180351", "mz/621126-19750118-0351", "139.0931.0002", "c:13909310002")
    sent_kept = [(hostile, False), *((s, True) for s in sane), *((n, False) for n in numbers)]
    for sent, kept in sent_kept:
        r = await node.client.post(
            "/workers",
            json={"name": "关联测试", "department": "civil-affairs"},
            headers={"X-Correlation-ID": sent},
        )
        assert r.status_code == 201, r.text
        answered = r.headers["X-Correlation-ID"]
        assert (answered == sent) is kept
        (ref,) = r.json()["events"]
        (stored,) = [e for e in await node.runtime.store.read_after(0, 1000) if e.id == ref["id"]]
        assert stored.correlation_id == answered
        assert "13909310002" not in stored.correlation_id
        assert "19750118" not in stored.correlation_id


async def test_an_actor_header_never_puts_a_whole_number_on_the_bus(
    sqlite_url: str, start_node: StartNode
) -> None:
    """``X-Actor`` names the person acting; a phone typed into it (probed:
    ``张科员 13909310002``) went whole into the event's actor, onto the bus."""
    node: Node = await start_node(sqlite_url)
    r = await node.client.post(
        "/workers",
        json={"name": "张三", "department": "civil-affairs"},
        headers={"X-Actor": "%E5%BC%A0%E7%A7%91%E5%91%98 13909310002 / 621126197501180351"},
    )
    assert r.status_code == 201, r.text
    (ref,) = r.json()["events"]
    (stored,) = [e for e in await node.runtime.store.read_after(0, 1000) if e.id == ref["id"]]
    assert stored.actor is not None and stored.actor.startswith("张科员 139")
    assert "13909310002" not in stored.actor and "621126197501180351" not in stored.actor
