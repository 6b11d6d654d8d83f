"""A service asked to stop while its read models wait on a producer's feed that does not
answer (a compose host name the resolver takes its time over, a peer that accepts and
never replies) stops at once: that wait holds no transaction. It used to wait 10 s for
each read model's periodic catch-up in turn — four for training, 40 s: the official CI's
container start saw training still running 30 s after SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import service_env


@pytest.fixture
def silent_feed() -> Iterator[tuple[str, list[socket.socket]]]:
    """An HTTP address that accepts connections and never answers; the connections it
    accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()
    for conn in accepted:
        conn.close()


def test_training_stops_at_once_while_its_feed_catch_ups_wait_on_a_silent_producer(
    service_process,
    silent_feed,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    feed, accepted = silent_feed
    env = service_env(
        f"sqlite:///{tmp_path}/training.db",
        redis_url,
        stream_prefix,
        FEEDS=json.dumps({"/shegong/registry/city": feed}),
        CATCH_UP_S="0.5",  # every read model asks the feed within a second of connecting
        LOG_LEVEL="INFO",
    )
    svc = service_process("shegong.training", env, tmp_path / "training.log")
    svc.start()
    # The start-up catch-up (one read model at a time) and each read model's periodic
    # catch-up are all waiting on the silent feed.
    deadline = time.monotonic() + 30
    while len(accepted) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(accepted) >= 4, svc.log.read_text()[-3000:]

    assert svc.process is not None
    asked = time.monotonic()
    svc.process.send_signal(signal.SIGTERM)
    code = svc.process.wait(timeout=60)
    took = time.monotonic() - asked
    log = svc.log.read_text()
    assert code in (0, -signal.SIGTERM), log[-3000:]
    assert "Application shutdown complete" in log
    assert took < 8, f"stopped {took:.1f} s after SIGTERM:\n{log[-3000:]}"
