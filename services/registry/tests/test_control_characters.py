"""Control characters and text-direction overrides in what a caller sends (hostile input).

Probed on PostgreSQL: ``POST /workers`` with ``"name": "张\\u0000三"`` (valid JSON) or a NUL in
the organisation answered 201 and stored the event, and the worker never reached the read
models (PostgreSQL cannot hold a NUL in text): not in ``/workers``, not in the census — an
accepted command lost. A bidi override (U+202E) in a name shows 王abc五 as 王cba五 wherever
it is displayed. Now a JSON body carrying such a character is a 422 naming the field, in
English and Chinese, with nothing stored (every JSON route of every service: the kernel's
``text_guard.py``); a spreadsheet's names lose them (``normalize_name``).

Real components: the registry app on SQLite and PostgreSQL, real Redis, over HTTP.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook

from shegong.kernel.data.names import normalize_name
from shegong.kernel.testing import eventually

from .conftest import Node, StartNode

BAD = [
    ({"name": "张\u0000三"}, "name", "U+0000"),
    ({"name": "张三", "organization": "东关\u0000社区"}, "organization", "U+0000"),
    ({"name": "张三", "region": {"county": "安定\u0007区"}}, "region.county", "U+0007"),
    ({"name": "王\u202eabc\u202c五"}, "name", "U+202E"),
    ({"name": "张三", "record_id": "MZ\u2066-01"}, "record_id", "U+2066"),
    ({"name": "张三", "channel": "x\u0085"}, "channel", "U+0085"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD)
async def test_a_control_character_is_refused_naming_the_field(
    database_url: str, start_node: StartNode, body: dict[str, Any], field: str, code: str
) -> None:
    node: Node = await start_node(database_url)
    before = await node.runtime.store.head()
    r = await node.client.post("/workers", json={**body, "department": "civil-affairs"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert code in error["message"] and code in error["message_zh"]
    assert "control" in error["message"] and "控制" in error["message_zh"]
    assert await node.runtime.store.head() == before, "nothing stored"


async def test_what_is_accepted_reaches_the_read_models(
    database_url: str, start_node: StartNode
) -> None:
    """Tabs and line breaks are text (trimmed as before); an escaped backslash before a
    "u" is not a control character; each accepted worker is then readable."""
    node: Node = await start_node(database_url)
    fine = [
        {"name": "张三", "organization": "东关\t社区\n居委会"},
        {"name": "李四", "organization": "路径 C:\\u0000 不是控制字符"},
    ]
    ids = []
    for body in fine:
        raw = json.dumps({**body, "department": "civil-affairs"})
        r = await node.client.post(
            "/workers", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["worker"]["worker_id"])

    async def readable() -> bool:
        found = [(await node.client.get(f"/workers/{i}")).status_code for i in ids]
        return found == [200] * len(ids)

    await eventually(readable)
    shown = (await node.client.get(f"/workers/{ids[1]}")).json()
    assert shown["organization"] == "路径 C:\\u0000 不是控制字符"


async def test_a_roster_name_loses_its_control_characters(
    database_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(database_url)
    roster = (
        "记录编号,姓名,手机号\n"
        "MZ-01,王\u202eabc\u202c五,13900000001\n"
        "MZ-02,\u2067张三\u2069\u200f,13900000002\n"
    )
    r = await node.client.post(
        "/imports/roster",
        data={"department": "civil-affairs"},
        files={"file": ("roster.csv", roster.encode())},
    )
    assert r.status_code == 200, r.text

    async def names() -> list[str] | None:
        items = (await node.client.get("/workers", params={"limit": 10})).json()["items"]
        return sorted(w["name"] for w in items) if len(items) == 2 else None

    assert await eventually(names) == sorted(["王abc五", "张三"])


@pytest.mark.parametrize(
    ("form", "field", "code"),
    [
        (
            {"department": "newdept", "department_name": "民政\x1b[31m\u202e局"},
            "department_name",
            "U+001B",
        ),
        ({"department": "newdept", "department_name": "民政\x00局"}, "department_name", "U+0000"),
        ({"department": "new\u202edept"}, "department", "U+202E"),
    ],
)
async def test_the_fields_beside_an_upload_are_guarded_too(
    database_url: str, start_node: StartNode, form: dict[str, str], field: str, code: str
) -> None:
    """Redteam round 3: ``department_name`` with an escape sequence and U+202E went onto the
    bus in ``DepartmentRegistered`` (a multipart form was not read by the guard)."""
    node: Node = await start_node(database_url)
    before = await node.runtime.store.head()
    r = await node.client.post(
        "/imports/roster", data=form, files={"file": ("roster.csv", "姓名\n张三\n".encode())}
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field and code in error["message"] and code in error["message_zh"]
    assert await node.runtime.store.head() == before, "nothing stored"


async def test_a_workbook_cell_holding_a_nul_is_stored_without_it(
    database_url: str, start_node: StartNode
) -> None:
    """A workbook writes a NUL as ``_x0000_`` and the reader gave it back: on PostgreSQL the
    row was accepted and its worker never reached the read models."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["记录编号", "姓名", "工作单位", "手机号"])
    sheet.append(["MZ-01", "张三", "东关_x0000_社区", "13900000001"])
    sheet.append(["MZ-02", "李_x0007_四", "红叶\u202e中心", "13900000002"])
    data = io.BytesIO()
    book.save(data)
    node: Node = await start_node(database_url)
    r = await node.client.post(
        "/imports/roster",
        data={"department": "civil-affairs"},
        files={"file": ("roster.xlsx", data.getvalue())},
    )
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2

    async def stored() -> list[tuple[str, str]] | None:
        items = (await node.client.get("/workers", params={"limit": 10})).json()["items"]
        return sorted((w["name"], w["organization"]) for w in items) if len(items) == 2 else None

    assert await eventually(stored) == [("张三", "东关社区"), ("李四", "红叶中心")]


def test_normalize_name_drops_controls_and_direction_marks() -> None:
    assert normalize_name("王\u202eabc\u202c五") == "王abc五"
    assert normalize_name("张\x00三\u200f") == "张三"
    assert normalize_name("John\tSmith") == "John Smith"
