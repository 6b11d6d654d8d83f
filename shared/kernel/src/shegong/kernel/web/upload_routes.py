"""Which requests may bring a spreadsheet: those a route taking a file answers.

``body_limit`` allows a multipart body twice the sheet limit (64 MiB) and any other body
1 MiB. It went by the ``Content-Type`` alone, so a body *labelled* multipart was allowed
64 MiB on every route — and a JSON route (``POST /workers``) reads its body whole into
memory before the key is checked: eight such bodies at once, no key sent, took
``shegong up``'s process from 227 to 724 MiB (kept at 675 MiB after). Only a route whose
body has a file (the imports) is an upload now: the route is known (Starlette
puts it in the request's scope) before its body is read.
"""

from __future__ import annotations

from fastapi import params
from fastapi.routing import APIRoute
from starlette.types import Scope

__all__ = ["takes_upload"]


def takes_upload(scope: Scope) -> bool:
    """Whether the route the request was routed to (``scope["route"]``) takes a file
    (FastAPI gives a body with a file the field info ``File``; a form of text fields
    only — the mobile pages' — is ``Form`` and has the 1 MiB limit)."""
    route = scope.get("route")
    field = route.body_field if isinstance(route, APIRoute) else None
    return field is not None and isinstance(field.field_info, params.File)
