"""The services' Redis client packs commands with hiredis: the same bytes on the wire as
redis-py's own packing, the same refusal of a value Redis cannot take, and a round trip
through a real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from shegong.kernel.ops.redis_client import PackedConnection, ping, redis_client

COMMANDS = [
    ("XADD", "s", "MAXLEN", "~", 10, "*", "type", "Counted", "data", '{"by": 1}', "n", 2.5),
    ("CONFIG GET", "maxmemory"),
    (b"SET", "名字", "刘丽华".encode(), "EX", 30),
    ("XACK", b"s", "g", memoryview(b"1-0")),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_packs_to_the_bytes_redis_py_sends(command: tuple[object, ...]) -> None:
    ours, theirs = PackedConnection(), Connection()
    assert b"".join(ours.pack_command(*command)) == b"".join(
        bytes(part) for part in theirs.pack_command(*command)
    )


@pytest.mark.parametrize("value", [None, True])
def test_a_value_redis_cannot_take_is_refused_as_redis_py_refuses_it(value: object) -> None:
    with pytest.raises(DataError):
        PackedConnection().pack_command("SET", "k", value)
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", value)


async def test_a_stream_round_trip_through_redis(redis_url: str) -> None:
    client = redis_client(redis_url)
    assert client.connection_pool.connection_class is PackedConnection
    key = f"test-packed-{uuid.uuid4().hex}"
    try:
        async with client.pipeline(transaction=True) as pipe:
            for i in range(3):
                pipe.xadd(key, {"i": i, "名": "张三", "f": 0.5})
            ids = await pipe.execute()
        entries = await client.xrange(key)
        assert [e[0] for e in entries] == ids
        assert entries[2][1] == {b"i": b"2", "名".encode(): "张三".encode(), b"f": b"0.5"}
    finally:
        await client.delete(key)
        await client.aclose()


def test_tls_and_unix_socket_urls_keep_redis_pys_connection_class() -> None:
    for url in ("rediss://127.0.0.1:6380/0", "unix:///tmp/redis.sock"):
        assert redis_client(url).connection_pool.connection_class is not PackedConnection


async def test_ping_answers_at_once_after_a_redis_restart(tmp_path) -> None:
    """The first PING after Redis restarted took a pooled connection Redis had closed and
    failed ("Connection closed by server"): ``/ready`` said Redis was unreachable once
    after every restart (a fault test caught it). ``ping`` asks once more on a fresh one."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from shegong.platform.bus_server import start_bus_server

    server = start_bus_server(tmp_path / "bus", prefer="redis-server")
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    client = redis_client(server.url)
    try:
        await asyncio.gather(*(client.ping() for _ in range(4)))  # a pool of connections
        server.stop()
        server = start_bus_server(tmp_path / "bus", prefer="redis-server", port=port)
        await ping(client)  # no error
        server.stop()
        server = start_bus_server(tmp_path / "bus", prefer="redis-server", port=port)
        with pytest.raises(RedisConnectionError):  # what a single PING did
            await client.ping()
    finally:
        await client.aclose()
        server.stop()
