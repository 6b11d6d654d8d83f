"""The registry service's composition root (`shegong-registry`, `python -m shegong.registry`)."""

from __future__ import annotations

import logging
import sys
from datetime import time

from fastapi import FastAPI
from pydantic import Field

from shegong.contracts.registry import REGISTRY_STREAM
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

log = logging.getLogger("shegong.registry")


class RegistrySettings(ServiceSettings):
    registry_census: bool = Field(
        default=True,
        description="Run the city census on this node (REGISTRY_CENSUS). The city's node does; "
        "a department's own node sets it off: its events reach the city's census over the bus.",
    )
    registry_ladder_rules: str | None = Field(
        default=None,
        description="The ladder's rules file (REGISTRY_LADDER_RULES=/path/rules.toml) in place "
        "of the shipped rules.toml; checked at start: a mistake stops the registry, naming "
        "the line and the reason",
    )
    registry_ladder: bool = Field(
        default=True,
        description="Decide the ladder on this node (REGISTRY_LADDER). With the census it "
        "decides for the city's persons; a department's node without the census may set it "
        "off and leave the ladder to the city's node",
    )
    registry_ladder_sweep: bool = Field(
        default=True,
        description="Re-evaluate the ladder daily (REGISTRY_LADDER_SWEEP): time-based rules "
        "(a certificate held N years) change eligibility without an event",
    )
    registry_ladder_sweep_at: time = Field(
        default=time(2, 0),
        description="Local time of the daily ladder sweep (REGISTRY_LADDER_SWEEP_AT)",
    )


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
    metadata=[
        personal_data_metadata,
        roster_records_metadata,
        census_state_metadata,
        ladder_sweep_metadata,
        ladder_state_metadata,
    ],
)


def census_enabled(settings: ServiceSettings) -> bool:
    return registry_settings(settings).registry_census


def registry_settings(settings: ServiceSettings) -> RegistrySettings:
    if isinstance(settings, RegistrySettings):
        return settings
    return RegistrySettings()


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
    importer = RosterImporter(runtime.store, hasher)
    region_importer = RegionImporter(runtime.store)
    app = create_app(
        runtime,
        lambda rt: [
            registry_router(commands, rt.engine),
            imports_router(importer, region_importer),
            regions_router(rt.engine),
            *(
                [
                    census_router(
                        rt.engine, CensusCommands(rt.store), ExpertPoolImporter(rt.store, hasher)
                    )
                ]
                if census_enabled(settings)
                else []
            ),
            ladder_router(rt, ladder),
        ],
    )
    sweep = LadderSweep(ladder, settings.registry_ladder_sweep_at)
    if settings.registry_ladder_sweep:  # daily, while the service runs
        runtime.run_while_serving(sweep)
    app.state.commands, app.state.ladder_sweep = commands, sweep
    return app


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
