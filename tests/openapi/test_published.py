"""Each service's published OpenAPI document (``services/<service>/openapi.json``) is the
one its code serves at ``/openapi.json``."""

from __future__ import annotations

from pathlib import Path

import pytest

from shegong.kernel.openapi import SERVICES, render

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
def test_published_openapi_document_equals_the_code(service: str) -> None:
    published = REPO / "services" / service / "openapi.json"
    assert published.read_text(encoding="utf-8") == render(service), (
        f"services/{service}/openapi.json is stale: regenerate it with "
        f"`uv run python -m shegong.kernel.openapi {service} > services/{service}/openapi.json`"
    )
