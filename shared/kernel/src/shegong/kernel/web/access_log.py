"""Writing the access log (留痕) every service keeps: bulk reads of personal data, refused
attempts, and the API keys it accepts — as ``audit`` events in the service's own store
(``shegong.contracts.access``), listed by ``GET /audit/access``.

- :func:`audited_read` — a route dependency: the read is recorded *before* it is served
  (no unrecorded read), with the key, the path and the parameters. Service keys (the
  platform reading its own feeds) and open mode (no key, a developer's machine) are not
  recorded: there is nobody to attribute to. A list a page polls (the console's order
  board every 2 s) is recorded once per ``repeat_s`` for the same key, path and
  parameters: the record says who read it and from when, without 43,200 a day per tab.
- :func:`record_refusal` — called by the edge for every 403: who tried what, and why not.
  A 401 (no key, an unknown one) names nobody: it is logged with the client's address,
  not stored, so an anonymous caller cannot fill the event store.
- :func:`record_key_changes` — keeps the log of the keys this service accepts: each key
  that appears (``ApiKeyIssued``) or disappears (``ApiKeyRevoked``) from its keys file
  or ``API_KEYS`` is recorded once, whichever replica sees it first (one stream,
  optimistic concurrency).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Header, Request
from sqlalchemy import select

from shegong.contracts.access import AccessRecorded, ApiKeyIssued, ApiKeyRevoked
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.events.schema import events_table
from shegong.kernel.events.store import CommandContext, ConcurrencyError, EventStore
from shegong.kernel.ops.db import reading
from shegong.kernel.web.api_keys import KeyRing, Principal
from shegong.kernel.web.auth import ANONYMOUS, PUBLIC, Authenticated, decode_actor

log = logging.getLogger("shegong.audit")

KEYS_STREAM = "api-keys"


def viewer_of(principal: Principal, actor: str | None) -> str:
    return principal.name if actor is None else f"{principal.name} ({actor})"


def _records(store: EventStore) -> bool:
    """Whether this store's contract carries the access records."""
    return AccessRecorded.model_fields["type"].default in set(store.identity.contract.types())


async def record_access(store: EventStore, event: AccessRecorded) -> None:
    """Append one access record, in its own transaction and stream, as its viewer."""
    if not _records(store):
        return
    ctx = CommandContext(
        actor=event.viewer, department=event.viewer_department, role=event.viewer_role
    )
    async with store.transaction(ctx) as tx:
        await tx.append(f"access:{uuid.uuid4().hex}", AccessRecorded.aggregate_type, 0, [event])


def _query(request: Request) -> str | None:
    """The parameters, without any whole ID number or phone searched for (rule 7: the
    record goes on the bus)."""
    # Each value as the service read it (decoded: %36%32… is 62…), then cut, then written
    # back encoded: a number typed percent-encoded was kept whole (round 8).
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    text = urlencode([(k, redact_numbers(v) or "") for k, v in pairs], safe="*", quote_via=quote)
    return text[:1024] if text else None


def _path(request: Request) -> str:
    return (redact_numbers(request.url.path) or "")[:512]


REMEMBERED_READS = 10_000
POLLED = 600.0
"""Seconds a polled list's read is covered by its record (the console's order board asks
every 2 s, its other pages on every look)."""


def audited_read(what: str, repeat_s: float = 0.0) -> Callable[..., Awaitable[None]]:
    """A dependency recording a bulk read of personal data before it is served; the same
    key reading the same path and parameters again within ``repeat_s`` seconds of its
    recorded read is covered by that record (in this process)."""
    recorded: dict[tuple[str, ...], float] = {}

    def remember(key: tuple[str, ...]) -> None:
        now = time.monotonic()
        if len(recorded) >= REMEMBERED_READS:
            for old in [k for k, t in recorded.items() if now - t >= repeat_s] or list(recorded):
                del recorded[old]
        recorded[key] = now

    async def record(
        request: Request,
        principal: Authenticated,
        x_actor: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> None:
        if principal.role == "service" or principal is ANONYMOUS or principal is PUBLIC:
            return
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is None:
            return
        actor = decode_actor(x_actor)
        path, query = _path(request), _query(request)
        seen = (principal.key_id, actor or "", request.method, path, query or "")
        if repeat_s > 0 and time.monotonic() - recorded.get(seen, float("-inf")) < repeat_s:
            return
        await record_access(
            runtime.store,
            AccessRecorded(
                what=what,
                outcome="read",
                viewer=viewer_of(principal, actor),
                viewer_key_id=principal.key_id,
                viewer_role=principal.role,
                viewer_department=principal.department,
                method=request.method,
                path=path,
                query=query,
            ),
        )
        if repeat_s > 0:
            remember(seen)

    return record


async def record_refusal(request: Request, status: int, reason: str) -> None:
    """The edge refused this request: store who (a 403), or log it (a 401)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    client = request.client.host if request.client else "?"
    if status == 401 or principal is None or principal is PUBLIC:
        log.warning("refused %s %s from %s: %s", request.method, request.url.path, client, reason)
        return
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None or principal is ANONYMOUS:
        return
    actor = decode_actor(request.headers.get("x-actor"))
    try:
        await record_access(
            runtime.store,
            AccessRecorded(
                what="request",
                outcome="refused",
                viewer=viewer_of(principal, actor),
                viewer_key_id=principal.key_id,
                viewer_role=principal.role,
                viewer_department=principal.department,
                method=request.method,
                path=_path(request),
                query=_query(request),
                reason=(redact_numbers(reason) or "")[:500],
            ),
        )
    except Exception:  # the refusal stands even if the log cannot be written
        log.exception("refusal of %s %s not recorded", request.method, request.url.path)


async def record_key_changes(store: EventStore, keyring: KeyRing) -> int:
    """Record the keys that appeared or disappeared since the log last said; how many."""
    if not _records(store):
        return 0
    current = {r.id: r for r in keyring.records()}
    async with reading(store.engine) as conn:
        rows = (
            await conn.execute(
                select(events_table.c.type, events_table.c.data, events_table.c.version)
                .where(events_table.c.stream_id == KEYS_STREAM)
                .order_by(events_table.c.version)
            )
        ).all()
    known: dict[str, dict[str, object]] = {}
    version = 0
    for row in rows:
        version = row.version
        if row.type == "ApiKeyIssued":
            known[row.data["key_id"]] = row.data
        else:
            known.pop(row.data["key_id"], None)
    events: list[ApiKeyIssued | ApiKeyRevoked] = [
        ApiKeyIssued(
            key_id=r.id,
            name=r.name,
            role=r.role,
            key_department=r.department,
            created=r.created,
        )
        for key_id, r in sorted(current.items())
        if key_id not in known
    ]
    events += [
        ApiKeyRevoked(
            key_id=key_id,
            name=str(data["name"]),
            role=str(data["role"]),
            key_department=data.get("key_department"),  # type: ignore[arg-type]
        )
        for key_id, data in sorted(known.items())
        if key_id not in current
    ]
    if not events:
        return 0
    try:
        async with store.transaction(CommandContext(actor="api-keys")) as tx:
            await tx.append(KEYS_STREAM, "api-keys", version, events)
    except ConcurrencyError:  # another replica recorded it first
        return 0
    return len(events)


async def watch_keys(store: EventStore, keyring: KeyRing, every: float = 2.0) -> None:
    """Until cancelled: record key changes as the keys file changes (a stat per turn)."""
    while True:
        try:
            await record_key_changes(store, keyring)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be down: try again next turn
            log.warning("key changes not recorded yet", exc_info=True)
        await asyncio.sleep(every)
