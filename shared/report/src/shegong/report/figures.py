"""The report's figures, asked of the services' HTTP APIs — never of their databases.

``collect`` returns one plain, JSON-ready dict (the *figures*): the city's or a region's
workforce (registry ``/indicators/workforce``), training (``/indicators/training``) and
services (matching ``/indicators/services``) indicators as of a day, the same for each
county (or each child of the region) for the tables, and the event positions each service
says it computed them at. Everything the documents show comes from this dict, so a
published report (``publish.py``) is this dict frozen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx

__all__ = ["SERVICES", "Get", "HttpGet", "collect", "positions_of"]

# The service each indicator family comes from, and its endpoint.
SERVICES: dict[str, tuple[str, str]] = {
    "workforce": ("registry", "/indicators/workforce"),
    "training": ("training", "/indicators/training"),
    "services": ("matching", "/indicators/services"),
}

Get = Callable[[str, str, dict[str, Any]], Awaitable[Any]]
"""``get(service, path, params)``: the parsed JSON a service answers (raises on an error)."""


class HttpGet:
    """A :data:`Get` over plain HTTP: base URL per service, one API key for all."""

    def __init__(
        self, urls: dict[str, str], api_key: str | None = None, timeout: float = 60
    ) -> None:
        self.urls = {k: v.rstrip("/") for k, v in urls.items()}
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(headers=headers, timeout=timeout)

    async def __call__(self, service: str, path: str, params: dict[str, Any]) -> Any:
        if service not in self.urls:
            raise LookupError(f"no URL for the {service} service")
        clean = {k: v for k, v in params.items() if v is not None}
        resp = await self.client.get(self.urls[service] + path, params=clean)
        if resp.is_error:
            raise LookupError(
                f"{service} {path} answered HTTP {resp.status_code}: {resp.text[:300]}"
            )
        return resp.json()

    async def aclose(self) -> None:
        await self.client.aclose()


def _stable(indicators: dict[str, Any]) -> dict[str, Any]:
    """The answer without what changes from one asking to the next (the clock)."""
    out = dict(indicators)
    as_of = out.get("as_of")
    if isinstance(as_of, dict) and "computed_at" in as_of:
        out["as_of"] = {k: v for k, v in as_of.items() if k != "computed_at"}
    return out


async def _family(get: Get, family: str, year: int, region: str | None, day: date) -> Any:
    service, path = SERVICES[family]
    params = {"year": year, "region": region, "as_of": day.isoformat()}
    return _stable(await get(service, path, params))


async def collect(
    get: Get, year: int, region: str | None = None, as_of: date | None = None
) -> dict[str, Any]:
    """Every figure of the report for ``year`` (as of ``as_of``, default 31 Dec), for the
    city (``region=None``) or one region (a code of the registry's ``/regions``)."""
    day = as_of or date(year, 12, 31)
    if day.year != year:
        raise ValueError(f"--as-of {day} is not a day of {year} / 截至日期 {day} 不在 {year} 年内")
    tree = await get("registry", "/regions", {})
    by_code = {r["code"]: r for r in tree}
    if region is not None and region not in by_code:
        raise ValueError(
            f"unknown region {region!r} (the registry's /regions has no such code)"
            " / 区划树中没有该地区"
        )
    parent = region
    children = sorted(
        (r for r in tree if (r.get("parent") or None) == parent), key=lambda r: r["code"]
    )
    families = list(SERVICES)
    totals = await asyncio.gather(*(_family(get, f, year, region, day) for f in families))
    parts = await asyncio.gather(
        *(_family(get, f, year, c["code"], day) for c in children for f in families)
    )
    units = []
    for i, child in enumerate(children):
        got = parts[i * len(families) : (i + 1) * len(families)]
        units.append(
            {"code": child["code"], "name": child["name"], **dict(zip(families, got, strict=True))}
        )
    figures: dict[str, Any] = {
        "year": year,
        "region": region,
        "region_name": by_code[region]["name"] if region else "全市",
        "as_of_date": day.isoformat(),
        **dict(zip(families, totals, strict=True)),
        "units": units,
    }
    figures["positions"] = positions_of(figures)
    return figures


def positions_of(figures: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per service, the highest position of each producer's events the figures were
    computed at (the registry's census, training's read models, matching's store)."""
    out: dict[str, dict[str, int]] = {}
    for family, (service, _) in SERVICES.items():
        found: dict[str, int] = {}
        answers = [figures[family], *(u[family] for u in figures.get("units", []))]
        for answer in answers:
            for source, pos in _flatten(answer.get("as_of") or {}):
                found[source] = max(found.get(source, 0), pos)
        out[service] = dict(sorted(found.items()))
    return out


def _flatten(as_of: dict[str, Any]) -> list[tuple[str, int]]:
    """``{"positions": {src: n}}`` (registry, matching) or ``{model: {src: n}}`` (training)."""
    pairs: list[tuple[str, int]] = []
    for key, value in as_of.items():
        if isinstance(value, dict):
            pairs += [(s, int(p)) for s, p in value.items() if isinstance(p, int)]
        elif key == "positions" and isinstance(value, int):
            pairs.append((key, value))
    return pairs
