"""Several services in one process, for the embedded default (``shegong up``).

Each service is built by its own ``main()`` — the same code a container runs — from
its own environment (settings, database, port, feeds, consumer name), so it keeps
its own database, background tasks and leadership; only the imports (FastAPI,
SQLAlchemy, pydantic, redis …) are shared, which is most of a service's memory. Each
then serves on its own thread with its own event loop, so a slow handler in one never
holds up another. The process ends when any service stops, so the launcher's
supervisor restarts the whole host (its services come back together, as after a
crash of a machine); SIGTERM / SIGINT stop every service cleanly.

``python -m shegong.platform.host describe`` prints the installed services (name,
module, default port, web front-end or not) as JSON, so the launcher knows them
without importing them itself.

``SHEGONG_HOSTED`` holds the plan: a JSON list of ``{"module": …, "env": {…}}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

PLAN = "SHEGONG_HOSTED"
log = logging.getLogger("shegong.host")


def describe() -> list[dict[str, Any]]:
    found = []
    for ep in entry_points(group="shegong.services"):
        definition = ep.load()
        found.append(
            {
                "name": definition.name,
                "module": ep.value.split(":")[0],
                "default_port": definition.default_port,
                "extras": {"web": bool(definition.extras.get("web"))},
            }
        )
    return found


def _build(module: str, env: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """Run the service's own ``main()`` with its environment, up to ``uvicorn.run``:
    the app and the server options it would have run with."""
    import uvicorn

    captured: dict[str, Any] = {}

    def capture(app: Any, **options: Any) -> None:
        captured["app"], captured["options"] = app, options

    real_run, saved_env, saved_argv = uvicorn.run, dict(os.environ), sys.argv
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [module]
    uvicorn.run = capture  # type: ignore[assignment]
    try:
        main: Callable[[], None] = import_module(module).main
        main()
    finally:
        uvicorn.run = real_run
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
    if "app" not in captured:
        raise SystemExit(f"{module}: main() returned without serving")
    return captured["app"], captured["options"]


def run(plan: list[dict[str, Any]]) -> int:
    import uvicorn

    servers = []
    for entry in plan:
        app, options = _build(entry["module"], entry["env"])
        options.pop("log_config", None)
        servers.append(uvicorn.Server(uvicorn.Config(app, log_config=None, **options)))
    stopped, requested = threading.Event(), threading.Event()

    def serve(server: uvicorn.Server) -> None:
        try:
            asyncio.run(server.serve())
        except BaseException:
            log.exception("a hosted service failed")
        finally:
            stopped.set()

    def stop(*_: object) -> None:
        requested.set()
        for server in servers:
            server.should_exit = True
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = []
    for server in servers:
        # One after another: schema migrations (alembic) are not thread-safe.
        thread = threading.Thread(target=serve, args=(server,), daemon=True)
        thread.start()
        threads.append(thread)
        while not server.started and thread.is_alive() and not stopped.wait(0.05):
            pass
    stopped.wait()
    on_request = requested.is_set()
    for server in servers:
        server.should_exit = True
    for thread in threads:
        thread.join(30)
    # One service ending on its own ends the host: its supervisor restarts them all.
    return 0 if on_request else 1


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["describe"]:
        print(json.dumps(describe()))
        return
    sys.exit(run(json.loads(os.environ[PLAN])))


if __name__ == "__main__":
    main()
