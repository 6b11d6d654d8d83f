"""The region tree over HTTP: import → RegionDefined events → the regions read model."""

from __future__ import annotations

from typing import Any

from shegong.kernel.testing import eventually

REGIONS = (
    "区县,乡镇街道,社区村,城镇常住人口\n"
    '安定区,,,"210,000"\n'
    "安定区,永定路街道,东关社区,1.2万\n"
    "安定区,中华路街道,西岩社区,8000\n"
    "岷县,岷阳镇,,-5\n"
)


async def upload(client: Any, text: str, encoding: str = "utf-8") -> dict[str, Any]:
    resp = await client.post(
        "/imports/regions", files={"file": ("regions.csv", text.encode(encoding))}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def event_types(client: Any) -> list[str]:
    return [
        e["type"] for e in (await client.get("/events", params={"limit": 5000})).json()["events"]
    ]


async def test_region_tree_imports_once_and_reaches_the_read_model(registry) -> None:
    c = registry.client
    report = await upload(c, REGIONS, "gbk")
    # 安定区, its two townships (implied), its two communities; the 岷县 row is refused.
    assert (report["nodes"], report["new"], report["events"]) == (5, 5, 5)
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(5, "urban_population")]
    assert await event_types(c) == ["RegionDefined"] * 5

    async def tree() -> list[dict[str, Any]]:
        rows = (await c.get("/regions")).json()
        return rows if len(rows) == 5 else []

    rows = {r["code"]: r for r in await eventually(tree)}
    assert rows["安定区"]["urban_population"] == 210_000 and rows["安定区"]["parent"] is None
    east = rows["安定区/永定路街道/东关社区"]
    assert (east["level"], east["parent"], east["urban_population"]) == (
        "community",
        "安定区/永定路街道",
        12_000,
    )
    assert rows["安定区/永定路街道"]["urban_population"] is None  # only implied
    children = (await c.get("/regions", params={"parent": "安定区"})).json()
    assert [r["name"] for r in children] == ["中华路街道", "永定路街道"]

    again = await upload(c, REGIONS)
    assert (again["new"], again["changed"], again["unchanged"], again["events"]) == (0, 0, 5, 0)


async def test_a_corrected_population_is_one_event_and_blank_never_erases(registry) -> None:
    c = registry.client
    await upload(c, REGIONS)
    corrected = REGIONS.replace("8000", "8500").replace('"210,000"', "")
    report = await upload(c, corrected)
    assert (report["changed"], report["events"]) == (1, 1)  # 西岩社区 only: blank keeps 210,000

    async def west() -> int | None:
        rows = {r["code"]: r for r in (await c.get("/regions")).json()}
        row = rows.get("安定区/中华路街道/西岩社区")
        return row["urban_population"] if row and row["urban_population"] == 8500 else None

    assert await eventually(west) == 8500
    rows = {r["code"]: r for r in (await c.get("/regions")).json()}
    assert rows["安定区"]["urban_population"] == 210_000


async def test_a_file_that_is_not_a_region_table_is_refused_whole(registry) -> None:
    c = registry.client
    head = (await c.get("/events")).json()["head"]
    resp = await c.post(
        "/imports/regions", files={"file": ("x.csv", "姓名,电话\n张三,1\n".encode())}
    )
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "file"
    assert (await c.get("/events")).json()["head"] == head
