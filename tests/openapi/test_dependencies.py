"""Every dependency of every route runs on the event loop: FastAPI runs a plain ``def``
dependency on its thread pool — a hand-off to a worker thread and back, a GIL hand-over
each way, for every request that uses it (issue 18: ``caller``, under every audited read
and every admin-only route, did so)."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute

from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.web.auth import authenticate, command_context
from shegong.kernel.web.openapi import SERVICES


def _on_threads(dependant: Dependant, route: str, out: set[str]) -> None:
    call: Any = dependant.call
    if call is not None:
        target = call if inspect.isroutine(call) else type(call).__call__
        if not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
            out.add(f"{route}: {getattr(call, '__qualname__', type(call).__qualname__)}")
    for sub in dependant.dependencies:
        _on_threads(sub, route, out)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_depends_on_a_plain_def(service: str, tmp_path: Path) -> None:
    main = importlib.import_module(f"shegong.{service}.main")
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path}/deps.db",
        data_dir=str(tmp_path),
        pii_hash_key="0" * 32,  # type: ignore[arg-type]
    )
    with contextlib.redirect_stderr(io.StringIO()):
        app = main.build(settings)
    found: set[str] = set()
    routes = 0
    for route, dependant in _routes(app.routes):
        routes += 1
        for sub in dependant.dependencies:  # the endpoint itself may be a def
            _on_threads(sub, f"{sorted(route.methods)} {route.path}", found)
    assert routes > 20
    assert sorted(found) == []


def _routes(routes: list[Any]) -> Iterator[tuple[APIRoute, Dependant]]:
    """Every API route with the dependant FastAPI solves for it (an included router's
    routes with the dependencies the router and the app add)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route, route.dependant
        for context in getattr(route, "effective_candidates", list)():
            if hasattr(context, "effective_candidates"):
                yield from _routes([context])
            elif isinstance(context.original_route, APIRoute) and context.dependant:
                yield context.original_route, context.dependant


def test_the_key_and_the_command_context_are_read_without_fastapis_solving() -> None:
    """``authenticate`` is under every request and ``command_context`` under every
    command: FastAPI solved the key's two header schemes as dependencies of their own and
    looked each of the context's three ``Header`` parameters' model, alias and validator
    up per request (≈ 28 + 33 µs, bench/README.md round 14). Both read the request
    themselves; the documents still list the schemes and the headers
    (``test_published.py`` holds the documents to the code)."""
    context = get_dependant(path="/", call=command_context)
    assert [p.name for p in context.header_params] == []
    assert get_dependant(path="/", call=authenticate).dependencies == []
