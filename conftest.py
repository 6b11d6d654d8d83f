"""Fixtures every test layer shares: real Redis, real PostgreSQL, SQLite, isolation.

Where the services come from, in order: ``TEST_REDIS_URL`` / ``TEST_DATABASE_URL``
(CI sets them); a Docker engine via testcontainers; for Redis, the same embedded
server ``shegong up`` would start (so a newcomer's ``uv run pytest`` still exercises a
real Redis); otherwise the test is skipped with the reason. Each test gets its own
stream prefix and its own database, and cleans them up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

# Property tests check what is true, not how fast (speed is measured in bench/): no
# per-example deadline, which a loaded machine turns into a flaky failure.
settings.register_profile("shegong", deadline=None)
settings.load_profile("shegong")

# Tests by kind. Each test is marked from the fixtures it uses (a module or test that
# starts processes some other way marks itself ``process``, a heavy one ``slow``);
# ``fast`` is what is left: ``uv run pytest -m fast`` runs alone in seconds.
KINDS = {
    "redis": "needs a Redis server (uses the redis_url fixture)",
    "postgres": "needs PostgreSQL (postgres_url, or database_url's postgresql case)",
    "process": "starts child processes: services, the command line, external tools",
    "browser": "drives a real Chromium",
    "slow": "pure but heavy: generated cities, 50,000-row files, property searches",
    "fast": "needs none of the above: pure Python and SQLite files, runs in seconds",
}
_NEEDS = {
    "redis": {"redis_url"},
    "postgres": {"postgres_admin_url"},
    "process": {"service_process", "platform", "start_platform", "user_env"},
    "browser": {"browser"},
}


def pytest_configure(config: pytest.Config) -> None:
    for kind, meaning in KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            used.add("postgres_admin_url")
        for kind, fixtures in _NEEDS.items():
            if used & fixtures:
                item.add_marker(kind)
        if not any(item.get_closest_marker(kind) for kind in KINDS if kind != "fast"):
            item.add_marker("fast")


def _docker_ok() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    if _docker_ok():
        from testcontainers.community.redis import RedisContainer

        with RedisContainer("redis:7.0") as c:
            yield f"redis://{c.get_container_host_ip()}:{c.get_exposed_port(6379)}/0"
        return
    from shegong.platform.bus_server import start_bus_server

    server = start_bus_server(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    if _docker_ok():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as c:
            yield c.get_connection_url()
        return
    pytest.skip("PostgreSQL: no TEST_DATABASE_URL and no Docker engine")


@pytest.fixture
def stream_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis(redis_url: str, stream_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [k async for k in client.scan_iter(match=f"{stream_prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _fresh_postgres(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"shegong_t_{uuid.uuid4().hex[:12]}"
    admin = make_url(admin_url).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind the platform supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    yield from _fresh_postgres(admin_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    yield from _fresh_postgres(postgres_admin_url)
