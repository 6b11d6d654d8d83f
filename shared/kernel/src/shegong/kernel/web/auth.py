"""Who may call a service (鉴权): API keys and roles at the HTTP edge of every service.

``create_app`` puts :func:`authenticate` in front of every route of the app (the pull
feed, the service's routers, any route added later); ``/health``, ``/ready``,
``/metrics``, ``/docs``, ``/openapi.json`` and ``/asyncapi`` stay public. Roles:

- ``admin`` — the city administrator: everything;
- ``department`` — a department's key: reads, and writes to its own records only (the
  service checks the record's department against :meth:`Principal.may_write_for`);
- ``auditor`` — reads only: any method but GET/HEAD is refused;
- ``service`` — another service: the pull feed and reads only.

Without any key configured, a service bound to loopback runs *open* (a developer's
laptop; it says so loudly, and ``/ready`` shows ``"auth": "open"``); bound to any other
address it refuses to start. ``AUTH=required|open`` overrides that rule.
"""

from __future__ import annotations

import ipaddress
import logging
import unicodedata
from dataclasses import dataclass, replace
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shegong.kernel.data.controls import INVISIBLE, shows_something
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.web.api_keys import (
    DEPARTMENT_CODE_RULE,
    KeyRing,
    Principal,
    is_department_code,
)
from shegong.kernel.web.correlation import current_correlation_id
from shegong.kernel.web.key_throttle import KeyThrottle
from shegong.kernel.web.text_guard import form_fields_guard

log = logging.getLogger("shegong.auth")

PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/ready",
        "/metrics",
        "/docs",
        "/redoc",
        "/openapi.json",
        "/asyncapi",
    }
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_ROLES = frozenset({"auditor", "service"})
# Open mode: nobody configured keys on a loopback-only service (a developer's machine).
ANONYMOUS = Principal(key_id="-", name="anonymous", role="admin")
# Whoever calls a public route (/health, /docs …): may do nothing else.
PUBLIC = Principal(key_id="-", name="public", role="auditor")


class AuthError(Exception):
    """A request refused at the edge: 401 (who are you?) or 403 (not you)."""

    def __init__(
        self,
        status: int,
        message: str,
        message_zh: str,
        field: str | None = None,
        *,
        logged: bool = True,
    ) -> None:
        super().__init__(message)
        self.status, self.message_zh, self.field = status, message_zh, field
        self.logged = logged
        codes = {401: "unauthenticated", 422: "invalid", 429: "too_many_failures"}
        self.code = codes.get(status, "forbidden")


class AuthConfigError(RuntimeError):
    """The service would be reachable from the network with nobody's key required."""


@dataclass(frozen=True)
class Gate:
    mode: Literal["keys", "open"]
    keyring: KeyRing

    @property
    def open(self) -> bool:
        return self.mode == "open"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def gate_for(settings: ServiceSettings, service: str = "service") -> Gate:
    env = settings.api_keys.get_secret_value() if settings.api_keys else None
    keyring = KeyRing(settings.api_keys_file, env)
    if settings.auth == "open":
        log.warning("AUTH=open: %s accepts every request without a key", service)
        return Gate("open", keyring)
    if settings.auth == "required" or keyring.configured:
        return Gate("keys", keyring)
    if is_loopback(settings.host):
        log.warning(
            "\n%s\n!! %s runs OPEN: no API key is configured (API_KEYS_FILE / API_KEYS).\n"
            "!! Fine on this machine (HOST=%s answers only locally); `shegong up` sets keys up."
            "\n%s",
            "!" * 78,
            service,
            settings.host,
            "!" * 78,
        )
        return Gate("open", keyring)
    raise AuthConfigError(
        f"{service} would listen on {settings.host} with no API key configured: set "
        "API_KEYS_FILE or API_KEYS (see SECURITY.md), or bind HOST=127.0.0.1 for a "
        "local open service. Refusing to start."
    )


_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer sgk_<id>_<secret>")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: sgk_…")


async def authenticate(request: Request) -> Principal:
    """The caller, from its key; refuses unknown keys and writes by read-only roles.

    ``create_app`` makes it a dependency of the whole app, so every route — also one a
    service adds later, outside ``create_app`` — checks a key unless its path is public.
    It also checks a multipart form's text fields (``text_guard.form_fields_guard``),
    once the caller is known, as it did as a dependency of its own next to this one.

    Routes and their dependencies take the caller it found from :data:`Authenticated`
    (the request's scope): FastAPI solved this dependency — and its two header
    schemes — again under every route dependency that named it (9 of a command's
    dependency solvings, of 0.4 ms; bench/README.md, round 10). The two schemes are
    called here, not solved by FastAPI as dependencies of their own (two solvings a
    request, ≈ 28 µs: round 14); the documents name them (``openapi.py``)."""
    principal = await _principal_of(request, await _bearer(request), await _api_key(request))
    request.scope[_PRINCIPAL] = principal
    await form_fields_guard(request)
    return principal


# The ways to send a key, in the OpenAPI documents' ``security`` (openapi.py).
KEY_SCHEMES = (_bearer, _api_key)


async def _principal_of(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    api_key: str | None,
) -> Principal:
    if request.scope["path"] in PUBLIC_PATHS:
        return PUBLIC
    gate: Gate = request.app.state.auth_gate
    if gate.open:
        principal = ANONYMOUS
    else:
        key = (bearer.credentials if bearer else None) or api_key
        if _repeated_key_header(request):
            # Which of two would a proxy in front have checked, or logged? Neither is
            # guessed: the first was taken here, where a proxy may take the last.
            raise AuthError(
                401,
                "send one API key: the request has more than one Authorization or X-API-Key header",
                "请只提供一个接口密钥：请求中有多个 Authorization 或 X-API-Key 请求头",
            )
        if not key:
            raise AuthError(
                401,
                "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'",
                "需要接口密钥：请在请求头中提供 Authorization: Bearer <密钥> 或 X-API-Key",
            )
        principal = _verify(request, gate, key)
    request.state.principal = principal  # known from here on: a refusal names it
    if principal.role in READ_ONLY_ROLES and request.method not in READ_METHODS:
        raise AuthError(
            403,
            f"an {principal.role} key may only read"
            if principal.role == "auditor"
            else f"a {principal.role} key may only read",
            "只读角色（审计/服务）不能修改数据",
        )
    return principal


def _repeated_key_header(request: Request) -> bool:
    """More than one ``Authorization`` or ``X-API-Key`` header (each on its own)."""
    names = [k for k, _ in request.scope["headers"] if k in (b"authorization", b"x-api-key")]
    return len(names) != len(set(names))


def _verify(request: Request, gate: Gate, key: str) -> Principal:
    """The key's principal; 401 — or 429 past the wrong keys a minute this address may
    send (``key_throttle.py``; a right key is always served)."""
    found = gate.keyring.verify(key)
    if found is not None:
        return found
    throttle: KeyThrottle = request.app.state.key_throttle
    count = throttle.failed(request.client.host if request.client else "?")
    if count > throttle.per_window:
        raise AuthError(
            429,
            "too many wrong API keys from this address; try again in a minute",
            "此地址错误的接口密钥过多，请一分钟后再试",
            logged=count == throttle.per_window + 1,  # once a window, not per request
        )
    raise AuthError(401, "unknown or revoked API key", "接口密钥无效或已被吊销")


# Where ``authenticate`` leaves the caller for the route (the request's ASGI scope).
_PRINCIPAL = "shegong.principal"


def principal_of(request: Request) -> Principal:
    """The caller ``authenticate`` found for this request. It runs first, as a
    dependency of the whole app; a route served without it fails closed (no principal
    is made up here)."""
    try:
        principal: Principal = request.scope[_PRINCIPAL]
    except KeyError:
        raise RuntimeError("authenticate did not run for this route (create_app)") from None
    return principal


async def caller(request: Request) -> Principal:
    """:func:`principal_of` as a dependency: ``async`` though it never waits, since FastAPI
    runs a plain ``def`` dependency on its thread pool — a hand-off and back for every
    audited read and admin-only route (``tests/openapi/test_dependencies.py``)."""
    return principal_of(request)


Authenticated = Annotated[Principal, Depends(caller)]


async def admin_only(principal: Authenticated) -> Principal:
    if not principal.is_admin:
        raise AuthError(403, "only the city administrator may do this", "仅限市级管理员操作")
    return principal


AdminOnly = Annotated[Principal, Depends(admin_only)]


def command_context_for(
    principal: Principal,
    *,
    actor: str | None = None,
    department: str | None = None,
    correlation_id: str | None = None,
) -> CommandContext:
    """The context a command runs in: who acted (the key's name, plus the person the
    caller names in ``X-Actor``), for which department, in which role.

    A department key always acts for its own department; naming another one is refused.
    With keys off (open mode) the headers are taken as given, as before.
    """
    if department is not None and not is_department_code(department):
        raise AuthError(422, *DEPARTMENT_CODE_RULE, field="department", logged=False)
    ctx = CommandContext(actor=actor, department=department)
    if correlation_id:
        ctx = replace(ctx, correlation_id=correlation_id)
    if principal is ANONYMOUS:
        return ctx
    if principal.role == "department":
        if department is not None and department != principal.department:
            raise AuthError(
                403,
                f"this key acts for department {principal.department!r}, not {department!r}",
                f"该密钥只能代表 {principal.department} 部门操作",
                field="department",
            )
        department = principal.department
    name = principal.name if actor is None else f"{principal.name} ({actor})"
    return replace(
        ctx, actor=name, department=department, role=principal.role, key_id=principal.key_id
    )


def refuse_other_department(ctx: CommandContext, department: str | None) -> None:
    """Raise 403 when a department-scoped context touches another department's records."""
    if ctx.role == "department" and department != ctx.department:
        if department is None:  # a record of the city's own: the administrator's alone
            raise AuthError(
                403,
                f"this is a city-wide record: only the city administrator may change it, "
                f"not department {ctx.department!r}",
                f"这是市级记录，只有市级管理员可以修改（{ctx.department} 部门不能修改）",
                field="department",
            )
        raise AuthError(
            403,
            f"department {ctx.department!r} may not change records of {department!r}",
            f"{ctx.department} 部门不能修改 {department} 部门的记录",
            field="department",
        )


def decode_actor(raw: str | None) -> str | None:
    """The person an ``X-Actor`` header names, as UTF-8 text.

    HTTP header values are bytes; Starlette reads them as latin-1, so ``李主任`` sent raw
    in UTF-8 arrived as ``æä¸»ä»»``. Both ways of sending it are read right: raw UTF-8
    (the latin-1 reading undone) and percent-encoded UTF-8 (``%E6%9D%8E…``, what the
    console and the CLI send — the portable form). Control characters are dropped, the
    name is cut at 128 characters, and a long number in it (a phone, an ID number) keeps
    its first three digits."""
    if raw is None:
        return None
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        text = raw
    if "%" in text:
        text = unquote(text, errors="strict") if _valid_utf8_escapes(text) else text
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    # A name that shows nothing (U+2800, Hangul fillers: round 10) names nobody.
    text = INVISIBLE.sub("", text).strip()
    if not shows_something(text):
        return None
    # A person is named, not numbered: a phone or ID number typed here would go on the
    # bus with every event of the command (rule 7), so it keeps its first three digits.
    return redact_numbers(text[:128]) or None


def _valid_utf8_escapes(text: str) -> bool:
    try:
        unquote(text, errors="strict")
        return True
    except UnicodeDecodeError:
        return False


async def command_context(request: Request) -> CommandContext:
    """The API key's principal as the command's context, for every service's routes: the
    key's name is the actor, a department key's department is the department (naming
    another one is a 403). ``async`` although it never waits: FastAPI runs a plain
    ``def`` dependency on a worker thread, a thread hop on every command.

    Its headers (``X-Actor``, ``X-Department``) are read from the request here, not
    declared as FastAPI ``Header`` parameters: FastAPI looked each one's model, alias and
    validator up on every request (≈ 33 µs a command, bench/README.md round 14); the
    OpenAPI documents still list them (``openapi.COMMAND_HEADERS``). The first of
    repeated headers is taken, as FastAPI took it."""
    # The edge took X-Correlation-Id as the conversation's id only if it is sane (short,
    # printable: correlation.py) and answers with the id it used; the raw header — any
    # length, any text, a phone number — never reaches an event.
    headers = request.headers
    return command_context_for(
        principal_of(request),
        actor=decode_actor(headers.get("x-actor")),
        department=headers.get("x-department"),
        correlation_id=current_correlation_id(),
    )


Ctx = Annotated[CommandContext, Depends(command_context)]
