"""Every operation of every service's OpenAPI document, fed what schemathesis generates
(valid, boundary and wrong inputs): a clear 4xx or a success, never a 5xx — against the
service running as in production on the real Redis and database."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from redis.asyncio import Redis

from .conftest import service_env

SERVICES = ["shegong.registry", "shegong.training", "shegong.matching"]


@pytest.mark.parametrize("module", SERVICES)
def test_no_operation_answers_with_a_server_error(
    module: str,
    redis: Redis,
    service_process,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    svc = service_process(
        module,
        service_env(f"sqlite:///{tmp_path}/service.db", redis_url, stream_prefix),
        tmp_path / "service.log",
    )
    svc.start()
    schema = schemathesis.openapi.from_url(f"{svc.url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=svc.url, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} → {response.status_code}: "
                    f"{response.text[:300]} (body {str(case.body)[:200]})"
                )
            elif response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                body = response.json()
                assert "error" in body or "detail" in body, body

        exercise()
    assert not failures, "\n".join(failures[:10])
    assert "Traceback" not in svc.log.read_text(errors="replace")
