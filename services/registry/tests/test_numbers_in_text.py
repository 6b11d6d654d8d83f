"""A phone or ID number typed into a worker's text fields stays off the bus and out of
every department's view.

Probed on ``shegong up`` (round 5): a roster row shifted by one column — the ID number
under 工作单位, the phone under 村(社区) or after the name — was stored as typed: the
``WorkerRegistered`` event on ``registry.events`` carried ``organization:
"621126197501180351"``, and ``civil-affairs`` read it whole on ``/workers`` and in the
census. The vault and the masks were never involved. Now the worker keeps the first three
digits of any long number in its name, organization, recruitment channel, region and
departure reason (as matching keeps a resident's notes), whichever way it arrives — a
roster, ``POST``/``PATCH /workers``, a departure — and the import names the row and
field, in both languages. A 记录编号 that is an ID number or a phone (a department keying
its rows by them) named the census person ``hrss:621126198001010019`` for everyone; such
a record is now named by its worker id (the department's own key stays for re-imports),
and ``POST /workers`` refuses it (422, ``record_id``).

Real components: the city's registry with the census, its keys file, real Redis and
SQLite, over HTTP.
"""

from __future__ import annotations

from redis.asyncio import Redis

from shegong.kernel.testing import RoleKeys, eventually

from .conftest import StartNode, as_
from .test_census import import_roster, roster, settled

ID = "621126197501180351"
PHONE = "13909310002"
KEYED = "621126198001010019"  # a department that keys its rows by the ID number
RAW = [ID, KEYED, PHONE, "139-0931-0002", "139 0931 0002", ID[:17], "13909310003"]


async def test_numbers_typed_into_text_fields_keep_three_digits(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys, redis: Redis, stream_prefix: str
) -> None:
    city = await start_node(
        sqlite_url, census=True, registry_census_process=False, api_keys_file=str(keys.file.path)
    )
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(
            hrss,
            "hrss",
            roster(
                [
                    # One column off: the ID number under 工作单位, the phone in the community.
                    {"记录编号": "X1", "姓名": "李四", "工作单位": ID,
                     "社区村": "139-0931-0002 东关社区"},
                    {"记录编号": "X2", "姓名": f"王五 {PHONE}", "工作单位": "东关社区居委会"},
                    {"记录编号": KEYED, "姓名": "孙八", "身份证号": KEYED},
                ]
            ),
        )  # fmt: skip
        # A new department named with a phone in its name (round 8: onto the bus whole).
        async with as_(city, keys.admin) as admin:
            named = await admin.post(
                "/imports/roster",
                files={"file": ("x.csv", roster([{"记录编号": "N1", "姓名": "钱七"}]), "text/csv")},
                data={"department": "new-dept", "department_name": f"新部门{PHONE}"},
            )
            assert named.status_code == 200, named.text
        resp = await hrss.post("/workers", json={"name": "赵六", "record_id": PHONE})
        assert resp.status_code == 422 and resp.json()["error"]["field"] == "record_id"
        resp = await hrss.post(
            "/workers", json={"name": "赵六", "organization": f"身份证{ID}", "channel": PHONE}
        )
        assert resp.status_code == 201, resp.text
        worker = resp.json()["worker"]["worker_id"]
        resp = await hrss.patch(
            f"/workers/{worker}",
            json={"organization": "139 0931 0002", "region": {"community": ID}},
        )
        assert resp.status_code == 200, resp.text
        resp = await hrss.post(
            f"/workers/{worker}/departure",
            json={"left_on": "2024-01-02", "reason": "调往 13909310003 处"},
        )
        assert resp.status_code in (200, 201), resp.text
        await settled(service)

    shown = []
    async with as_(city, keys.civil) as civil:

        async def projected() -> bool:  # the worker list is a read model: it follows
            resp = await civil.get(f"/workers/{worker}")
            return resp.status_code == 200 and resp.json()["left_on"] is not None

        await eventually(projected, timeout=60)
        for path, params in (
            ("/workers", {"limit": 1000}),
            (f"/workers/{worker}", {}),
            ("/events", {"limit": 5000}),
            ("/census/persons", {"limit": 500}),
            ("/census/export", {"format": "csv"}),
            ("/census/quality", {}),
        ):
            resp = await civil.get(path, params=params)
            assert resp.status_code == 200, (path, resp.text)
            shown.append(resp.text)
    async with as_(city, keys.service) as service:
        head = (await service.get("/events", params={"limit": 1})).json()["head"]
    stream = stream_prefix + "registry.events"

    async def relayed() -> bool:
        return bool(await redis.xlen(stream) >= head)

    await eventually(relayed, timeout=60)
    wire = [f"{k!r}={v!r}" for _, fields in await redis.xrange(stream) for k, v in fields.items()]
    text = "\n".join(shown + wire)
    for value in RAW:
        assert value not in text, value
    assert "139***" in text and "621***" in text  # what is kept: three digits
    # The clerk is told which cells, by row and field.
    cut = {(w["row"], w["warning"].split(":")[0]) for w in report["warnings"]}
    assert cut == {(2, "organization"), (2, "community"), (3, "name"), (4, "record_id")}
    said = {w["warning"].split(":")[0]: w["warning"] for w in report["warnings"]}
    assert "只保留前三位" in said["organization"] and "系统编号" in said["record_id"]
