"""The registry service's composition root (`shegong-registry`, `python -m shegong.registry`)."""

from __future__ import annotations

from fastapi import FastAPI

from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.app import create_app
from shegong.kernel.runtime import Runtime, ServiceDefinition
from shegong.kernel.serve import hasher_for, serve
from shegong.kernel.settings import ServiceSettings
from shegong.registry.adapters.personal_data import metadata as personal_data_metadata
from shegong.registry.adapters.roster_records import metadata as roster_records_metadata
from shegong.registry.api.imports import imports_router
from shegong.registry.api.routes import regions_router, registry_router
from shegong.registry.application.handlers import RegistryCommands
from shegong.registry.application.region_import import RegionImporter
from shegong.registry.application.roster_import import RosterImporter
from shegong.registry.ladder import ladder_projections, ladder_router
from shegong.registry.projections.regions import RegionsProjection
from shegong.registry.projections.workers import WorkersProjection

SERVICE = ServiceDefinition(
    name="registry",
    title="人员库 workers, certificates and the city census",
    default_port=8101,
    contract=REGISTRY_STREAM,
    projections=lambda runtime: [
        WorkersProjection(),
        RegionsProjection(),
        *ladder_projections(runtime),
    ],
    metadata=[personal_data_metadata, roster_records_metadata],
)


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
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
            ladder_router(rt),
        ],
    )
    app.state.commands = commands
    return app


def main() -> None:
    serve(SERVICE, build)


if __name__ == "__main__":
    main()
