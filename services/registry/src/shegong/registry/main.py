"""The registry service's composition root (`shegong-registry`, `python -m shegong.registry`)."""

from __future__ import annotations

from datetime import time

from fastapi import FastAPI
from pydantic import Field

from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.app import create_app
from shegong.kernel.runtime import Runtime, ServiceDefinition
from shegong.kernel.serve import hasher_for, serve
from shegong.kernel.settings import ServiceSettings
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
from shegong.registry.census.projection import state_metadata as census_state_metadata
from shegong.registry.ladder import ladder_projections, ladder_router
from shegong.registry.ladder.sweep import LadderSweep
from shegong.registry.ladder.sweep import metadata as ladder_sweep_metadata
from shegong.registry.projections.regions import RegionsProjection
from shegong.registry.projections.workers import WorkersProjection


class RegistrySettings(ServiceSettings):
    registry_census: bool = Field(
        default=True,
        description="Run the city census on this node (REGISTRY_CENSUS). The city's node does; "
        "a department's own node sets it off: its events reach the city's census over the bus.",
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
        *ladder_projections(runtime),
    ],
    metadata=[
        personal_data_metadata,
        roster_records_metadata,
        census_state_metadata,
        ladder_sweep_metadata,
    ],
)


def census_enabled(settings: ServiceSettings) -> bool:
    if isinstance(settings, RegistrySettings):
        return settings.registry_census
    return RegistrySettings().registry_census


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = SERVICE.settings_from(settings)
    assert isinstance(settings, RegistrySettings)
    runtime = Runtime(SERVICE, settings)
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
            ladder_router(rt),
        ],
    )
    sweep = LadderSweep(runtime.store, settings.registry_ladder_sweep_at)
    if settings.registry_ladder_sweep:  # daily, while the service runs
        runtime.run_while_serving(sweep)
    app.state.commands, app.state.ladder_sweep = commands, sweep
    return app


def main() -> None:
    serve(SERVICE, build)


if __name__ == "__main__":
    main()
