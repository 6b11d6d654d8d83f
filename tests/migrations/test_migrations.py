"""Alembic migrations of every service (the ``shegong.services`` entry points): an empty
database migrated to head holds exactly the tables ``create_all`` makes from the code;
migrating again changes nothing; a database made by ``create_all`` before migrations
existed is adopted; ``check`` refuses a stale schema. Each on SQLite and PostgreSQL.

A new service is covered as soon as it is installed; once it has a ``migrations`` folder,
its revisions must match its tables here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from shegong.kernel.events import migrate
from shegong.kernel.ops.db import writing
from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
from shegong.kernel.ops.settings import ServiceSettings

# The services with an event store (a web front-end such as the console has no database).
SERVICES = {
    ep.name: definition
    for ep in entry_points(group="shegong.services")
    if not (definition := ep.load()).extras.get("web")
}


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> ServiceDefinition:
    return SERVICES[request.param]


@asynccontextmanager
async def runtime_on(
    service: ServiceDefinition, database_url: str, **extra: Any
) -> AsyncIterator[Runtime]:
    settings = ServiceSettings(
        database_url=database_url, pii_hash_key="k" * 32, redis_url="redis://127.0.0.1:1/0"
    )
    runtime = Runtime(service, settings.model_copy(update=extra))
    try:
        yield runtime
    finally:
        await runtime.redis.aclose()
        await runtime.engine.dispose()


async def on_connection(runtime: Runtime, fn: Callable[[Connection], Any]) -> Any:
    async with writing(runtime.engine) as conn:
        return await conn.run_sync(fn)


def shape(conn: Connection) -> dict[str, Any]:
    """Tables, columns (type, nullability), keys, unique constraints and indexes."""
    insp = inspect(conn)
    tables: dict[str, Any] = {}
    for name in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        tables[name] = {
            "columns": {
                c["name"]: (type(c["type"]).__name__, c["nullable"]) for c in insp.get_columns(name)
            },
            "pk": sorted(insp.get_pk_constraint(name)["constrained_columns"]),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(name)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(name)
            ),
        }
    return tables


def all_metadata(runtime: Runtime) -> list[Any]:
    return migrate.plan_for(runtime).all_metadata()


async def test_migrating_an_empty_database_makes_what_create_all_makes(
    service: ServiceDefinition, database_url: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    async with runtime_on(service, database_url) as rt:
        applied = await migrate.upgrade(rt)
        assert "kernel_0001" in applied
        if migrate.plan_for(rt).versions is not None:
            assert f"{service.name}_0001" in applied
        migrated = await on_connection(rt, shape)
        diff = await on_connection(
            rt, lambda c: compare_metadata(MigrationContext.configure(c), all_metadata(rt))
        )
        assert diff == [], diff
        heads = await on_connection(
            rt, lambda c: set(MigrationContext.configure(c).get_current_heads())
        )
        assert heads == migrate.plan_for(rt).heads()

    reference_url = (
        f"sqlite:///{tmp_path}/reference.db"
        if database_url.startswith("sqlite")
        else request.getfixturevalue("postgres_url")
    )
    async with runtime_on(service, reference_url) as ref:

        def create_all(conn: Connection) -> None:
            for md in all_metadata(ref):
                md.create_all(conn)

        await on_connection(ref, create_all)
        assert await on_connection(ref, shape) == migrated


async def test_migrating_twice_is_a_no_op(service: ServiceDefinition, database_url: str) -> None:
    async with runtime_on(service, database_url) as rt:
        await migrate.upgrade(rt)
        before = await on_connection(rt, shape)
        assert await migrate.upgrade(rt) == []
        assert await on_connection(rt, shape) == before
        await migrate.check(rt)


async def test_a_database_made_before_migrations_is_adopted(
    service: ServiceDefinition, database_url: str
) -> None:
    """create_all without the events.traceparent column and the events type index
    (kernel_0001's tables): the upgrade stamps the baselines and applies only the kernel's
    later revisions."""
    async with runtime_on(service, database_url) as rt:

        def legacy(conn: Connection) -> None:
            for md in all_metadata(rt):
                md.create_all(conn)
            conn.execute(text("DROP INDEX ix_events_type_position"))
            conn.execute(text("ALTER TABLE events DROP COLUMN traceparent"))
            conn.execute(text("DROP TABLE import_jobs"))

        await on_connection(rt, legacy)
        applied = await migrate.upgrade(rt)
        assert {"kernel_0002", "kernel_0003", "kernel_0004"} <= set(applied)
        assert "kernel_0001" not in applied
        columns = await on_connection(
            rt, lambda c: {col["name"] for col in inspect(c).get_columns("events")}
        )
        assert "traceparent" in columns
        await migrate.check(rt)


async def test_check_mode_refuses_a_database_that_was_not_migrated(
    service: ServiceDefinition, database_url: str
) -> None:
    async with runtime_on(service, database_url, schema_on_start="check", schema_wait_s=0) as rt:
        with pytest.raises(migrate.SchemaNotCurrent, match="migrate"):
            await rt.create_schema()
        await migrate.upgrade(rt)
        await rt.create_schema()  # at head: starts


async def test_a_table_no_migration_creates_is_reported_not_silently_missing(
    sqlite_url: str,
) -> None:
    service = SERVICES["registry"]
    from sqlalchemy import Column, Integer, MetaData, Table

    forgotten = MetaData()
    Table("rm_forgotten", forgotten, Column("id", Integer, primary_key=True))
    async with runtime_on(service, sqlite_url) as rt:
        plan = migrate.plan_for(rt)
        sloppy = migrate.SchemaPlan(
            plan.service, (*plan.service_metadata, forgotten), plan.versions
        )
        with pytest.raises(migrate.MigrationMissing, match="rm_forgotten"):
            await on_connection(rt, lambda c: migrate.upgrade_connection(c, sloppy))
        # A service migrating itself at start-up makes it, and says so.
        await on_connection(
            rt, lambda c: migrate.upgrade_connection(c, sloppy, create_missing=True)
        )
        tables = await on_connection(rt, lambda c: set(inspect(c).get_table_names()))
        assert "rm_forgotten" in tables
