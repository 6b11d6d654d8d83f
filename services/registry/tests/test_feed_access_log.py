"""The access log is the administrator's and the auditors' — on the feed too (round 6,
probed on ``shegong up``).

``GET /audit/access`` is refused to every key but ``admin`` and ``auditor``, yet the same
records are events in the service's store, and ``GET /events`` served them to any key: a
department read which workers another department opened in full
(``PersonalDataViewed``), what it searched for (``/census/persons?q=<a name>``,
``/workers?name=…``), its refusals and every key issued. Now the feed gives a caller
other than ``admin``, ``auditor`` and ``service`` (the platform's own consumers) no
access record — and still a cursor that moves past them.
"""

from __future__ import annotations

from urllib.parse import quote

from shegong.kernel.testing import RoleKeys

from .conftest import Node, as_

AUDIT = {"AccessRecorded", "ApiKeyIssued", "ApiKeyRevoked", "PersonalDataViewed"}


async def test_the_feed_gives_the_access_log_only_to_who_may_read_it(
    node: Node, keys: RoleKeys
) -> None:
    async with (
        as_(node, keys.civil) as civil,
        as_(node, keys.hrss) as hrss,
        as_(node, keys.admin) as admin,
        as_(node, keys.auditor) as auditor,
        as_(node, keys.service) as service,
    ):
        body = {
            "name": "马晓燕",
            "id_number": "440304199503150022",
            "phone": "13912345678",
            "post": "社区工作者",
            "hired_on": "2021-03-01",
        }
        resp = await civil.post("/workers", json=body)
        assert resp.status_code in (200, 201), resp.text
        worker = resp.json()["worker"] if "worker" in resp.json() else resp.json()
        # civil-affairs looks up a name and opens its worker in full: both recorded.
        assert (await civil.get(f"/workers?name={quote('马晓燕')}")).status_code == 200
        seen = await civil.get(f"/workers/{worker['worker_id']}/personal-data")
        assert seen.status_code == 200, seen.text
        assert (await hrss.get("/audit/access")).status_code == 403

        def types(page: dict) -> set[str]:  # type: ignore[type-arg]
            return {e["type"] for e in page["events"]}

        theirs = (await hrss.get("/events", params={"limit": 5000})).json()
        assert not types(theirs) & AUDIT, types(theirs)
        assert "马晓燕" in str(theirs)  # the records themselves are still there
        assert quote("马晓燕").lower() not in str(theirs).lower()
        # the cursor still passes the records it did not show
        assert theirs["next_after"] == theirs["head"]
        assert types((await civil.get("/events", params={"limit": 5000})).json()) & AUDIT == set()
        for reader in (admin, auditor, service):
            page = (await reader.get("/events", params={"limit": 5000})).json()
            assert {"AccessRecorded", "PersonalDataViewed"} <= types(page), types(page)
