"""Each service's OpenAPI document, as published in ``services/<service>/openapi.json``.

``python -m shegong.kernel.web.openapi matching > services/matching/openapi.json`` writes one
(a test fails when a published one differs from the code, as for the AsyncAPI document).
The app is built with throwaway settings in a temporary folder and never started: the
document depends on the code only.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import tempfile
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute, iter_route_contexts

from shegong.kernel.web.auth import KEY_SCHEMES, command_context

SERVICES = ("registry", "training", "matching")


def _header(name: str, title: str, description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}], "title": title}
    described = {"description": description} if description else {}
    return {
        **described,
        "in": "header",
        "name": name,
        "required": False,
        "schema": {**schema, **described},
    }


# What ``auth.command_context`` reads from a command's request, as FastAPI documented
# them when they were its ``Header`` parameters (it reads them itself now: round 14).
COMMAND_HEADERS = (
    _header(
        "x-actor",
        "X-Actor",
        "The person acting through this key (recorded): UTF-8, percent-encoded for "
        "anything but ASCII (李主任 → %E6%9D%8E%E4%B8%BB%E4%BB%BB)",
    ),
    _header(
        "x-department",
        "X-Department",
        "Department acted for (admin keys; a department key acts for its own)",
    ),
    _header("x-correlation-id", "X-Correlation-Id"),
)


def _takes_context(dependant: Dependant) -> bool:
    return any(d.call is command_context or _takes_context(d) for d in dependant.dependencies)


_INVALID = {
    "description": "Validation Error",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    },
}


def document_keys(document: dict[str, Any]) -> None:
    """Every operation takes a key (``auth.authenticate`` is the app's dependency) in
    one of the two ways, as FastAPI documented them when they were its dependencies."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    needed: list[dict[str, list[str]]] = []
    for scheme in KEY_SCHEMES:
        schemes[scheme.scheme_name] = jsonable_encoder(
            scheme.model, by_alias=True, exclude_none=True
        )
        needed.append({scheme.scheme_name: []})
    for operations in document["paths"].values():
        for operation in operations.values():
            others = [s for s in operation.get("security", []) if s not in needed]
            operation["security"] = [*needed, *others]


def document_command_headers(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Every operation whose dependencies take the command's context lists its headers
    after its own parameters, and its 422 answer, as FastAPI did when they were
    ``Header`` parameters; ``create_app`` runs it on FastAPI's document, so a route
    added after ``create_app`` is documented too."""
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        if not _takes_context(route.dependant):
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            operation["parameters"] = [*operation.get("parameters", []), *COMMAND_HEADERS]
            if not any(s in operation["responses"] for s in ("422", "4XX", "default")):
                operation["responses"]["422"] = _INVALID
    document_keys(document)
    return document


def openapi_document(service: str) -> dict[str, Any]:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}: one of {', '.join(SERVICES)}")
    from shegong.kernel.ops.settings import ServiceSettings

    main = importlib.import_module(f"shegong.{service}.main")
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()):
        settings = ServiceSettings(
            database_url=f"sqlite:///{folder}/openapi.db",
            data_dir=folder,
            pii_hash_key="0" * 32,  # type: ignore[arg-type]
        )
        app = main.build(settings)
        return app.openapi()


def render(service: str) -> str:
    return (
        json.dumps(openapi_document(service), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.exit(f"usage: python -m shegong.kernel.web.openapi {{{'|'.join(SERVICES)}}}")
    sys.stdout.write(render(args[0]))


if __name__ == "__main__":
    main()
