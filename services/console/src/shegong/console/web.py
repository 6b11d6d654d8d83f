"""What every page handler gets: the user's language, their services, and rendering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from shegong.console.api import registry
from shegong.console.csrf import csrf_token
from shegong.console.i18n import LANGS, translate
from shegong.console.settings import ConsoleSettings
from shegong.console.upstream import Upstream, UpstreamError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def plain(value: Any) -> Any:
    """A service's answer (models, lists of them) as JSON values, for the pages that show
    whatever a service answered (``data_view``) and for ``tojson``."""
    if isinstance(value, BaseModel) or (
        isinstance(value, list | tuple) and any(isinstance(v, BaseModel) for v in value)
    ):
        return to_jsonable_python(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON")


TEMPLATES.env.filters["plain"] = plain
TEMPLATES.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}


class NotSignedIn(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


@dataclass
class Ctx:
    request: Request
    settings: ConsoleSettings
    http: httpx.AsyncClient

    @property
    def lang(self) -> str:
        lang = self.request.session.get("lang", "zh")
        return lang if lang in LANGS else "zh"

    def t(self, key: str) -> str:
        return translate(self.lang, key)

    def upstream(self, name: str) -> Upstream:
        return Upstream(
            name,
            self.settings.service_url(name),
            self.http,
            self.request.session.get("api_key") or None,
        )

    @property
    def registry(self) -> Upstream:
        return self.upstream("registry")

    @property
    def matching(self) -> Upstream:
        return self.upstream("matching")

    @property
    def training(self) -> Upstream:
        return self.upstream("training")

    @property
    def me(self) -> dict[str, Any]:
        """Who the key is (``GET /whoami``): name, role, department and what it may change."""
        me = self.request.session.get("me")
        return me if isinstance(me, dict) else {}

    @property
    def read_only(self) -> bool:
        """A key that may change nothing (审计): the console offers no write actions."""
        return self.me.get("writes") == "nothing"

    async def learn_who(self) -> None:
        """Asked once per session (the key's role does not change while it is valid); while
        the registry is unreachable, asked again on the next page."""
        try:
            found: registry.WhoAmI | None = await self.registry.read(registry.GET_WHOAMI)
        except UpstreamError as err:
            if err.kind == "absent":
                return
            found = None  # an older registry, or a refused key: the pages say what is wrong
        # Kept in the (signed cookie) session as plain values.
        self.request.session["me"] = found.model_dump(mode="json") if found else {}

    async def region_codes(self, level: str | None = None) -> list[str]:
        """The registry's region paths (of one level), for a filter's suggestions; none
        while the registry cannot say."""
        try:
            regions = await self.registry.read(registry.GET_REGIONS)
        except UpstreamError:
            return []
        return [r.code for r in regions if level is None or r.level == level]

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "t": self.t,
                "lang": self.lang,
                "session": self.request.session,
                "path": self.request.url.path,
                "me": self.me,
                "read_only": self.read_only,
                "csrf": csrf_token(self.request.session),
                **values,
            },
            status_code=status_code,
        )

    def problem(self, err: UpstreamError) -> dict[str, str]:
        """What to tell the user about a service that did not answer as needed."""
        # A refused change says so (a read refused says the role may not see it).
        writing = err.kind == "forbidden" and self.request.method not in ("GET", "HEAD")
        return {
            "kind": err.kind,
            "service": err.service,
            "text": self.t("forbidden_write" if writing else err.kind),
            "detail": err.message_zh if self.lang == "zh" and err.message_zh else err.message,
        }


async def page_context(request: Request) -> Ctx:
    """Every page but the login needs a session (with or without a key), and knows who
    the key is."""
    if not request.session.get("signed_in"):
        raise NotSignedIn(quote(str(request.url.path)))
    ctx = Ctx(request, request.app.state.settings, request.app.state.http)
    if "me" not in request.session:
        await ctx.learn_who()
    return ctx


def open_context(request: Request) -> Ctx:
    return Ctx(request, request.app.state.settings, request.app.state.http)


__all__ = ["TEMPLATES", "Ctx", "NotSignedIn", "open_context", "page_context"]
