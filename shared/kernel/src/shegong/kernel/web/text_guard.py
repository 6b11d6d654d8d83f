"""No control characters in the text a command carries (422 naming the field).

JSON can carry any character escaped — ``"张\\u0000三"`` is valid JSON. A NUL was accepted
(201) and stored in the event, and then on PostgreSQL the read models could not hold it
(``invalid byte sequence``): the worker was registered and never appeared — not in
``/workers``, not in the census — in this service or any other consuming the event. Bidi
overrides (U+202E …) make a name or note display as something else (``王‮abc‬五`` shows as
王cba五) in the console, exports and reports. So a JSON body whose strings hold C0/C1 control
characters (tab, line feed and carriage return excepted) or bidi embeddings, overrides or
isolates is refused before the route sees it, naming the field, in English and Chinese;
every JSON route of every service is covered, also one added later, and the form posts of
the mobile pages (``application/x-www-form-urlencoded``).

The fields beside an upload's file (``multipart/form-data``: a roster's
``department_name``, say) are not buffered here — the file may be 64 MiB — but checked by
:func:`form_fields_guard`, which ``auth.authenticate`` (a dependency of every route)
runs once the caller is known, on the form FastAPI has parsed
(probed: ``department_name=民政<ESC>[31m<U+202E>局`` went onto the bus in
``DepartmentRegistered``).

The check looks at the raw body first (an escape, or the character itself, anywhere); only
when one is there is the body parsed to name the field. Bodies are bounded by
``body_limit.py``, which runs outside this middleware.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shegong.kernel.data.controls import CONTROL as FORBIDDEN
from shegong.kernel.web.body_limit import send_json

# The same characters written as JSON escapes (\u0000, \u202E …); an escaped backslash
# before the "u" (\\u0000, the text "\u0000") is not one.
_ESCAPED = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u(?:000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]"
    rb"|202[a-eA-E]|206[6-9])"
)


def first_forbidden(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, the character) of the first string in ``value`` holding one."""
    if isinstance(value, str):
        found = FORBIDDEN.search(value)
        return (path or "body", found.group(0)) if found else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        hit = first_forbidden(item, f"{path}.{key}" if path else str(key))
        if hit is not None:
            return hit
    return None


def _suspect(body: bytes) -> bool:
    if _ESCAPED.search(body):
        return True
    text = body.decode("utf-8", errors="ignore")
    return FORBIDDEN.search(text) is not None


def refusal(field: str, char: str) -> bytes:
    code = f"U+{ord(char):04X}"
    error = {
        "code": "invalid",
        "message": f"{field}: contains a control or text-direction character ({code}); "
        "remove it and send again",
        "message_zh": f"{field}：含有控制字符或文字方向控制符（{code}），请删除后重新提交",
        "field": field,
    }
    return json.dumps({"error": error}, ensure_ascii=False).encode()


# A command's body holds a few values (its longest list: 200); past this many commas it is
# refused before the route's model sees it (round 12: 1 MiB of 90,000 unknown fields was
# 1.8 s of the event loop in the model's errors, six at once held /health 4.8 s).
MAX_JSON_VALUES = 10_000


def too_many_values() -> bytes:
    error = {
        "code": "invalid",
        "message": f"body: more than {MAX_JSON_VALUES:,} values; a command holds a few",
        "message_zh": f"body：超过 {MAX_JSON_VALUES:,} 个取值，不是一条可接受的指令",
        "field": "body",
    }
    return json.dumps({"error": error}, ensure_ascii=False).encode()


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = _kind(scope) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        form = kind == "form"
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        # Joined once: adding each chunk to the body so far copied it again every time —
        # a 1 MiB body dripped in 90,000 chunks, no key needed, cost 6.4 s of CPU.
        body = b"".join(m.get("body", b"") for m in messages)
        if not form and body.count(b",") > MAX_JSON_VALUES:
            await send_json(send, 422, too_many_values())
            return
        if _suspect(body) or (form and b"%" in body):
            try:
                hit = first_forbidden(_form(body) if form else json.loads(body))
            except ValueError:
                hit = None  # not JSON: the route says so itself
            if hit is not None:
                await send_json(send, 422, refusal(*hit))
                return
        replay = iter(messages)

        async def replayed() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replayed, send)


def _kind(scope: Scope) -> str | None:
    """ "json" or "form" (the mobile pages' posts) for a body this guard reads, else None."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    for key, value in scope["headers"]:
        if key == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            if kind == b"application/json" or kind.endswith(b"+json"):
                return "json"
            return "form" if kind == b"application/x-www-form-urlencoded" else None
    return None


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8"))


class ControlCharacterError(ValueError):
    """A form field beside an upload holds a forbidden character (422 naming it)."""

    def __init__(self, field: str, char: str) -> None:
        super().__init__(field)
        self.field, self.char = field, char


async def form_fields_guard(request: Request) -> None:
    """The text fields of a multipart form, as FastAPI parsed them (cached: no second
    parse); a file's name is the sheet reader's (``upload_guard.upload_name``)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str) and (found := FORBIDDEN.search(value)):
            raise ControlCharacterError(name, found.group(0))
