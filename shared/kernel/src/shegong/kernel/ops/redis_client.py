"""The services' Redis client: redis-py's asyncio client, packing each command with hiredis.

redis-py's *sync* connection packs commands with ``hiredis.pack_command`` (C) when hiredis
is installed; its asyncio connection always packs in Python, argument by argument. The
relay XADDs every event with its sixteen CloudEvents fields, so that Python packing was
half of the relay's CPU per event (cProfile, ``bench_bus.py``). :class:`PackedConnection`
is the asyncio connection with the sync client's packing; everything else is redis-py's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError
from redis.utils import HIREDIS_AVAILABLE

__all__ = ["PackedConnection", "ping", "redis_client"]

if HIREDIS_AVAILABLE:
    import hiredis


class PackedConnection(Connection):
    """A plain TCP connection whose commands are packed by hiredis (as redis-py's sync
    client packs them: the same bytes on the wire; a value redis-py refuses — None, a
    bool — is refused with the same :class:`DataError`)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if not HIREDIS_AVAILABLE:
            return super().pack_command(*args)
        # a command given with its literal arguments ("CONFIG GET") goes as separate words
        if isinstance(args[0], str):
            args = (*args[0].encode().split(), *args[1:])
        elif b" " in args[0]:
            args = (*args[0].split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError as err:
            raise DataError(str(err)) from None


def redis_client(url: str, **options: Any) -> Redis:
    """``Redis.from_url(url, **options)``, with :class:`PackedConnection` for a plain
    ``redis://`` URL (TLS and unix-socket URLs keep redis-py's own connection class)."""
    if urlsplit(url).scheme == "redis" and "connection_class" not in options:
        options["connection_class"] = PackedConnection
    return Redis.from_url(url, **options)


async def ping(redis: Redis) -> None:
    """PING, raising when Redis does not answer. A pooled connection that Redis closed
    while it was away (a restart) fails once and is dropped: ask once more, on a fresh
    connection, before calling Redis unreachable — else ``/ready`` said so once after
    every Redis restart."""
    try:
        await redis.ping()
    except RedisConnectionError:
        await redis.ping()
