"""Fixtures for the registry's HTTP tests: a running registry node on real Redis and a
real database, driven in-process through ASGI (no sockets, no mocks).

``start_node`` starts as many nodes as a test needs (department nodes share one Redis
and one stream prefix, each with its own database); ``registry`` is one node on each
database kind (``database_url`` is parametrised over sqlite and postgresql).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.testing import RoleKeys
from shegong.registry.main import RegistrySettings, build


@dataclass
class Node:
    """One running registry service and an HTTP client bound to it."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime


StartNode = Callable[..., Awaitable[Node]]


@pytest.fixture
async def start_node(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[StartNode]:
    """``await start_node(database_url, department=..., node=..., **settings)``."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            database_url: str, department: str = "city", census: bool = False, **extra: object
        ) -> Node:
            settings = RegistrySettings(
                registry_census=census,
                database_url=database_url,
                redis_url=redis_url,
                stream_prefix=stream_prefix,
                department=department,
                consumer_name=f"{department}-test",
                pii_hash_key="k" * 32,
                catch_up_s=0,
                claim_idle_ms=500,
                data_dir=str(tmp_path / department),
                **extra,  # type: ignore[arg-type]
            )
            app = build(settings)
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
            )
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{department}"
                )
            )
            return Node(app, client, settings)

        yield start


@pytest.fixture
async def registry(database_url: str, start_node: StartNode) -> Node:
    """A registry node on a fresh database (sqlite and postgresql), without the census
    (as a department's node runs): its feed holds only what its commands wrote.

    ``database_url`` comes first so that it is torn down last, after the node stopped."""
    return await start_node(database_url)


@pytest.fixture
async def city(database_url: str, start_node: StartNode) -> Node:
    """The city's registry node, running the census, on a fresh database."""
    return await start_node(database_url, census=True)


def as_(node: Node, key: str | None, header: str = "bearer") -> httpx.AsyncClient:
    headers = {}
    if key is not None:
        headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}
    return httpx.AsyncClient(
        transport=node.client._transport, base_url=str(node.client.base_url), headers=headers
    )


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


@pytest.fixture
async def node(sqlite_url: str, start_node: StartNode, keys: RoleKeys) -> Node:
    """A registry on SQLite whose keys file holds :class:`~shegong.kernel.testing.RoleKeys`."""
    return await start_node(sqlite_url, api_keys_file=str(keys.file.path))
