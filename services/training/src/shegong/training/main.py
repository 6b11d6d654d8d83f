"""The training service's composition root (`shegong-training`, `python -m shegong.training`)."""

from __future__ import annotations

from fastapi import FastAPI

from shegong.contracts.training import TRAINING_STREAM
from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.web.app import create_app
from shegong.kernel.web.serve import hasher_for, serve
from shegong.training.api.imports import imports_router
from shegong.training.api.routes import reports_router, training_router
from shegong.training.application.handlers import TrainingCommands
from shegong.training.application.imports import SheetImporter
from shegong.training.experts import ExpertRosterProjection, LecturesProjection, experts_router
from shegong.training.projections.records import TrainingRecordsProjection
from shegong.training.projections.workforce import WorkforceProjection
from shegong.training.settings import TrainingSettings

SERVICE = ServiceDefinition(
    name="training",
    title="培训 bases, sessions, attendance, assessments and exam results",
    default_port=8102,
    contract=TRAINING_STREAM,
    settings=TrainingSettings,
    projections=lambda _runtime: [
        WorkforceProjection(),
        TrainingRecordsProjection(),
        ExpertRosterProjection(),
        LecturesProjection(),
    ],
    catch_up_on_start=True,  # the registry's workers before the first report
)


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = SERVICE.settings_from(settings)
    assert isinstance(settings, TrainingSettings)
    runtime = Runtime(SERVICE, settings)
    commands = TrainingCommands(runtime.store)
    importer = SheetImporter(runtime.store, hasher_for(settings))
    app = create_app(
        runtime,
        lambda rt: [
            training_router(commands, rt.engine),
            imports_router(importer),
            reports_router(rt.engine, settings.prejob_window_days, settings.prejob_new_hires_from),
            experts_router(rt.store, rt.engine),
        ],
    )
    app.state.commands = commands
    app.state.runtime = runtime  # create_app sets it again on start
    return app


def main() -> None:
    serve(SERVICE, build)


if __name__ == "__main__":
    main()
