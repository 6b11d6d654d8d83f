"""The services as the console sees them: HTTP APIs called with the user's credential.

Every call carries ``Authorization: Bearer <key>`` when the user signed in with a key (the
services answer without one while they are open). What a service answers decides what the
page shows: 401/403 become a clear message, an absent service a notice, never a crash.
Pages call a route with :meth:`Upstream.read` and one of the typed operations of
``shegong.console.api`` (generated from the services' published OpenAPI documents), and get
the model back; :meth:`Upstream.get` answers raw JSON for what shows any answer as it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from shegong.console.api import Operation

T = TypeVar("T")


class UpstreamError(Exception):
    """A service could not answer the way the page needs."""

    def __init__(
        self, service: str, status: int | None, message: str, message_zh: str | None = None
    ) -> None:
        super().__init__(f"{service}: {message}")
        self.service, self.status, self.message = service, status, message
        self.message_zh = message_zh  # the service's own Chinese wording, when it gave one

    @property
    def kind(self) -> str:
        if self.status is None:
            return "absent"
        if self.status == 401:
            return "unauthenticated"
        if self.status == 403:
            return "forbidden"
        return "error"


@dataclass
class Upstream:
    """One service's API for one user (a client per request; the pool is shared)."""

    name: str
    base_url: str | None
    http: httpx.AsyncClient
    api_key: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def _headers(self, actor: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if actor:
            headers["X-Actor"] = quote(actor, safe="")  # UTF-8, percent-encoded
        return headers

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
        actor: str | None = "console",
        headers: dict[str, str] | None = None,
    ) -> Any:
        if not self.base_url:
            raise UpstreamError(self.name, None, "not configured")
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.http.request(
                method,
                self.base_url + path,
                params=clean,
                json=json,
                files=files,
                data=data,
                headers={**self._headers(actor), **(headers or {})},
            )
        except httpx.HTTPError as err:
            raise UpstreamError(self.name, None, f"unreachable ({type(err).__name__})") from err
        if response.status_code >= 400:
            raise UpstreamError(self.name, response.status_code, *_messages(response))
        if not response.content:
            return None
        if "json" not in response.headers.get("content-type", ""):
            return response.text
        return response.json()

    async def read(self, op: Operation[T], /, json: Any = None, **params: Any) -> T:
        """Call one documented route (its path parameters and query among ``params``) and
        read its answer as the service's published document says it is. An answer of
        another shape is the service's fault, said as such (which fields, never their
        values: they may be personal data)."""
        path = op.path
        for name in op.path_params:
            path = path.replace("{" + name + "}", quote(str(params.pop(name)), safe=""))
        answer = await self.call(op.method, path, params=params, json=json)
        try:
            return op.validate(answer)
        except ValidationError as err:
            where = sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in err.errors()})
            fields = ", ".join(where[:5]) + (" …" if len(where) > 5 else "")
            raise UpstreamError(
                self.name,
                502,
                f"{op.method} {op.path} answered in a form the console cannot read ({fields})",
                f"{op.method} {op.path} 的应答格式与控制台所读不符（{fields}）",
            ) from err

    async def get(self, path: str, **params: Any) -> Any:
        """Any JSON the service answers, as it is (the data browser, the report's figures)."""
        return await self.call("GET", path, params=params)


def _messages(response: httpx.Response) -> tuple[str, str | None]:
    """The service's refusal in English, and in Chinese when it says it in both."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", None
    body = body if isinstance(body, dict) else {}
    for key in ("error", "detail"):  # our error form; HTTPException(404, {...})
        error = body.get(key)
        if isinstance(error, dict) and error.get("message"):
            field = f" ({error['field']})" if error.get("field") else ""
            zh = error.get("message_zh")
            return (
                f"HTTP {response.status_code}: {error['message']}{field}",
                f"HTTP {response.status_code}：{zh}{field}" if zh else None,
            )
    if body.get("detail"):
        return f"HTTP {response.status_code}: {body['detail']}", None
    return f"HTTP {response.status_code}", None
