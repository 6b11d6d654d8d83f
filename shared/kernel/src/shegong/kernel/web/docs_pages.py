"""The interactive API docs (``/docs``, Swagger UI; ``/redoc``, ReDoc) as pages a browser
defends: FastAPI's own routes sent them with no header at all, so any site could frame
them (a clerk's key typed into "Authorize" then clicked for by the framing page), sniff
them, or have them load scripts from anywhere a planted ``<base>`` said.

Each page carries a Content-Security-Policy that allows the CDN FastAPI loads Swagger UI
and ReDoc from, the page's own inline script by its hash (nothing else inline runs), calls
to this service only, no plugins, no ``<base>``, no form posts, no framing — and
``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy: same-origin``. Swagger UI's
OAuth2 redirect page is not served: the services take API keys, no OAuth2 flow.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

__all__ = ["docs_router", "page_headers"]

_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def page_headers(html: str) -> dict[str, str]:
    """The headers of a docs page whose HTML is ``html``: its inline scripts allowed by
    their SHA-256, nothing else inline."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    policy = (
        "default-src 'none'; "
        f"script-src {_CDN} {hashes}; "
        f"style-src {_CDN} https://fonts.googleapis.com 'unsafe-inline'; "
        "font-src https://fonts.gstatic.com; "
        "img-src 'self' data: https:; "
        "connect-src 'self'; worker-src blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def _page(response: HTMLResponse) -> tuple[str, dict[str, str]]:
    html = bytes(response.body).decode()
    return html, page_headers(html)


def docs_router(title: str) -> APIRouter:
    """``/docs`` and ``/redoc`` for the app titled ``title`` (its ``/openapi.json``)."""
    router = APIRouter(include_in_schema=False)
    swagger = _page(
        get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{title} - Swagger UI", oauth2_redirect_url=None
        )
    )
    redoc = _page(get_redoc_html(openapi_url="/openapi.json", title=f"{title} - ReDoc"))

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(swagger[0], headers=swagger[1])

    @router.get("/redoc")
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc[0], headers=redoc[1])

    return router
