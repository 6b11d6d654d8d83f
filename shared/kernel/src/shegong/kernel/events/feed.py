"""The pull feed (``GET /events?after=N&limit=M``) and the clients that read it.

Redis streams are trimmed and Redis may lose its last second; a producer's event store
is the truth. Consumers fill gaps, and rebuild read models, from producers' feeds.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Protocol

import httpx
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from shegong.contracts import Envelope
from shegong.kernel.events.store import EventStore
from shegong.kernel.web.digests import for_caller


class FeedPage(BaseModel):
    """One page of a producer's events, oldest first."""

    source: str
    events: list[Envelope]
    next_after: int
    head: int


# Who reads the access log on the feed: whoever reads ``/audit/access``, and the
# platform's own consumers (``service``). Anyone else — a department's clerk — read there
# which workers other departments opened in full, what they searched for and every key.
ACCESS_LOG_READERS = frozenset({"admin", "auditor", "service"})


# What a service takes out of its stored events before the feed serves them, whoever asks
# (round 10: what a resident asked to be erased — their words, the masks of their phone and
# address — was still served in the order's ``RequestPlaced``, to any department's key).
FeedNarrowing = Callable[[list[Envelope]], Awaitable[list[Envelope]]]


def feed_router(
    store: EventStore, access_log: Collection[str] = (), narrow: FeedNarrowing | None = None
) -> APIRouter:
    """``access_log``: the types of this store's access records (the contract's events
    marked ``audit``), left out of the page for a caller who may not read them; the
    cursor still moves past them. ``narrow``: the service's own narrowing of a page."""
    router = APIRouter(tags=["feed"])
    hidden = frozenset(access_log)

    @router.get("/events", response_model=FeedPage, summary="Events after a position (pull feed)")
    async def read_events(
        request: Request,
        after: int = Query(0, ge=0, le=2**62, description="Return events with position > after"),
        limit: int = Query(500, ge=1, le=5000),
    ) -> FeedPage:
        events = await store.read_after(after, limit)
        principal = getattr(request.state, "principal", None)
        readable = [
            e
            for e in events
            if principal is None or principal.role in ACCESS_LOG_READERS or e.type not in hidden
        ]
        # Keyed digests only to the services that link with them (and admin), a birth date
        # whole only to who may see it (the event's department's own key): digests.py
        shown = [
            e.model_copy(update={"data": for_caller(request, e.data, e.department)})
            for e in readable
        ]
        if narrow is not None:
            shown = await narrow(shown)
        return FeedPage(
            source=store.identity.source,
            events=shown,
            next_after=events[-1].sequence if events else after,
            head=await store.head(),
        )

    return router


class Feed(Protocol):
    async def read_after(self, position: int, limit: int = 1000) -> list[Envelope]: ...


class HttpFeed:
    """A producer's feed over HTTP, read with this service's key (role ``service``)."""

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient | None = None,
        api_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def read_after(self, position: int, limit: int = 1000) -> list[Envelope]:
        client = self._client or httpx.AsyncClient(timeout=30, verify=_tls_context())
        try:
            resp = await client.get(
                f"{self.base_url}/events",
                params={"after": position, "limit": limit},
                headers=self._headers,
            )
            resp.raise_for_status()
            return FeedPage.model_validate(resp.json()).events
        finally:
            if self._client is None:
                await client.aclose()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every feed read: building one (CA bundle loaded) costs ~25 ms
    of CPU, and a client made per read built it per read (seen in a profile of the
    platform catching up)."""
    return httpx.create_ssl_context()


class NoFeedError(LookupError):
    pass


class Feeds:
    """Which feed serves which source: a service's own store, or others over HTTP."""

    def __init__(self, feeds: Mapping[str, Feed] | None = None) -> None:
        self._feeds: dict[str, Feed] = dict(feeds or {})

    @classmethod
    def from_urls(
        cls, urls: Mapping[str, str], *, api_key: str | None = None, **local: Feed
    ) -> Feeds:
        feeds: dict[str, Feed] = {
            source: HttpFeed(url, api_key=api_key) for source, url in urls.items()
        }
        feeds.update(local)
        return cls(feeds)

    def add(self, source: str, feed: Feed) -> None:
        self._feeds[source] = feed

    def sources(self) -> list[str]:
        return list(self._feeds)

    def for_source(self, source: str) -> Feed:
        try:
            return self._feeds[source]
        except KeyError:
            raise NoFeedError(
                f"no feed known for source {source!r}; add it to FEEDS "
                '(e.g. FEEDS=\'{"/shegong/registry/city": "http://registry:8101"}\')'
            ) from None

    async def read_range(self, source: str, after: int, before: int) -> list[Envelope]:
        """Events of ``source`` with after < position < before (a gap to fill)."""
        feed = self.for_source(source)
        found: list[Envelope] = []
        while after < before - 1:
            page = await feed.read_after(after, min(1000, before - 1 - after))
            page = [e for e in page if e.sequence < before]
            if not page:
                break
            found.extend(page)
            after = page[-1].sequence
        return found
