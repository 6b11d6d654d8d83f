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


# Tests that start a whole platform (``shegong up``, ``shegong demo``, the launcher) run one
# after another on one xdist worker, as they do without xdist: a platform takes the default
# ports 8100–8103 when they are free, so two starting at the same moment could race for a
# port; and a session- or module-scoped platform is then started once, not once per worker.
# (``xdist_group`` marks would say the same, but pytest 9.2's node ids no longer carry
# xdist 3.8's group suffix — pytest-xdist#1386 — so the group is made by path, here.)
PLATFORM_GROUP = "platform"
PLATFORM_PATHS = (
    "tests/cli/",
    "tests/e2e/test_platform.py",
    "tests/faults/test_supervisor.py",
    "tests/scale/test_platform_processes.py",
    "services/console/tests/test_browser.py",
    "services/console/tests/test_import_bar.py",
    "services/console/tests/test_phone.py",
)
_PLATFORM_FIXTURES = {"platform", "start_platform"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``-n N`` (``--dist load`` or ``loadgroup``): every test on its own, as xdist's
    ``load`` does, except the platform group, which goes to one worker as a whole."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PlatformGroup(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(PLATFORM_PATHS):
                return PLATFORM_GROUP
            return str(super()._split_scope(nodeid))

    return PlatformGroup(config, log)  # type: ignore[arg-type]


# The longest single tests (30–70 s each in CI), handed to the workers first under ``-n``:
# met last, one of them ran alone on one worker while the other had finished. (The
# platform group, the largest unit, already goes first: xdist orders units by size.)
LONG_FIRST = (
    "tests/scale/test_replicas.py",
    "tests/faults/test_database_restart.py",
    "tests/faults/test_import_job_restart.py",
    "tests/deploy/test_container_start.py",
    "services/registry/tests/test_roster_import.py::test_twenty_thousand_rows",
    "tests/e2e/test_annual_report.py",
    "services/registry/tests/test_roster_parsing.py::test_fifty_thousand_rows",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))  # stable: else as found
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _PLATFORM_FIXTURES and not item.nodeid.startswith(PLATFORM_PATHS):
            raise pytest.UsageError(
                f"{item.nodeid} starts a platform: add its module to PLATFORM_PATHS (conftest.py)"
            )
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


class FreshDatabases:
    """Fresh PostgreSQL databases, one per test, made and dropped off the test's time.

    Every test still gets a database of its own, created from ``template1`` for it alone and
    dropped after it (``WITH (FORCE)``); nothing is reused. What changes is when: a
    ``CREATE DATABASE`` / ``DROP DATABASE`` costs 0.4–1.7 s on a loaded machine (the server
    writes and syncs a copy of the template), so one thread creates the next test's database
    while a test runs and drops a finished test's database while the next one runs — about
    166 tests use PostgreSQL. The session waits for the last drop."""

    def __init__(self, admin_url: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.admin = make_url(admin_url).set(drivername="postgresql")
        self.dsn = self.admin.render_as_string(hide_password=False)
        self.worker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fresh-databases")
        self.next = self.worker.submit(self._create)

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)

    def _create(self) -> str:
        name = f"shegong_t_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}"')
        return name

    def _drop(self, name: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self) -> str:
        """A database made for the caller alone (its URL); :meth:`done` drops it."""
        name, self.next = self.next.result(), self.worker.submit(self._create)
        return str(self.admin.set(database=name).render_as_string(hide_password=False))

    def done(self, url: str) -> None:
        self.worker.submit(self._drop, str(make_url(url).database))

    def close(self) -> None:
        try:
            self._drop(self.next.result())
        finally:
            self.worker.shutdown(wait=True)


@pytest.fixture(scope="session")
def fresh_databases(postgres_admin_url: str) -> Iterator[FreshDatabases]:
    databases = FreshDatabases(postgres_admin_url)
    yield databases
    databases.close()


def _fresh_postgres(databases: FreshDatabases) -> Iterator[str]:
    url = databases.take()
    try:
        yield url
    finally:
        databases.done(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind the platform supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    yield from _fresh_postgres(request.getfixturevalue("fresh_databases"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def postgres_url(fresh_databases: FreshDatabases) -> Iterator[str]:
    yield from _fresh_postgres(fresh_databases)
