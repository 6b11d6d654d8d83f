"""A read model applied by a process of its own (``python -m shegong.kernel.ops.worker``).

Why: a projection whose work is CPU (the census links every record, and retrains its
model on tens of thousands) shares the service's event loop and, in the same process,
its GIL, with the HTTP commands. Profiled under ``shegong up`` (one host process, ≈ 15
threads), the process is GIL-bound: a thread of its own would only take turns at the
same GIL. A process of its own computes on another CPU.

The guarantees do not move: the worker runs the same :class:`ProjectionRunner` on the
same database (positions in the same transaction as the read model; a staged batch
re-checks them under the write lock), and appends its events to the service's own event
store, whose relay — in the service's process — publishes them. The worker tells the
service after each commit (a line on its stdout) so the relay wakes at once.

Lifetime: the service starts it once its schema exists (:class:`ProjectionProcess`, a
background job), restarts it if it ends, and stops it by closing its stdin (killing it
if it has not stopped 3 s later); a service killed outright closes that pipe too, and the
worker stops on its own. The worker
ignores SIGINT (Ctrl-C reaches the whole process group; the service decides) and stops
on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from shegong.kernel.ops.logs import configure_logging

if TYPE_CHECKING:
    from shegong.kernel.ops.runtime import Runtime, ServiceDefinition
    from shegong.kernel.ops.settings import ServiceSettings

log = logging.getLogger("shegong.worker")

ENV = "SHEGONG_PROJECTION_WORKER"
STOP_GRACE_S = 3.0  # from the stop request to a kill (a service's shutdown waits for it)


def settings_values(settings: ServiceSettings) -> dict[str, Any]:
    """The settings as plain values, secrets included (to the worker, through its
    environment: what the service's own environment already holds)."""
    values: dict[str, Any] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return json.loads(json.dumps(values, default=str))


class ProjectionProcess:
    """The service's side: start the worker, wake the relay when it commits, restart it
    if it ends, stop it with the service."""

    def __init__(self, runtime: Runtime, projection: str) -> None:
        self.runtime, self.projection = runtime, projection
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0  # how many times a worker was started (tests, logs)
        self._stopping = False
        self._asked_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def command(self) -> tuple[list[str], dict[str, str]]:
        definition = self.runtime.definition
        plan = {
            "definition": definition.entry or f"shegong.{definition.name}.main:SERVICE",
            "projection": self.projection,
            "service": definition.name,
            "settings": settings_values(self.runtime.settings),
        }
        env = {**os.environ, ENV: json.dumps(plan)}
        return [sys.executable, "-m", "shegong.kernel.ops.worker"], env

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"worker:{self.projection}")

    async def _supervise(self) -> None:
        delay = 1.0
        while not self._stopping:
            argv, env = self.command()
            began = asyncio.get_running_loop().time()
            try:
                self.process = process = await asyncio.create_subprocess_exec(
                    *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
                )
                self.started += 1
                assert process.stdout is not None
                while line := await process.stdout.readline():
                    if line.strip() == b"committed":
                        self.runtime.store.notify_committed()  # wakes the relay
                code: int | str = await process.wait()
            except OSError as err:  # could not start it (no memory, no such file …)
                code = repr(err)
            if self._stopping:
                return
            if asyncio.get_running_loop().time() - began > 60:
                delay = 1.0  # it had been running: not a crash loop
            log.warning(
                "%s worker ended (%s); starting it again in %.0f s", self.projection, code, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def stop(self) -> None:
        """Ask the worker to stop (close its stdin) and return: it stops while the service
        stops; :meth:`wait_stopped` comes at the end."""
        self._stopping = True
        process = self.process
        self._asked_at = asyncio.get_running_loop().time()
        if process is not None and process.returncode is None and process.stdin is not None:
            process.stdin.close()  # the worker finishes its batch and stops

    async def wait_stopped(self) -> None:
        """Give the worker until ``STOP_GRACE_S`` after :meth:`stop`, then kill it: a batch
        cut short is rolled back and applied again at the next start (exactly once either
        way — the fault tests kill it mid-stream)."""
        process = self.process
        if process is not None and process.returncode is None:
            left = self._asked_at + STOP_GRACE_S - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(process.wait(), max(left, 0.1))
            except TimeoutError:
                log.warning("%s worker did not stop in time; killing it", self.projection)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _load_definition(path: str) -> ServiceDefinition:
    module, _, attribute = path.partition(":")
    definition: ServiceDefinition = getattr(importlib.import_module(module), attribute)
    return definition


async def _run(plan: dict[str, Any], notify: Any) -> None:
    from shegong.kernel.ops.runtime import Runtime

    definition = _load_definition(plan["definition"])
    settings = definition.settings(**plan["settings"])
    runtime = Runtime(definition, settings, worker=plan["projection"])
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def committed() -> None:
        with contextlib.suppress(OSError):  # the service is gone: it will catch up
            notify.write(b"committed\n")

    def watch_stdin() -> None:  # EOF: the service closed the pipe, or died
        with contextlib.suppress(Exception):
            while sys.stdin.buffer.read(4096):
                pass
        loop.call_soon_threadsafe(stop.set)

    runtime.store.on_commit(committed)
    threading.Thread(target=watch_stdin, name="service-pipe", daemon=True).start()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    log.info("%s: %s worker running (pid %d)", definition.name, plan["projection"], os.getpid())
    await stop.wait()
    await runtime.stop()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    plan = json.loads(os.environ[ENV])
    # stdout is the service's line to us: keep it for "committed", send prints to stderr.
    notify = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    values = plan["settings"]
    configure_logging(
        values.get("log_level", "INFO"), values.get("log_format", "text"), plan["service"]
    )
    asyncio.run(_run(plan, notify))


if __name__ == "__main__":
    main()
