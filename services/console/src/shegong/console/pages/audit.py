"""查看留痕 (access log): every full view of personal data the services recorded — the
registry's workers' personal data, matching's residents' contacts — in one table, newest
first, for the city administrator and the auditors (each service's ``GET /audit/access``).

The services page their own logs; one page of the merged log is the newest ``offset + PAGE``
records of each service, merged by time and cut to the page. A service that refuses (a
department key: 403) or is absent is said so; the other's records still show.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from shegong.console.api import Operation, matching, registry
from shegong.console.pages.training import PAGE, page_links
from shegong.console.upstream import Upstream, UpstreamError
from shegong.console.web import Ctx, page_context

AUDITED = ("registry", "matching")  # the services whose views of personal data are recorded
# The full views this page lists (each service's /audit/access also lists bulk reads,
# refused attempts and key changes: ``?type=AccessRecorded`` and so on, for the API).
VIEWS = {"registry": "PersonalDataViewed", "matching": "ResidentContactViewed"}
MAX_LIMIT = 1000  # the most one ``GET /audit/access`` answers at once
ACCESS: dict[str, Operation[registry.AccessLog | matching.AccessLog]] = {
    "registry": registry.GET_AUDIT_ACCESS,
    "matching": matching.GET_AUDIT_ACCESS,
}
Record = registry.AccessRecord | matching.AccessRecord


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


@dataclass
class Log:
    """A service's newest access records and how many it holds."""

    total: int
    items: list[Record]


@dataclass
class Seen:
    """One record of the merged log: the service's record, which service, and its time."""

    service: str
    when: dt.datetime
    record: Record


def _when(record: Record) -> dt.datetime:
    """A record's time, comparable across services (a naive time is the store's UTC)."""
    at = record.occurred_at
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


async def newest(upstream: Upstream, params: dict[str, Any], count: int) -> Log:
    """A service's ``count`` newest access records (asked a thousand at a time) and its total."""
    op = ACCESS[upstream.name]
    items: list[Record] = []
    while True:
        limit = min(count - len(items), MAX_LIMIT)
        found = await upstream.read(op, **params, limit=limit, offset=len(items))
        items += found.items
        if len(items) >= min(count, found.total) or not found.items:
            return Log(found.total, items)


def merged(found: dict[str, Log], offset: int) -> list[Seen]:
    """The services' records as one log, newest first, cut to the page at ``offset``."""
    records = [Seen(name, _when(item), item) for name, log in found.items() for item in log.items]
    records.sort(key=lambda r: (r.when, r.service, r.record.position), reverse=True)
    return records[offset : offset + PAGE]


def audit_router() -> APIRouter:
    router = APIRouter()

    @router.get("/audit", response_class=HTMLResponse)
    async def access_log(
        ctx: Annotated[Ctx, Depends(page_context)],
        viewer: str = "",
        department: str = "",
        since: str = "",
        until: str = "",
        offset: int = 0,
    ) -> Response:
        """查看留痕: who saw a worker's personal data or a resident's contact in full, when."""
        filters = {
            "viewer": viewer.strip(),
            "department": department.strip(),
            "since": since.strip(),
            "until": until.strip(),
        }
        offset = max(offset, 0)
        first, last = _day(filters["since"]), _day(filters["until"])
        params = {
            "actor": filters["viewer"],
            "department": filters["department"],
            "since": first.isoformat() + "T00:00:00" if first else None,
            # The last day counts whole: before the next day begins.
            "until": (last + dt.timedelta(days=1)).isoformat() + "T00:00:00" if last else None,
        }
        answers = await asyncio.gather(
            *(
                newest(ctx.upstream(name), {**params, "type": VIEWS[name]}, offset + PAGE)
                for name in AUDITED
            ),
            return_exceptions=True,
        )
        found: dict[str, Log] = {}
        problems = []
        for name, answer in zip(AUDITED, answers, strict=True):
            if isinstance(answer, UpstreamError):
                problems.append(ctx.problem(answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                found[name] = answer
        total = sum(log.total for log in found.values())
        refused = [p["kind"] for p in problems]
        status = 403 if not found and "forbidden" in refused else 200
        return ctx.render(
            "audit.html",
            status_code=status,
            f=filters,
            found=found,
            records=merged(found, offset),
            totals={name: log.total for name, log in found.items()},
            total=total,
            problems=problems,
            pager=page_links("/audit", filters, total, offset),
        )

    return router
