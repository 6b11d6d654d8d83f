"""Each service's published OpenAPI document (``services/<service>/openapi.json``) is the
one its code serves at ``/openapi.json``."""

from __future__ import annotations

from pathlib import Path

import pytest

from shegong.kernel.web.openapi import SERVICES, render

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
def test_published_openapi_document_equals_the_code(service: str) -> None:
    published = REPO / "services" / service / "openapi.json"
    assert published.read_text(encoding="utf-8") == render(service), (
        f"services/{service}/openapi.json is stale: regenerate it with "
        f"`uv run python -m shegong.kernel.web.openapi {service} > services/{service}/openapi.json`"
    )


# The routes every service gets from the kernel's ``create_app`` (``/metrics`` is plain
# text and left out of the documents).
KERNEL = ("/health", "/ready", "/whoami", "/asyncapi", "/imports/{job_id}", "/events", "/audit/")

# Services (and their route prefixes) whose routes all declare their response model.
TYPED = {
    "matching": (
        "/requests",
        "/providers",
        "/service-types",
        "/h5-links",
        "/programmes/{programme_id}/occurrences",
        "/programmes/{programme_id}/check-ins",
    ),
    "registry": (
        "/workers",
        "/regions",
        "/ladder",
        "/imports/roster",
        "/imports/regions",
        "/imports/expert-pool",
        "/census/status",
        "/census/persons",
        "/census/review",
        "/census/model",
        "/census/coverage",
        "/census/quality",
        "/census/export",
        "/indicators/workforce",
    ),
    "training": (
        "/bases",
        "/sessions",
        "/assessments",
        "/workforce",
        "/indicators",
        "/exams",
        "/obligations",
        "/experts",
        "/imports/exam-results",
    ),
}


def _named(schema: dict[str, object]) -> bool:
    """A model, a list of models, or one of several models (a body of either shape)."""
    if "$ref" in schema:
        return True
    if isinstance(schema.get("items"), dict):
        return _named(schema["items"])  # type: ignore[arg-type]
    choices = schema.get("anyOf")
    return isinstance(choices, list) and bool(choices) and all(_named(c) for c in choices)


def _untyped(doc: dict[str, object], prefixes: tuple[str, ...]) -> list[str]:
    missing = []
    for path, operations in doc["paths"].items():  # type: ignore[attr-defined]
        if not path.startswith(prefixes):
            continue
        for method, op in operations.items():
            ok = [r for code, r in op["responses"].items() if code.startswith("2")]
            schema = ok[0].get("content", {}).get("application/json", {}).get("schema", {})
            if not _named(schema):
                missing.append(f"{method.upper()} {path}")
    return missing


@pytest.mark.parametrize("service", sorted(TYPED))
def test_typed_routes_name_their_response_model(service: str) -> None:
    from shegong.kernel.web.openapi import openapi_document

    assert _untyped(openapi_document(service), TYPED[service]) == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_kernels_routes_name_their_response_model(service: str) -> None:
    from shegong.kernel.web.openapi import openapi_document

    doc = openapi_document(service)
    assert {p for p in doc["paths"] if p.startswith(KERNEL)} >= {
        "/health",
        "/ready",
        "/whoami",
        "/asyncapi",
        "/imports/{job_id}",
        "/events",
    }
    assert _untyped(doc, KERNEL) == []
    # Not ready answers 503 with the same body.
    assert doc["paths"]["/ready"]["get"]["responses"]["503"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Readiness"}
