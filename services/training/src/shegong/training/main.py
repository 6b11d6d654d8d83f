"""The training service's composition root (`shegong-training`, `python -m shegong.training`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from fastapi import FastAPI
from pydantic import Field

from shegong.contracts.training import TRAINING_STREAM
from shegong.kernel.app import create_app
from shegong.kernel.runtime import Runtime, ServiceDefinition
from shegong.kernel.serve import hasher_for, serve
from shegong.kernel.settings import ServiceSettings
from shegong.training.api.imports import imports_router
from shegong.training.api.routes import reports_router, training_router
from shegong.training.application.handlers import TrainingCommands
from shegong.training.application.imports import SheetImporter
from shegong.training.experts import ExpertRosterProjection, LecturesProjection, experts_router
from shegong.training.projections.records import TrainingRecordsProjection
from shegong.training.projections.workforce import WorkforceProjection

log = logging.getLogger("shegong.training")


class TrainingSettings(ServiceSettings):
    prejob_window_days: int = Field(
        default=90, ge=1, description="Days a new worker has for pre-job training (岗前培训)"
    )
    prejob_new_hires_from: date | None = Field(
        default=None,
        description="Who owes pre-job training: people hired on or after this day (default: "
        "the day their department's first roster reached training — staff already in "
        "service then owe nothing)",
    )


class TrainingRuntime(Runtime):
    """The shared runtime, plus: on start every read model catches up from the producers'
    feeds (the registry's ``GET /events``) — a dropped or fresh read model rebuilds itself
    without waiting for the periodic catch-up, and without Redis."""

    async def start(self) -> None:
        await super().start()
        self._catch_up = asyncio.create_task(self._catch_up_once(), name="catch-up")

    async def caught_up(self) -> None:
        """Wait for the start-up catch-up to finish."""
        await asyncio.shield(self._catch_up)

    async def stop(self) -> None:
        # Catching up holds no transaction between pages worth waiting for.
        self._catch_up.cancel()
        await asyncio.gather(self._catch_up, return_exceptions=True)
        await super().stop()

    async def _catch_up_once(self) -> None:
        delay = 0.5
        for runner in self.runners:
            for source in self.feeds.sources():
                while True:
                    try:
                        filled = await runner.catch_up(source)
                        if filled:
                            log.info("%s: caught up %d events from %s", runner.name, filled, source)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as err:
                        log.warning("%s: feed %s not readable yet (%s)", runner.name, source, err)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 5.0)


SERVICE = ServiceDefinition(
    name="training",
    title="培训 bases, sessions, attendance, assessments and exam results",
    default_port=8102,
    contract=TRAINING_STREAM,
    projections=lambda _runtime: [
        WorkforceProjection(),
        TrainingRecordsProjection(),
        ExpertRosterProjection(),
        LecturesProjection(),
    ],
)


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or TrainingSettings()
    own = settings if isinstance(settings, TrainingSettings) else TrainingSettings()
    runtime = TrainingRuntime(SERVICE, settings)
    commands = TrainingCommands(runtime.store)
    importer = SheetImporter(runtime.store, hasher_for(settings))
    app = create_app(
        runtime,
        lambda rt: [
            training_router(commands, rt.engine),
            imports_router(importer),
            reports_router(rt.engine, own.prejob_window_days, own.prejob_new_hires_from),
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
