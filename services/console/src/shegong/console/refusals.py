"""The framework's own refusals as the console's problem page, in both languages.

An unknown console path (signed in or not), a wrong method, a form the parser cannot read
and a form with a missing or malformed field were FastAPI's English JSON
(``{"detail": "Not Found"}``; a 422 quoted the field's ``input`` back) — round 9. They are
the console's page now: the refusal in the session's language, then in the other one,
naming at most the page's own fields, quoting nothing the client typed (not the path, not
a value). A 405 keeps its ``Allow``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from shegong.console.i18n import translate
from shegong.console.web import open_context

KEYS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def _page(request: Request, status: int, key: str, fields: str = "") -> Response:
    ctx = open_context(request)
    other = "en" if ctx.lang == "zh" else "zh"
    detail = translate(other, key) + (f" ({fields})" if fields else "")
    text = ctx.t(key) + (f"：{fields}" if fields else "")
    problem = {"kind": "error", "text": text, "detail": detail}
    return ctx.render("problem.html", status_code=status, problem=problem)


async def framework_refusal(request: Request, exc: Exception) -> Response:
    """For ``HTTPException`` (404, 405, 400 …): the status kept, its ``detail`` not shown."""
    assert isinstance(exc, HTTPException)
    response = _page(request, exc.status_code, KEYS.get(exc.status_code, "refused"))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def invalid_form(request: Request, exc: Exception) -> Response:
    """A 422: which of the page's own fields was missing or wrong, never what was sent."""
    assert isinstance(exc, RequestValidationError)
    names = sorted(
        {
            e["loc"][-1]
            for e in exc.errors()
            if e.get("loc") and isinstance(e["loc"][-1], str) and e["loc"][-1].isidentifier()
        }
    )
    return _page(request, 422, "form_invalid", ", ".join(names))


async def failed(request: Request, exc: Exception) -> Response:
    """Anything else (round 11: Starlette's plain "Internal Server Error", English only):
    the problem page, saying nothing of the failure; the log has the traceback."""
    return _page(request, 500, "console_failed")


__all__ = ["failed", "framework_refusal", "invalid_form"]
