"""Schema migrations (Alembic) for every service, run the same way everywhere.

A service's database holds two kinds of tables, and each has its own Alembic branch:

- ``kernel``: the kernel's tables (``schema.py``: events, relay checkpoints, tracking,
  failures), revisions in ``shegong/kernel/migrations/versions`` — shipped with the kernel,
  so a kernel change migrates every service alike;
- ``<service>``: the service's own tables (``ServiceDefinition.metadata`` and its
  projections' read models), revisions in the service package's ``migrations/`` folder
  (``shegong/<service>/migrations``, or ``ServiceDefinition.migrations``).

``upgrade`` takes both branches to their heads in one transaction (PostgreSQL: under an
advisory lock, so two runs at once queue and the second finds nothing to do). A database
that ``create_all`` made before migrations existed is stamped at the baselines first. A
service without a migrations folder yet keeps ``create_all`` for its own tables.

``python -m shegong.<service> migrate`` runs it (the compose ``migrate`` service and the
Kubernetes Job); ``migrate --check`` exits 1 unless the database is at head;
``migrate revision -m "…"`` autogenerates the service's next revision (``--initial``
starts its branch, ``--kernel`` writes a kernel revision).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, text

from shegong.kernel.events.schema import metadata as kernel_metadata
from shegong.kernel.ops.db import writing

if TYPE_CHECKING:
    from shegong.kernel.ops.runtime import Runtime

log = logging.getLogger("shegong.migrate")

KERNEL_BRANCH = "kernel"
SCRIPT_LOCATION = Path(__file__).parent.parent / "migrations"
KERNEL_VERSIONS = SCRIPT_LOCATION / "versions"
_LOCK_KEY = zlib.crc32(b"shegong:migrate")


class SchemaNotCurrent(RuntimeError):
    """The database is behind (or ahead of) the code: run the migrate step."""


class MigrationMissing(SchemaNotCurrent):
    """The code has tables no revision creates: a developer forgot a migration."""


@dataclass(frozen=True)
class SchemaPlan:
    """What one service's database must hold, and where its revisions live."""

    service: str
    service_metadata: tuple[MetaData, ...]
    versions: Path | None

    @property
    def branches(self) -> dict[str, tuple[Sequence[MetaData], Path]]:
        found: dict[str, tuple[Sequence[MetaData], Path]] = {
            KERNEL_BRANCH: ((kernel_metadata,), KERNEL_VERSIONS)
        }
        if self.versions is not None:
            found[self.service] = (self.service_metadata, self.versions)
        return found

    def config(self, connection: Connection | None = None, branch: str | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
        cfg.set_main_option("path_separator", "os")
        locations = [str(path) for _, path in self.branches.values()]
        cfg.set_main_option("version_locations", _pathsep().join(locations))
        cfg.attributes["connection"] = connection
        mds = self.branches[branch][0] if branch else self.all_metadata()
        cfg.attributes["target_metadata"] = list(mds)
        cfg.attributes["tables"] = frozenset(t for md in mds for t in md.tables)
        return cfg

    def all_metadata(self) -> list[MetaData]:
        return [kernel_metadata, *self.service_metadata]

    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    def heads(self) -> set[str]:
        return set(self.script().get_heads())


def plan_for(runtime: Runtime) -> SchemaPlan:
    definition = runtime.definition
    metadata: list[MetaData] = []
    for md in [*definition.metadata, *(r.projection.metadata for r in runtime.runners)]:
        if all(md is not seen for seen in metadata):
            metadata.append(md)
    return SchemaPlan(definition.name, tuple(metadata), versions_dir(runtime))


def versions_dir(runtime: Runtime) -> Path | None:
    """The service's revisions: ``ServiceDefinition.migrations``, else the
    ``migrations`` folder of the package ``shegong.<service>`` if it has one."""
    definition = runtime.definition
    explicit = getattr(definition, "migrations", None)
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec(f"shegong.{definition.name}")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "migrations"
        if candidate.is_dir():
            return candidate
    return None


# ------------------------------------------------------------------ on a connection


def upgrade_connection(
    conn: Connection,
    plan: SchemaPlan,
    *,
    require_every_table: bool = True,
    create_missing: bool = False,
) -> list[str]:
    """Both branches to head; returns the revisions applied (empty: nothing to do).

    A table of the code that no revision creates is a forgotten migration: the migrate
    command refuses (:class:`MigrationMissing`); a service migrating itself at start-up
    (``create_missing``) makes it with ``create_all`` and warns, so development goes on
    while the migrations test and the migrate step still catch it."""
    _lock(conn)
    before = _current(conn)
    if not before:
        _stamp_legacy(conn, plan)
        before = _current(conn)
    command.upgrade(plan.config(conn), "heads")
    if plan.versions is None:
        for md in plan.service_metadata:
            md.create_all(conn)
    if require_every_table:
        _require_every_table(conn, plan, create_missing=create_missing)
    after = _current(conn)
    applied = _applied(plan, before, after)
    if applied:
        log.info("%s: migrated to %s (%s)", plan.service, sorted(after), ", ".join(applied))
    return applied


def check_connection(conn: Connection, plan: SchemaPlan) -> None:
    current, heads = _current(conn), plan.heads()
    if current != heads:
        raise SchemaNotCurrent(
            f"{plan.service}: the database schema is at {sorted(current) or 'nothing'}, "
            f"the code expects {sorted(heads)}; run `python -m shegong.{plan.service} migrate`"
        )
    if plan.versions is None:
        for md in plan.service_metadata:
            md.create_all(conn)
    _require_every_table(conn, plan)


def _require_every_table(
    conn: Connection, plan: SchemaPlan, *, create_missing: bool = False
) -> None:
    """A table in the code that no revision creates is a forgotten migration: say so at
    once rather than fail on the first query that touches it."""
    existing = set(inspect(conn).get_table_names())
    missing = sorted({t for md in plan.all_metadata() for t in md.tables} - existing)
    if missing and create_missing:
        log.warning(
            "%s: tables %s are in the code but no migration creates them; made with "
            "create_all for now — write the migration: python -m shegong.%s migrate "
            "revision -m '…'",
            plan.service,
            missing,
            plan.service,
        )
        for md in plan.all_metadata():
            md.create_all(conn, tables=[md.tables[t] for t in missing if t in md.tables])
        return
    if missing:
        raise MigrationMissing(
            f"{plan.service}: tables {missing} are in the code but no migration creates "
            f"them; write one: python -m shegong.{plan.service} migrate revision -m '…'"
        )


def revision_connection(
    conn: Connection, plan: SchemaPlan, message: str, *, branch: str, initial: bool = False
) -> str | None:
    """Autogenerate the next revision of ``branch`` from the difference between the
    (upgraded) database and the code's tables. Returns the new file's path."""
    upgrade_connection(conn, plan, require_every_table=False)
    if branch == plan.service and plan.versions is None:
        raise SchemaNotCurrent(
            f"{plan.service} has no migrations folder: create "
            f"shegong/{plan.service}/migrations/ (empty), then run revision --initial"
        )
    branches = plan.branches
    _, folder = branches[branch]
    existing = [s for s in plan.script().walk_revisions() if branch in _branch_of(plan, s.revision)]
    rev_id = f"{branch}_{len(existing) + 1:04d}"
    script = command.revision(
        plan.config(conn, branch),
        message=message,
        autogenerate=True,
        head="base" if initial else f"{branch}@head",
        branch_label=branch if initial else None,
        version_path=str(folder),
        rev_id=rev_id,
    )
    scripts = script if isinstance(script, list) else [script]
    return next((s.path for s in scripts if s is not None), None)


def _current(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _applied(plan: SchemaPlan, before: set[str], after: set[str]) -> list[str]:
    if before == after:
        return []
    script = plan.script()
    done = {r.revision for b in before for r in script.iterate_revisions(b, "base")}
    todo = {r.revision for a in after for r in script.iterate_revisions(a, "base")}
    return sorted(todo - done)


def _branch_of(plan: SchemaPlan, revision: str) -> set[str]:
    rev = plan.script().get_revision(revision)
    return set(rev.branch_labels) if rev is not None else set()


def _stamp_legacy(conn: Connection, plan: SchemaPlan) -> None:
    """Tables made by ``create_all`` before migrations: per branch, stamp its head if the
    tables already equal the code's, else its baseline (later revisions then apply)."""
    existing = set(inspect(conn).get_table_names())
    if "events" not in existing:
        return
    script = plan.script()
    marks = []
    for branch, (mds, _) in plan.branches.items():
        tables = _tables_of(plan, branch)
        if not tables & existing:
            continue
        current = not _differences(conn, mds, tables)
        (base,) = [b for b in script.get_bases() if branch in _branch_of(plan, b)]
        marks.append(f"{branch}@head" if current else base)
    log.warning("%s: tables exist but no migration history; stamping %s", plan.service, marks)
    command.stamp(plan.config(conn), marks)


def _differences(conn: Connection, mds: Sequence[MetaData], tables: set[str]) -> list[object]:
    def in_scope(name: str | None, type_: str, _parents: object) -> bool:
        return type_ != "table" or name in tables

    context = MigrationContext.configure(conn, opts={"include_name": in_scope})
    return list(compare_metadata(context, list(mds)))  # type: ignore[arg-type]  # a list works (as target_metadata)


def _tables_of(plan: SchemaPlan, branch: str) -> set[str]:
    mds = plan.branches.get(branch, ((), Path()))[0]
    return {t for md in mds for t in md.tables}


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def _pathsep() -> str:
    import os

    return os.pathsep


# ------------------------------------------------------------------ on a runtime


async def upgrade(runtime: Runtime, *, create_missing: bool = False) -> list[str]:
    plan = plan_for(runtime)
    async with writing(runtime.engine) as conn:
        return await conn.run_sync(
            lambda c: upgrade_connection(c, plan, create_missing=create_missing)
        )


async def check(runtime: Runtime) -> None:
    plan = plan_for(runtime)
    async with writing(runtime.engine) as conn:
        await conn.run_sync(check_connection, plan)


async def wait_until_current(runtime: Runtime, timeout_s: float, every_s: float = 2.0) -> None:
    """For services started after a separate migrate step: wait for it, then go."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            await check(runtime)
            return
        except MigrationMissing:
            raise
        except SchemaNotCurrent as err:
            if loop.time() >= deadline:
                raise
            log.warning("%s; waiting for the migrate step", err)
        await asyncio.sleep(every_s)


async def revision(
    runtime: Runtime, message: str, *, kernel: bool = False, initial: bool = False
) -> str | None:
    plan = plan_for(runtime)
    branch = KERNEL_BRANCH if kernel else plan.service
    async with writing(runtime.engine) as conn:
        return await conn.run_sync(
            lambda c: revision_connection(c, plan, message, branch=branch, initial=initial)
        )
