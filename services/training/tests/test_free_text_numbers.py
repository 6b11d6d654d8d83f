"""A phone or ID number a clerk types into a base's or a session's text stays off the bus.

Probed on ``shegong up`` (round 5): matching cut numbers out of a resident's notes, the
registry now out of a worker's text, but a session titled "岗前培训 联系人王老师
13909310002" (a contact written into the title, as notices are) went onto
``training.events`` whole and to every department's ``/sessions``. A base's name and
region and a session's title and audience now keep three digits of any long number.

Real components: the training node with its keys file, real Redis and a real database.
"""

from __future__ import annotations

from shegong.kernel.testing import RoleKeys, eventually

from .conftest import Node
from .test_access import as_, base, created, keys, node, schedule  # noqa: F401  (fixtures)

PHONE = "13909310002"
ID = "621126197501180351"


async def test_numbers_in_a_bases_and_a_sessions_text_keep_three_digits(
    node: Node,  # noqa: F811
    keys: RoleKeys,  # noqa: F811
) -> None:
    async with as_(node, keys.civil) as civil:
        base_id = await base(civil, f"东关基地 {PHONE}", region=f"安定区/{ID}")
        session = created(
            await schedule(
                civil,
                base_id,
                title=f"岗前培训 联系人王老师{PHONE}",
                audience=f"新入职社工（报名 139-0931-0002，身份证 {ID}）",
            )
        )
    async with as_(node, keys.hrss) as hrss:

        async def listed() -> bool:  # the list is a read model: it follows
            return bool((await hrss.get("/sessions")).json())

        await eventually(listed, timeout=60)
        seen = [
            (await hrss.get(path, params={"limit": 500})).text
            for path in ("/bases", "/sessions", "/events")
        ]
    stored = [e.model_dump_json() for e in await node.runtime.store.read_after(0, 10_000)]
    text = "\n".join([*seen, *stored, str(session)])
    for value in (PHONE, ID, "139-0931-0002"):
        assert value not in text, value
    assert "联系人王老师139***" in text


async def test_a_sessions_skills_keep_three_digits_and_are_bounded(
    node: Node,  # noqa: F811
    keys: RoleKeys,  # noqa: F811
) -> None:
    """Round 8: a session's ``skills`` were plain strings, unbounded in number and length:
    "联系人13909310002" and an ID number went onto ``training.events`` whole."""
    async with as_(node, keys.civil) as civil:
        session = created(await schedule(civil, None, skills=[f"联系人{PHONE}", ID, "个案工作"]))
        too_many = await schedule(civil, None, skills=[f"技能{n}" for n in range(51)])
        too_long = await schedule(civil, None, skills=["个" * 65])
    for refused in (too_many, too_long):
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"].startswith("skills"), refused.text
    stored = [e.model_dump_json() for e in await node.runtime.store.read_after(0, 10_000)]
    text = "\n".join([*stored, str(session)])
    assert PHONE not in text and ID not in text
    assert "联系人139***" in text and "个案工作" in text


async def test_an_id_the_clerk_chooses_is_never_a_persons_number(
    node: Node,  # noqa: F811
    keys: RoleKeys,  # noqa: F811
) -> None:
    """Round 8: ``session_id`` "621126197501180351" and an appraisal's ``period``
    "13909310002" went onto ``training.events`` whole."""
    async with as_(node, keys.civil) as civil:
        for field, value in (("session_id", ID), ("session_id", "139-0931-0002")):
            refused = await schedule(civil, None, **{field: value})
            assert refused.status_code == 422, refused.text
            error = refused.json()["error"]
            assert error["field"] == field and "身份证号或手机号" in error["message_zh"]
            assert value not in refused.text
        refused = await civil.post(
            "/bases", json={"base_id": PHONE, "name": "x", "kind": "培训基地", "tier": "县级"}
        )
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "base_id"
        # ids that only look numeric are ids
        created(await schedule(civil, None, session_id="2026-03-01-01"))
    stored = [e.model_dump_json() for e in await node.runtime.store.read_after(0, 10_000)]
    assert not any(ID in e or PHONE in e for e in stored)
