"""A client cannot choose the address it is counted by (redteam round 3).

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, and under ``shegong up``
every client connects from there: the mobile pages' limit per client address answered
429, then 404/200 again to the same client with a new ``X-Forwarded-For`` on each
request. The service runs as its container runs it (``python -m shegong.matching``)."""

from __future__ import annotations

from pathlib import Path

import httpx

PAGE = "/h5/order?community=x&sig=y"  # a 404 (no such link) — counted all the same


def _env(tmp_path: Path, redis_url: str, stream_prefix: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/matching.db",
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "PII_HASH_KEY": "k" * 32,
        "LOG_LEVEL": "WARNING",
        "MATCHING_H5_REQUESTS_PER_MIN": "5",
        **extra,
    }


def test_a_forwarded_for_header_does_not_reset_the_limit(
    service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    svc = service_process(
        "shegong.matching", _env(tmp_path, redis_url, stream_prefix), tmp_path / "m.log"
    )
    svc.start()
    with httpx.Client(base_url=svc.url) as client:
        assert [client.get(PAGE).status_code for _ in range(5)] == [404] * 5
        assert client.get(PAGE).status_code == 429
        spoofed = [
            client.get(PAGE, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
            for n in range(1, 6)
        ]
        assert spoofed == [429] * 5, spoofed


def test_a_proxy_named_in_forwarded_allow_ips_is_believed(
    service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, redis_url, stream_prefix, FORWARDED_ALLOW_IPS="127.0.0.1")
    svc = service_process("shegong.matching", env, tmp_path / "m.log")
    svc.start()
    with httpx.Client(base_url=svc.url) as client:
        one = {"X-Forwarded-For": "10.0.0.1"}
        assert [client.get(PAGE, headers=one).status_code for _ in range(6)][-1] == 429
        # Another resident behind the same proxy has a budget of their own.
        assert client.get(PAGE, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 404
