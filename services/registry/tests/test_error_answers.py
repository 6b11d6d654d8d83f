"""Every refusal a probe provokes on the registry's reads is the platform's error — code,
field, English and Chinese — never FastAPI's bare ``{"detail": "…"}`` in English (round 8,
probed on ``shegong up``: an unknown worker or census person, a half-given coverage pair,
an unknown region, a day outside the year). Nor does it echo the caller's text whole:
``/workers/‮…`` came back with its bidi override in the message."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx

from shegong.kernel.testing import RoleKeys

from .conftest import StartNode, as_

CJK = re.compile(r"[\u4e00-\u9fff]")


def platform_error(resp: httpx.Response, status: int, field: str) -> dict[str, str]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert "detail" not in body or isinstance(body["detail"], list), body
    error: dict[str, str] = body["error"]
    assert error["field"] == field, error
    assert error["code"] and error["message"] and CJK.search(error["message_zh"]), error
    assert "\u202e" not in resp.text and "\\u202e" not in resp.text
    return error


async def test_a_registry_read_refused_is_the_platforms_error_in_both_languages(
    sqlite_url: str, start_node: StartNode, tmp_path: object
) -> None:
    keys = RoleKeys(tmp_path / "api-keys.json")  # type: ignore[operator]
    node = await start_node(sqlite_url, census=True, api_keys_file=str(keys.file.path))
    odd = quote("x\u202ey")
    async with as_(node, keys.civil) as civil:
        platform_error(await civil.get(f"/workers/{odd}"), 404, "worker_id")
        platform_error(await civil.get(f"/census/persons/{odd}"), 404, "person_id")
        platform_error(await civil.get("/census/coverage", params={"a": "hrss"}), 422, "b")
        platform_error(await civil.get("/census/coverage", params={"b": "hrss"}), 422, "a")
        platform_error(
            await civil.get("/census/coverage", params={"a": "nobody", "b": "hrss"}), 404, "a"
        )
        indicators = "/indicators/workforce"
        day = {"year": 2024, "as_of": "2023-06-30"}
        platform_error(await civil.get(indicators, params=day), 422, "as_of")
        region = {"year": 2024, "region": "x\u202ey"}
        platform_error(await civil.get(indicators, params=region), 404, "region")


async def test_the_frameworks_own_refusals_are_the_platforms_error_too(
    sqlite_url: str, start_node: StartNode, tmp_path: object
) -> None:
    """Round 9: an unknown route, a wrong method and a multipart body the form parser
    cannot read were FastAPI's English ``{"detail": "Not Found"}``, "Method Not Allowed",
    "Missing boundary in multipart." — to every key and to no key at all."""
    keys = RoleKeys(tmp_path / "api-keys.json")  # type: ignore[operator]
    node = await start_node(sqlite_url, api_keys_file=str(keys.file.path))
    async with as_(node, keys.civil) as civil:
        error = platform_error(await civil.get("/no-such-route/\u202e"), 404, None)  # type: ignore[arg-type]
        assert error["code"] == "not_found"
        wrong = await civil.delete("/workers")
        assert platform_error(wrong, 405, None)["code"] == "method_not_allowed"  # type: ignore[arg-type]
        assert wrong.headers["allow"]  # kept from the framework
        for body, kind in (
            (b"abc", "multipart/form-data"),
            (b"a=1", "multipart/form-data; boundary=x"),
        ):
            sent = await civil.post("/imports/roster", content=body, headers={"Content-Type": kind})
            platform_error(sent, 400, "body")
    async with as_(node, None) as anon:
        platform_error(await anon.get("/no-such-route"), 404, None)  # type: ignore[arg-type]
        # A trailing slash was a 307 to the request's own Host: a redirect anywhere.
        for path in ("/workers/", "/health/"):
            slash = await anon.get(path, headers={"Host": "evil.example"})
            assert slash.status_code in (401, 404) and "location" not in slash.headers, path
