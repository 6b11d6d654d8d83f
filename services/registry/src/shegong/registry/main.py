"""The registry service's composition root (`shegong-registry`, `python -m shegong.registry`)."""

from __future__ import annotations

import logging
import sys

from fastapi import APIRouter, FastAPI

from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.web.app import create_app
from shegong.kernel.web.serve import hasher_for, serve
from shegong.registry.adapters.personal_data import metadata as personal_data_metadata
from shegong.registry.adapters.roster_records import metadata as roster_records_metadata
from shegong.registry.api.census import census_router
from shegong.registry.api.imports import imports_router
from shegong.registry.api.routes import regions_router, registry_router
from shegong.registry.application.census import CensusCommands, ExpertPoolImporter
from shegong.registry.application.handlers import RegistryCommands
from shegong.registry.application.region_import import RegionImporter
from shegong.registry.application.roster_import import RosterImporter
from shegong.registry.census.projection import CensusProjection
from shegong.registry.census.tables import state_metadata as census_state_metadata
from shegong.registry.ladder import (
    Ladder,
    LadderRulesError,
    ladder_projections,
    ladder_router,
    load_ladder_file,
)
from shegong.registry.ladder.replay import state_metadata as ladder_state_metadata
from shegong.registry.ladder.sweep import LadderSweep
from shegong.registry.ladder.sweep import metadata as ladder_sweep_metadata
from shegong.registry.projections.regions import RegionsProjection
from shegong.registry.projections.workers import WorkersProjection
from shegong.registry.settings import (
    RegistrySettings,
    census_enabled,
    census_processes,
    registry_settings,
)

log = logging.getLogger("shegong.registry")


SERVICE = ServiceDefinition(
    name="registry",
    title="人员库 workers, certificates and the city census",
    default_port=8101,
    contract=REGISTRY_STREAM,
    settings=RegistrySettings,
    projections=lambda runtime: [
        WorkersProjection(),
        RegionsProjection(),
        *([CensusProjection(runtime.store)] if census_enabled(runtime.settings) else []),
        *ladder_projections(ladder_for(runtime)),
    ],
    own_process=lambda settings: census_processes(settings),
    metadata=[
        personal_data_metadata,
        roster_records_metadata,
        census_state_metadata,
        ladder_sweep_metadata,
        ladder_state_metadata,
    ],
)


def ladder_for(runtime: Runtime) -> Ladder:
    """The ladder this node runs, with the rules file of its settings (read once)."""
    ladder = getattr(runtime, "ladder", None)
    if not isinstance(ladder, Ladder):
        settings = registry_settings(runtime.settings)
        ladder = Ladder(
            runtime.store,
            load_ladder_file(settings.registry_ladder_rules),
            census=settings.registry_census,
            decides=settings.registry_ladder,
        )
        runtime.ladder = ladder  # type: ignore[attr-defined]
    return ladder


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = SERVICE.settings_from(settings)
    assert isinstance(settings, RegistrySettings)
    runtime = Runtime(SERVICE, settings)
    ladder = ladder_for(runtime)  # a bad rules file stops the registry here, before it serves
    hasher = hasher_for(settings)
    commands = RegistryCommands(runtime.store, hasher, settings.department)
    app = create_app(runtime, lambda rt: routers(rt, settings, commands, hasher, ladder))
    sweep = LadderSweep(ladder, settings.registry_ladder_sweep_at)
    if settings.registry_ladder_sweep:  # daily, while the service runs
        runtime.run_while_serving(sweep)
    app.state.commands, app.state.ladder_sweep = commands, sweep
    return app


def routers(
    rt: Runtime,
    settings: RegistrySettings,
    commands: RegistryCommands,
    hasher: PersonalDataHasher,
    ladder: Ladder,
) -> list[APIRouter]:
    """The API: workers and their imports, regions, the census (where it runs here), the
    ladder."""
    census = (
        [census_router(rt.engine, CensusCommands(rt.store), ExpertPoolImporter(rt.store, hasher))]
        if census_enabled(settings)
        else []
    )
    return [
        registry_router(commands, rt.engine),
        imports_router(RosterImporter(rt.store, hasher), RegionImporter(rt.store)),
        regions_router(rt.engine),
        *census,
        ladder_router(rt, ladder),
    ]


def checked_build(settings: ServiceSettings) -> FastAPI:
    """``build``, refusing to start on a ladder rules file it cannot use: the file, the
    line and the reason on stderr, exit status 2 (like any refused configuration)."""
    try:
        return build(settings)
    except LadderRulesError as err:
        log.error("refusing to start: %s", err)
        print(f"refusing to start: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def main() -> None:
    serve(SERVICE, checked_build)


if __name__ == "__main__":
    main()
