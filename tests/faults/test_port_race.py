"""``shegong up`` finds free ports, then its services bind them: another program (a second
``shegong up``, a test) may take one in between. The platform then starts again on other
ports and says so, instead of stopping with the service's "address already in use"."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from shegong.platform import launcher
from shegong.platform.launcher import Platform

pytestmark = pytest.mark.process


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:  # another program's listener
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def test_a_port_taken_before_a_service_binds_it_is_given_up_for_another(
    redis: Redis,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
    taken_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The race, made certain: the first port the launcher picks is one another program
    # holds (free when looked at, taken when bound); no default port is used.
    picks = iter([taken_port])
    real_free_port = launcher._free_port
    monkeypatch.setattr(launcher, "_port_free", lambda port: False)
    monkeypatch.setattr(launcher, "_free_port", lambda: next(picks, None) or real_free_port())
    platform = Platform(
        data_dir=tmp_path / "data", redis_url=redis_url, stream_prefix=stream_prefix
    )
    said: list[str] = []
    try:
        platform.start(progress=said.append)
        assert any(f"port {taken_port} of " in line and "other ports" in line for line in said), (
            said
        )
        assert taken_port not in {svc.port for svc in platform.services}
        for svc in platform.services:
            assert httpx.get(f"{svc.url}/ready", timeout=5).status_code == 200, svc.name
    finally:
        platform.stop()
