"""A sign-in row whose phone finds nobody — the worker changed numbers, or the sheet was
photographed and typed up with a digit wrong — is found by the name and unit beside it, as
a paper sheet's row is; namesakes that unit does not tell apart are left for a clerk
(refused naming the row and field, in both languages), never guessed. A department's
sheet gets the same answer whether the phone is another department's worker's or
nobody's: only its own workers are looked at either way."""

from __future__ import annotations

from typing import Any

from .conftest import Node
from .test_lookup_oracle import THEIR_PHONE, answers, as_, hrss_worker, keys, node  # noqa: F401
from .test_signin_by_name import attended, sign_in

NOBODYS_PHONE = "13512345678"


async def test_a_phone_that_finds_nobody_falls_back_to_the_name_and_unit(training: Node) -> None:
    feed = training.feed
    huang = feed.register("黄晓明", phone="13909310021", organization="东关社区居委会")
    zhang_xy = feed.register("张伟", phone="13909310012", organization="西岩社区居委会")
    feed.register("张伟", phone="13909310011", organization="东关社区居委会")
    feed.register("王芳", phone="13909310013", organization="红叶社会工作服务中心")
    feed.register("王芳", phone="13909310014", organization="红叶社会工作服务中心")
    await training.sync()

    sid, report = await sign_in(
        training,
        "姓名,手机号码,工作单位,签到时间\n"
        f"黄晓明,{NOBODYS_PHONE},东关社区居委会,2025-03-01 09:00\n"  # 2: a changed number
        "张伟,13909301012,西岩社区,2025-03-01 09:01\n"  # 3: two digits swapped typing it up
        "王芳,13512345679,红叶社会工作服务中心,2025-03-01 09:02\n"  # 4: namesakes, one unit
        "刘备,13512345670,东关社区居委会,2025-03-01 09:03\n",  # 5: nobody of that name
    )
    assert await attended(training, sid) == {huang, zhang_xy}, report
    refused = answers(report)
    assert sorted(refused) == [4, 5], report
    field, reason, reason_zh = refused[4]
    assert field == "name" and "phone" in reason and "several registered persons" in reason
    assert "手机号" in reason_zh and "同名" in reason_zh
    field, reason, reason_zh = refused[5]
    assert field == "name" and "nobody of this name" in reason and "查无此人" in reason_zh


async def test_the_fallback_answers_alike_whoever_holds_the_phone(
    node: Node,  # noqa: F811
    keys: Any,  # noqa: F811
) -> None:
    mine = node.feed.register("张伟", phone="13909310005", organization="东关社区居委会")
    hrss_worker(node)  # 陈建国 of hrss holds THEIR_PHONE
    await node.sync()
    outcomes = []
    async with as_(node, keys.civil) as civil:
        for phone in (THEIR_PHONE, NOBODYS_PHONE):
            body = {"kind": "专题讲座", "title": "讲座", "held_on": "2025-03-01", "hours": 2}
            session = await civil.post("/sessions", json=body)
            assert session.status_code in (200, 201), session.text
            sid = session.json()["session"]["session_id"]
            sheet = (
                "姓名,手机号,工作单位,签到时间\n"
                f"张伟,{phone},东关社区,2025-03-01 08:55\n"  # our worker by name and unit
                f"陈建国,{phone},红叶社会工作服务中心,2025-03-01 08:56\n"  # theirs by name
            )
            files = {"file": ("签到表.csv", sheet.encode(), "text/csv")}
            resp = await civil.post(f"/sessions/{sid}/signin-sheet", files=files)
            assert resp.status_code in (200, 201), resp.text
            report = resp.json()
            outcomes.append((report["recorded"], answers(report)))
            await node.sync_own()
            detail = (await civil.get(f"/sessions/{sid}")).json()
            assert [a["worker_id"] for a in detail["attendance"]] == [mine]
    assert outcomes[0] == outcomes[1], outcomes
    recorded, refused = outcomes[0]
    assert recorded == 1 and list(refused) == [3]
    _field, reason, reason_zh = refused[3]
    assert "your department" in reason and "本部门" in reason_zh
    assert "hrss" not in reason + reason_zh
