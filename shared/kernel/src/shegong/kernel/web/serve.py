"""Running one service as a process: settings, logging, tracing, the hashing key, uvicorn.

``python -m shegong.<service>`` serves HTTP; ``python -m shegong.<service> migrate``
brings its database to the code's schema and exits (``--check``: only report; see
``migrate.py`` for ``revision``); ``… rebuild [PROJECTION …]`` drops read models and
replays them from the event stores' feeds. Every service's ``main()`` is
``serve(SERVICE, build)``, so each gets the same commands.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.ops import collector
from shegong.kernel.ops.keyfile import KEY_FILE, local_hash_key
from shegong.kernel.ops.logs import configure_logging as _configure_logging
from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.ops.tracing import configure_tracing
from shegong.kernel.web.auth import AuthConfigError
from shegong.kernel.web.header_limit import BoundedHeadersProtocol

log = logging.getLogger("shegong.serve")


def hasher_for(settings: ServiceSettings) -> PersonalDataHasher:
    if settings.pii_hash_key is not None:
        return PersonalDataHasher(settings.pii_hash_key.get_secret_value())
    log.warning(
        "PII_HASH_KEY is not set; using the local key in %s/%s", settings.data_dir, KEY_FILE
    )
    return PersonalDataHasher(local_hash_key(settings.data_dir))


def configure_logging(level: str, fmt: str = "text", service: str | None = None) -> None:
    """Root logging: ``fmt`` is ``text`` or ``json`` (see ``logs.py``)."""
    _configure_logging(level, fmt, service)


def serve(
    definition: ServiceDefinition,
    build: Callable[[ServiceSettings], FastAPI],
    argv: Sequence[str] | None = None,
) -> None:
    args = _parser(definition).parse_args(sys.argv[1:] if argv is None else argv)
    settings = definition.settings()
    configure_logging(settings.log_level, settings.log_format, definition.name)
    if args.command == "migrate":
        sys.exit(migrate_command(definition, settings, args))
    if args.command == "rebuild":
        sys.exit(rebuild_command(definition, settings, args))
    configure_tracing(definition.name)
    collector.tune()
    try:
        app = build(settings)
    except AuthConfigError as err:
        log.error("%s", err)
        raise SystemExit(2) from None
    collector.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port or definition.default_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our handlers: JSON lines with the correlation id
        access_log=False,
        proxy_headers=trusted_proxies() is not None,
        forwarded_allow_ips=trusted_proxies(),
        http=BoundedHeadersProtocol,  # a request's head bounded (header_limit.py)
    )


def trusted_proxies() -> str | None:
    """Whose ``X-Forwarded-For`` to believe: only the proxies ``FORWARDED_ALLOW_IPS`` names.

    uvicorn believes it by default from 127.0.0.1 — and under ``shegong up`` every client
    connects from 127.0.0.1, so anyone could name any address per request. Probed: the
    mobile pages' limit per client address (120 requests a minute, and the code requests
    per address an hour) answered 429, then 200 again to the same client with a new
    ``X-Forwarded-For`` each time; the 401 log named whichever address it claimed. Behind
    a reverse proxy, set ``FORWARDED_ALLOW_IPS`` to the proxy's addresses (or CIDR)."""
    return os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or None


def migrate_command(
    definition: ServiceDefinition, settings: ServiceSettings, args: argparse.Namespace
) -> int:
    from shegong.kernel.events import migrate

    runtime = Runtime(definition, settings)

    async def run() -> int:
        try:
            if args.action == "revision":
                path = await migrate.revision(
                    runtime, args.message, kernel=args.kernel, initial=args.initial
                )
                print(f"wrote {path}")
            elif args.check:
                await migrate.check(runtime)
                print(f"{definition.name}: schema is at head")
            else:
                applied = await migrate.upgrade(runtime)
                print(
                    f"{definition.name}: applied {', '.join(applied)}"
                    if applied
                    else f"{definition.name}: schema already at head; nothing to do"
                )
            return 0
        except migrate.SchemaNotCurrent as err:
            print(str(err), file=sys.stderr)
            return 1
        finally:
            await runtime.redis.aclose()
            await runtime.engine.dispose()

    return asyncio.run(run())


def rebuild_command(
    definition: ServiceDefinition, settings: ServiceSettings, args: argparse.Namespace
) -> int:
    """Drop the named read models (all by default) and replay them from the feeds: this
    node's own event store, and every other producer named in ``FEEDS``. With
    ``--reread-stream`` the node's consumer groups also go back to the stream's start,
    so events of producers without a feed come again from Redis (as far as it still
    holds them); positions make the replayed duplicates harmless."""
    runtime = Runtime(definition, settings)
    names = {sub.runner.name for sub in runtime.subscriptions}
    unknown = set(args.projections) - names
    if unknown:
        print(f"no read model {sorted(unknown)}; {definition.name} has {sorted(names)}")
        return 2

    async def run() -> int:
        try:
            await runtime.create_schema()
            for sub in runtime.subscriptions:
                if args.projections and sub.runner.name not in args.projections:
                    continue
                replayed = await sub.runner.rebuild()
                sources = ", ".join(runtime.feeds.sources())
                print(f"{sub.runner.name}: rebuilt from {replayed} events ({sources})")
                if args.reread_stream:
                    await runtime.redis.xgroup_setid(sub.stream, sub.group, "0")
                    print(f"{sub.runner.name}: group {sub.group} re-reads {sub.stream} from 0")
            return 0
        finally:
            await runtime.redis.aclose()
            await runtime.engine.dispose()

    return asyncio.run(run())


def _parser(definition: ServiceDefinition) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m shegong.{definition.name}", description=definition.title
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve HTTP and consume events (the default)")
    migrate = commands.add_parser(
        "migrate", help="bring the database to the code's schema, then exit (safe to repeat)"
    )
    migrate.add_argument("--check", action="store_true", help="exit 1 unless at head")
    actions = migrate.add_subparsers(dest="action")
    revision = actions.add_parser("revision", help="autogenerate the next revision")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--initial", action="store_true", help="start the service's branch")
    revision.add_argument("--kernel", action="store_true", help="a kernel revision instead")
    rebuild = commands.add_parser(
        "rebuild", help="drop read models and replay them from the event stores' feeds"
    )
    rebuild.add_argument("projections", nargs="*", help="read models (default: all)")
    rebuild.add_argument(
        "--reread-stream", action="store_true", help="also move the groups back to 0"
    )
    return parser
