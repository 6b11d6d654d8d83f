"""Names and text that show nothing, and days off the calendar people live on (round 10).

Probed on ``shegong up`` with a department key: ``POST /workers`` took a name of one
zero-width space (201; stored as the empty name its normalisation left), of U+2800 BRAILLE
PATTERN BLANK, of Hangul fillers (U+3164, U+115F) and of combining marks alone, and
``马晓燕`` + U+2800 was listed beside the real 马晓燕 with nothing a clerk sees to tell them
apart (matching made each a provider: blank lines and a double among an order's
candidates). A worker hired on 9999-12-31 was taken too, and ended training's reports for
everyone (``services/training/tests/test_far_dates.py``).

Now invisible characters are dropped from what is typed, a value with nothing left to see
is a 422 naming the field in both languages (``kernel/data/visible.py``), a roster row
whose name shows nothing is refused as a row without a name, and a command's days are
1900–2100 (``kernel/data/days.py``).

Real components: the registry app on SQLite and PostgreSQL, real Redis, over HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest

from shegong.kernel.testing import eventually

from .conftest import Node, StartNode

BLANK = ["\u200b", "\u2800", "\u3164\u3164", "\u115f", "\u0301\u0301", "\u00ad", "\U000e0041"]


@pytest.mark.parametrize("name", BLANK)
async def test_a_name_that_shows_nothing_is_refused(
    database_url: str, start_node: StartNode, name: str
) -> None:
    node: Node = await start_node(database_url)
    before = await node.runtime.store.head()
    r = await node.client.post("/workers", json={"name": name, "department": "civil-affairs"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "name"
    assert "shows" in error["message"] and "可显示" in error["message_zh"]
    assert name not in r.text
    assert await node.runtime.store.head() == before, "nothing stored"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "张三", "organization": "\u2800"}, "organization"),
        ({"name": "张三", "hired_on": "9999-12-31"}, "hired_on"),
        ({"name": "张三", "birth_date": "0001-01-01"}, "birth_date"),
    ],
)
async def test_other_fields_are_held_to_the_same(
    database_url: str, start_node: StartNode, body: dict[str, Any], field: str
) -> None:
    node: Node = await start_node(database_url)
    r = await node.client.post("/workers", json={**body, "department": "civil-affairs"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field and error["message_zh"].startswith(f"{field}：")


async def test_a_look_alike_name_is_stored_as_the_name_it_shows(
    database_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(database_url)
    r = await node.client.post(
        "/workers",
        json={
            "name": "马晓燕\u2800",
            "organization": "东关\u200b社区\ufe0f",
            "department": "civil-affairs",
        },
    )
    assert r.status_code == 201, r.text
    worker = r.json()["worker"]
    assert worker["name"] == "马晓燕"
    assert worker["organization"] == "东关社区"
    wid = worker["worker_id"]
    r = await node.client.patch(f"/workers/{wid}", json={"name": "\u200b\u200c"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "name", r.text


async def imported(node: Node, roster: str) -> Any:
    """The report of ``roster`` imported as civil-affairs's."""
    r = await node.client.post(
        "/imports/roster",
        data={"department": "civil-affairs"},
        files={"file": ("roster.csv", roster.encode())},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_roster_row_whose_name_shows_nothing_is_a_row_without_a_name(
    database_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(database_url)
    roster = "记录编号,姓名\nMZ-01,\u2800\nMZ-02,\u3164\nMZ-03,\u0301\nMZ-04,张三\u200b\n"
    report = await imported(node, roster)
    # A combining mark alone is a name without a letter (refused); since round 11 the sheet
    # reader drops what shows nothing from every cell, so a cell of U+2800 or U+3164 is an
    # empty one and the row a numbered line left blank (listed, as form lines are).
    assert [row["row"] for row in report["rejected"]] == [4], report
    assert sorted(row["row"] for row in report["skipped_lines"]) == [2, 3], report

    async def names() -> list[str] | None:
        items = (await node.client.get("/workers", params={"limit": 10})).json()["items"]
        return [w["name"] for w in items] if items else None

    assert await eventually(names) == ["张三"]


async def test_a_department_name_that_shows_nothing_is_refused(
    database_url: str, start_node: StartNode
) -> None:
    """A roster's ``department_name`` of U+2800 or U+200B created a department named blank
    (``DepartmentRegistered``), shown so wherever departments are listed."""
    node: Node = await start_node(database_url)
    before = await node.runtime.store.head()
    for blank in ("\u2800", "\u200b\u200b"):
        r = await node.client.post(
            "/imports/roster",
            data={"department": "newdept", "department_name": blank},
            files={"file": ("roster.csv", "姓名\n张三\n".encode())},
        )
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["field"] == "department_name" and "可显示" in error["message_zh"]
    assert await node.runtime.store.head() == before, "nothing stored"


async def test_a_sheets_cells_lose_what_shows_nothing_headers_and_units_too(
    database_url: str, start_node: StartNode
) -> None:
    """Round 11, on ``shegong up``: a roster's unit ``红叶社工站`` with a U+200B inside and a
    community ``东关社区`` with a U+2800 were stored so — a second unit and a second
    community beside the real ones, told apart by nothing a clerk sees — and a header
    ``手机号码`` with a U+2060 inside was left unread (``ignored_columns``), the phones
    with it. The sheet reader drops them from every cell, as names lost them."""
    node: Node = await start_node(database_url)
    roster = (
        "记录编号,姓名,手机\u2060号码,工作单位,村(社区)\n"
        "ZW-01,赵六,13909310077,红叶社工\u200b站,东关\u2800社区\n"
        "ZW-02,钱七,13909310078,红叶社工站\ufeff,\u00ad东关社区\n"
    )
    report = await imported(node, roster)
    assert report["ignored_columns"] == [], report

    async def workers() -> list[Any] | None:
        items = (await node.client.get("/workers", params={"limit": 10})).json()["items"]
        return items if len(items) == 2 else None

    found = await eventually(workers)
    assert {(w["organization"], w["community"]) for w in found} == {("红叶社工站", "东关社区")}
    assert {w["phone_masked"] for w in found} == {"139****0077", "139****0078"}
