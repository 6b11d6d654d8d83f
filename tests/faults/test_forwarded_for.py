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


def test_the_console_believes_no_forwarded_header_from_an_unnamed_proxy(
    service_process, tmp_path: Path
) -> None:
    """Round 15: the console ran uvicorn with its defaults, which believe ``X-Forwarded-*``
    from 127.0.0.1 — every client of ``shegong up``. ``X-Forwarded-Proto: https`` made the
    console think the page was served over https (a ``Secure`` session cookie, the
    request's own origin ``https://…`` for the CSRF check) and ``X-Forwarded-For`` chose the
    address uvicorn records for the request. As the services: only from the proxies
    ``FORWARDED_ALLOW_IPS`` names."""
    env = {"SESSION_SECRET": "s" * 32, "REGISTRY_URL": "http://127.0.0.1:9", "LOG_LEVEL": "INFO"}
    svc = service_process("shegong.console", env, tmp_path / "c.log")
    svc.start()
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with httpx.Client(base_url=svc.url) as client:
        cookie = client.get("/login", headers=forged).headers["set-cookie"].lower()
        assert "secure" not in cookie, cookie
        client.get("/login?probe=forwarded", headers=forged)
    assert "203.0.113.9" not in (tmp_path / "c.log").read_text()


def test_the_console_believes_a_proxy_named_in_forwarded_allow_ips(
    service_process, tmp_path: Path
) -> None:
    env = {"SESSION_SECRET": "s" * 32, "REGISTRY_URL": "http://127.0.0.1:9",
           "FORWARDED_ALLOW_IPS": "127.0.0.1"}  # fmt: skip
    svc = service_process("shegong.console", env, tmp_path / "c.log")
    svc.start()
    with httpx.Client(base_url=svc.url) as client:
        cookie = client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
        assert "secure" in cookie.lower(), cookie
