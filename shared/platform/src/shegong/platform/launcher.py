"""The whole platform on one machine: a bus, then every service.

Services are found through the ``shegong.services`` entry points each service package
declares, so installing a service is all it takes for ``shegong up`` to run it. Each
is built by its own ``main()`` as in production with its own SQLite file (or the
database DATABASE_URL names), port, the shared hashing key and the feeds of the others.
By default all of them share one host process (``host.py``: one copy of the imports
instead of one per service); ``shared_process=False`` gives each its own process
(``python -m <its main module>``), as containers do. This module only starts, watches
and stops them, and stays light itself: it never imports a service.
:meth:`Platform.supervise` (what ``shegong up`` runs until Ctrl-C) restarts a process
that ended — killed by the kernel, crashed — or hung (``liveness.py``) with every service
it hosted, and tells the operator, backing off when it keeps crashing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from shegong.kernel.ops.keyfile import local_hash_key
from shegong.platform.bus_server import BusServer, start_bus_server
from shegong.platform.credentials import LocalKeys, local_keys
from shegong.platform.databases import ensure_postgres_database
from shegong.platform.liveness import Liveness

if TYPE_CHECKING:
    from shegong.kernel.ops.runtime import ServiceDefinition

HOST_MODULE = "shegong.platform.host"


class PlatformError(RuntimeError):
    pass


class PortTaken(PlatformError):
    """A port chosen free was bound by another program before the service bound it."""

    def __init__(self, svc: RunningService) -> None:
        super().__init__(f"端口 {svc.port} 已被占用 / port {svc.port} of {svc.name} was taken")


PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class ServiceInfo:
    """What the launcher needs of a service's definition, read without importing it."""

    name: str
    default_port: int
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunningService:
    definition: ServiceDefinition | ServiceInfo
    module: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    restarts: int = 0
    started_at: float = 0.0
    crashed_at: float | None = None  # ended, waiting for its restart
    host: ServiceHost | None = None  # the shared process it runs in, if any

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def running(self) -> subprocess.Popen[bytes] | None:
        """The process serving it: its own, or its host's."""
        return self.host.process if self.host is not None else self.process


@dataclass
class ServiceHost:
    """One process serving several services (``python -m shegong.platform.host``)."""

    members: list[RunningService]
    log_path: Path
    module: str = HOST_MODULE
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    restarts: int = 0
    started_at: float = 0.0
    crashed_at: float | None = None

    @property
    def name(self) -> str:
        return "+".join(m.name for m in self.members)


def discover_services() -> list[tuple[ServiceDefinition, str]]:
    found = []
    for ep in entry_points(group="shegong.services"):
        definition = ep.load()
        found.append((definition, ep.value.split(":")[0]))
    # Web front-ends (``extras["web"]``: pages over the services' APIs, no events, no
    # database) start after the services they read.
    return sorted(found, key=lambda item: (_is_web(item[0]), item[0].default_port))


def describe_services() -> list[tuple[ServiceInfo, str]]:
    """The services as :func:`discover_services` finds them, read by a short child
    process, so that this one never imports their code (and keeps its memory)."""
    out = subprocess.run(
        [sys.executable, "-m", HOST_MODULE, "describe"], capture_output=True, check=True
    ).stdout
    found = [
        (ServiceInfo(d["name"], d["default_port"], d["extras"]), d["module"])
        for d in json.loads(out)
    ]
    return sorted(found, key=lambda item: (_is_web(item[0]), item[0].default_port))


def _is_web(definition: ServiceDefinition | ServiceInfo) -> bool:
    return bool(definition.extras.get("web"))


@dataclass
class Platform:
    data_dir: Path
    redis_url: str | None = None
    database_url: str | None = None
    stream_prefix: str = ""
    department: str = "city"
    log_level: str = "INFO"
    bus: BusServer | None = None
    services: list[RunningService] = field(default_factory=list)
    keys: LocalKeys | None = None
    shared_process: bool = True  # every service in one host process
    hosts: list[ServiceHost] = field(default_factory=list)
    liveness: Liveness = field(default_factory=Liveness)  # a hung process is ended, restarted

    @property
    def admin_key(self) -> str:
        assert self.keys is not None, "the platform is not started"
        return self.keys.admin

    def start(self, progress: Callable[[str], object] = print) -> None:
        # The data dir holds raw ID numbers, phones and residents' addresses: its owner's
        # only (0700), and every file the platform and its services create there 0600.
        os.umask(0o077)
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.data_dir.chmod(0o700)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        self.bus = start_bus_server(self.data_dir, redis_url=self.redis_url)
        progress(f"bus: {self.bus.description}")
        key = os.environ.get("PII_HASH_KEY") or local_hash_key(self.data_dir)
        self.keys = local_keys(self.data_dir)
        found = describe_services() if self.shared_process else discover_services()
        # A port found free may be taken by another program (another ``shegong up``, a
        # test) before our service binds it: start again on ports free then.
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self._launch(found, key, progress)
            try:
                self.wait_ready()
                return
            except PortTaken as taken:
                self._stop_processes()
                if attempt == PORT_ATTEMPTS:
                    raise
                progress(f"{taken}; starting again on other ports")

    def _launch(
        self,
        found: list[tuple[ServiceDefinition, str]] | list[tuple[ServiceInfo, str]],
        key: str,
        progress: Callable[[str], object],
    ) -> None:
        assert self.bus is not None and self.keys is not None, "the bus and keys come first"
        self.services, self.hosts = [], []
        for definition, module in found:
            port = definition.default_port if _port_free(definition.default_port) else _free_port()
            self.services.append(
                RunningService(
                    definition, module, port, self.data_dir / "logs" / f"{definition.name}.log"
                )
            )
        feeds = {
            f"/shegong/{s.name}/{self.department}": s.url
            for s in self.services
            if not _is_web(s.definition)  # a web front-end publishes no feed
        }
        for svc in self.services:
            env = {
                **os.environ,
                "REDIS_URL": self.bus.url,
                "DATA_DIR": str(self.data_dir.resolve()),
                "PORT": str(svc.port),
                "PII_HASH_KEY": key,
                "DEPARTMENT": self.department,
                "STREAM_PREFIX": self.stream_prefix,
                "FEEDS": json.dumps({s: u for s, u in feeds.items() if u != svc.url}),
                "LOG_LEVEL": self.log_level,
                "CONSUMER_NAME": f"{svc.name}-local",
                "API_KEYS_FILE": str(self.keys.keys_file),
                "SERVICE_API_KEY": self.keys.service,
            }
            if self.shared_process:
                # One host process for the embedded default's memory (≤ 300 MB idle): its
                # services apply every read model in it, unless told otherwise.
                env.setdefault("WORKER_PROCESSES", "false")
            if self.database_url and not _is_web(svc.definition):
                env["DATABASE_URL"] = self.database_url
                ensure_postgres_database(self.database_url.replace("{service}", svc.name))
            else:
                env.pop("DATABASE_URL", None)
            svc.env = env
            if not self.shared_process:
                _spawn(svc)
                progress(f"{svc.name}: starting on {svc.url} (log: {svc.log_path})")
        if self.shared_process:
            self._start_host(progress)

    def _start_host(self, progress: Callable[[str], object]) -> None:
        host = ServiceHost(list(self.services), self.data_dir / "logs" / "services.log")
        plan = [{"module": svc.module, "env": svc.env} for svc in host.members]
        # The host's own environment: what every service shares (the bus, the data dir,
        # the key …), for code that reads it after start-up.
        shared = dict(set.intersection(*(set(svc.env.items()) for svc in host.members)))
        host.env = {**os.environ, **shared, "SHEGONG_HOSTED": json.dumps(plan)}
        for svc in host.members:
            svc.host, svc.log_path = host, host.log_path
        self.hosts.append(host)
        _spawn(host)
        for svc in host.members:
            progress(f"{svc.name}: starting on {svc.url} (log: {host.log_path})")

    def supervise(self, report: Callable[[str], object] = print, interval: float = 1.0) -> None:
        """Watch the services until interrupted (Ctrl-C / SIGTERM raise out of here)."""
        while True:
            self.check_services(report)
            time.sleep(interval)

    def check_services(self, report: Callable[[str], object] = print) -> list[str]:
        """Restart every service whose process has ended or hung; the names restarted.

        A service that ran less than a minute before ending waits 2, 4 … up to 60 s
        before its next start, so a service that cannot start does not spin."""
        self.liveness.sweep(self._supervised(), report)
        restarted: list[str] = []
        now = time.monotonic()
        for svc in self._supervised():
            if svc.process is None or svc.process.poll() is None:
                continue
            if svc.crashed_at is None:
                svc.crashed_at = now
                code = svc.process.returncode
                how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
                report(
                    f"{svc.name} {how}; restarting it (restart {svc.restarts + 1}, "
                    f"log: {svc.log_path})\n{_tail(svc.log_path, 5)}"
                )
                _note(svc.log_path, f"shegong up: {svc.name} {how}; restarting")
            quick = svc.crashed_at - svc.started_at < 60
            delay = min(2 ** min(svc.restarts, 5), 60) if quick and svc.restarts else 0
            if now - svc.crashed_at < delay:
                continue
            svc.restarts += 1
            svc.crashed_at = None
            _spawn(svc)
            restarted.append(svc.name)
        return restarted

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for svc in list(pending):
                process = svc.running
                assert process is not None
                if process.poll() is not None:
                    log = _since_start(svc.log_path)  # a host's: any of its services
                    for taken in self.services:
                        if f"{taken.port}): address already in use" in log:
                            raise PortTaken(taken)
                    raise PlatformError(
                        f"{svc.name} exited with code {process.returncode}:\n" + _tail(svc.log_path)
                    )
                try:
                    if httpx.get(f"{svc.url}/ready", timeout=2).status_code == 200:
                        if not self._ours(svc):
                            raise PortTaken(svc)
                        pending.remove(svc)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise PlatformError(
                    f"not ready after {timeout:.0f}s: {names}\n" + _tail(pending[0].log_path)
                )
            time.sleep(0.2)

    def _ours(self, svc: RunningService) -> bool:
        """The service answering on the port is this platform's, not another's that took the
        port between our check and our service's bind (two ``shegong up`` starting at once):
        only ours knows this platform's admin key."""
        if _is_web(svc.definition) or self.keys is None:
            return True
        auth = {"Authorization": f"Bearer {self.keys.admin}"}
        return httpx.get(f"{svc.url}/whoami", headers=auth, timeout=2).status_code == 200

    def stop(self) -> None:
        self._stop_processes()
        if self.bus is not None:
            self.bus.stop()

    def _stop_processes(self) -> None:
        for svc in self._supervised():
            if svc.process and svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        for svc in self._supervised():
            if svc.process:
                try:
                    svc.process.wait(20)
                except subprocess.TimeoutExpired:
                    svc.process.kill()
                    svc.process.wait(5)

    def _supervised(self) -> list[RunningService | ServiceHost]:
        """Every process this platform started: hosts, and services with their own."""
        return [*self.hosts, *self.services]

    def service(self, name: str) -> RunningService:
        return next(s for s in self.services if s.name == name)


def _spawn(svc: RunningService | ServiceHost) -> None:
    _note(svc.log_path, f"{_STARTING} {svc.name}")
    with svc.log_path.open("ab") as log:
        svc.process = subprocess.Popen(
            [sys.executable, "-m", svc.module],
            env=svc.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    svc.started_at = time.monotonic()


def _note(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_STARTING = "shegong up: starting"


def _since_start(path: Path) -> str:
    """The log since this start of its process (its last 4 MB at most)."""
    with path.open("rb") as log:
        log.seek(max(0, log.seek(0, os.SEEK_END) - 4_000_000))
        return log.read().decode(errors="replace").rpartition(_STARTING)[2]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
