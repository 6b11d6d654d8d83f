"""The matching service's composition root (`shegong-matching`, `python -m shegong.matching`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from shegong.contracts.matching import MATCHING_STREAM
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.web.app import create_app
from shegong.kernel.web.serve import hasher_for, local_hash_key, serve
from shegong.matching.adapters.tables import metadata as tables_metadata
from shegong.matching.api.h5_links import h5_links_router
from shegong.matching.api.programmes import programmes_router
from shegong.matching.api.reports import reports_router
from shegong.matching.api.residents import residents_router
from shegong.matching.api.routes import providers_router, requests_router
from shegong.matching.api.volunteers import volunteers_router
from shegong.matching.application.needs import NeedsImporter
from shegong.matching.application.notifications import NotificationSender
from shegong.matching.application.programmes import ProgrammeCommands
from shegong.matching.application.providers import ProviderCommands
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.application.resident_privacy import ContactRetention, erased_from_the_feed
from shegong.matching.application.scheduler import EscalationScheduler
from shegong.matching.experts import ExpertRosterProjection, SupervisionsProjection, experts_router
from shegong.matching.h5.app import h5_app
from shegong.matching.h5.erasure import add_resident_erasure
from shegong.matching.h5.guard import Codes, Limits, Signer
from shegong.matching.h5.notify import Notifier, notifier_for
from shegong.matching.h5.worker import worker_link
from shegong.matching.projections.workforce import TrainingProjection, WorkforceProjection
from shegong.matching.settings import MatchingSettings

SERVICE = ServiceDefinition(
    name="matching",
    title="居民点单、社工接单、社区响应 requests, matching, escalation, follow-up, hours",
    default_port=8103,
    contract=MATCHING_STREAM,
    settings=MatchingSettings,
    projections=lambda runtime: [
        WorkforceProjection(_settings(runtime).matching_default_capacity),
        TrainingProjection(),
        ExpertRosterProjection(),
        SupervisionsProjection(),
    ],
    metadata=[tables_metadata],
    feed_narrowing=erased_from_the_feed,
)


def _settings(runtime: Runtime) -> MatchingSettings:
    assert isinstance(runtime.settings, MatchingSettings)  # Runtime makes it the service's
    return runtime.settings


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = SERVICE.settings_from(settings)
    assert isinstance(settings, MatchingSettings)
    runtime = Runtime(SERVICE, settings)
    core = Core.of(runtime, settings)
    timers = Timers.of(runtime, core)
    app = create_app(runtime, lambda rt: routers(rt, core))
    app.mount("/h5", mobile_pages(runtime, core))
    # The timers run only while the service does, after its schema exists.
    runtime.run_while_serving(timers.scheduler, timers.notifications, timers.retention)
    app.state.commands, app.state.scheduler = core.commands, timers.scheduler
    app.state.settings, app.state.notifier, app.state.signer = settings, core.notifier, core.signer
    app.state.notifications, app.state.retention = timers.notifications, timers.retention
    return app


@dataclass(frozen=True)
class Core:
    """What the routes, the mobile pages and the timers share: the order commands, the
    personal-data hasher, the links' signer and the notifier."""

    settings: MatchingSettings
    hasher: PersonalDataHasher
    commands: MatchingCommands
    signer: Signer
    notifier: Notifier

    @classmethod
    def of(cls, runtime: Runtime, settings: MatchingSettings) -> Core:
        hasher = hasher_for(settings)
        key = (
            settings.pii_hash_key.get_secret_value()
            if settings.pii_hash_key is not None
            else local_hash_key(settings.data_dir)
        )
        return cls(
            settings=settings,
            hasher=hasher,
            commands=MatchingCommands(runtime.store, hasher, settings),
            signer=Signer(key.encode()),
            notifier=notifier_for(settings.matching_notifier, settings.matching_notifier_url),
        )


def routers(rt: Runtime, core: Core) -> list[APIRouter]:
    """The keyed API."""
    settings, commands, hasher = core.settings, core.commands, core.hasher
    provider_commands = ProviderCommands(rt.store, settings.matching_default_capacity)
    return [
        requests_router(commands, rt.engine),
        providers_router(provider_commands, rt.engine),
        reports_router(rt.engine),
        programmes_router(ProgrammeCommands(rt.store), NeedsImporter(rt.store), rt.engine),
        h5_links_router(rt.store, rt.engine, core.signer, settings),
        experts_router(commands, rt.engine),
        residents_router(rt.store, hasher),
        volunteers_router(rt.store, hasher),
    ]


def mobile_pages(runtime: Runtime, core: Core) -> FastAPI:
    """The public mobile pages: their own app, outside the API keys (guarded by signed
    links, one-time codes and rate limits instead: h5/guard.py)."""
    settings, signer = core.settings, core.signer
    h5 = h5_app(
        core.commands,
        runtime.engine,
        Limits(runtime.redis, settings.stream_prefix),
        Codes(runtime.redis, settings.stream_prefix, signer),
        signer,
        core.hasher,
        core.notifier,
        settings,
    )
    add_resident_erasure(h5, runtime.store, core.hasher, signer)
    return h5


@dataclass(frozen=True)
class Timers:
    """Background work on a timer: escalating orders nobody took, sending notifications,
    deleting residents' contact after the retention time."""

    scheduler: EscalationScheduler
    notifications: NotificationSender
    retention: ContactRetention

    @classmethod
    def of(cls, runtime: Runtime, core: Core) -> Timers:
        settings, signer = core.settings, core.signer
        public = (settings.matching_public_url or "").rstrip("/")
        return cls(
            scheduler=EscalationScheduler(
                runtime.engine, core.commands, settings.matching_scheduler_tick_s
            ),
            notifications=NotificationSender(
                runtime.store,
                core.notifier,
                settings.matching_notify_tick_s,
                lambda provider_id: (
                    public + worker_link(signer, provider_id, settings.matching_h5_worker_link_days)
                ),
            ),
            retention=ContactRetention(
                runtime.store,
                settings.matching_contact_retention_days,
                settings.matching_contact_retention_tick_s,
            ),
        )


def main() -> None:
    serve(SERVICE, build)


if __name__ == "__main__":
    main()
