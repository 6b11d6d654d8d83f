"""Values at the end of their range no longer end training's reports or lose a session
(round 10).

Probed on ``shegong up``: a department key registered a worker hired on 9999-12-31 (the
registry took any date a JSON body carried), and from then on training's pre-job
obligations — the hiring day plus the window — overflowed: ``/obligations/prejob/overdue``
and ``/indicators/training`` answered 500 to every caller, the console's training pages
and the annual report with them. Commands now take days of 1900–2100 only (the kernel's
``days.Day``); a far day stored before is read without failing.

A session's ``capacity`` had no upper bound: 10**30 (or 3,000,000,000, past PostgreSQL's
INTEGER) was taken, 201 with its event, and the read model could not hold it — the
session went to the dead letters and was never shown (``GET /sessions/{id}`` 404). Now
at most 100,000, a 422 naming ``capacity``.

Real components: the training app on SQLite and PostgreSQL, real Redis, over HTTP.
"""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import Node


@pytest.mark.parametrize("hired_on", [date(9999, 12, 31), date(1, 1, 1)])
async def test_a_worker_hired_at_the_end_of_the_calendar_leaves_the_reports_answering(
    training: Node, hired_on: date
) -> None:
    training.feed.register("张伟", hired_on=hired_on, registered_on=date(2025, 1, 1))
    training.feed.register("王芳", hired_on=date(2025, 6, 1), registered_on=date(2025, 1, 1))
    await training.sync()
    overdue = await training.client.get(
        "/obligations/prejob/overdue", params={"as_of": "2026-01-01"}
    )
    assert overdue.status_code == 200, overdue.text[:300]
    shown = [w["name"] for g in overdue.json()["groups"] for w in g["workers"]]
    assert "王芳" in shown, shown
    indicators = await training.client.get("/indicators/training", params={"year": 2025})
    assert indicators.status_code == 200, indicators.text[:300]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/sessions",
            {"kind": "岗前培训", "title": "t", "held_on": "9999-12-31", "hours": 2},
            "held_on",
        ),
        (
            "/sessions",
            {"kind": "岗前培训", "title": "t", "held_on": "0001-01-01", "hours": 2},
            "held_on",
        ),
    ],
)
async def test_a_command_takes_days_of_1900_to_2100_only(
    training: Node, path: str, body: dict[str, object], field: str
) -> None:
    before = await training.runtime.store.head()
    r = await training.client.post(path, json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert "1900-01-01" in error["message"] and "2100-12-31" in error["message"]
    assert "日期不合理" in error["message_zh"] and "2100-12-31" in error["message_zh"]
    assert await training.runtime.store.head() == before, "nothing stored"


@pytest.mark.parametrize("capacity", [10**30, 3_000_000_000])
async def test_a_sessions_capacity_is_one_the_read_models_can_hold(
    training: Node, capacity: int
) -> None:
    before = await training.runtime.store.head()
    body = {"kind": "岗前培训", "title": "t", "held_on": "2025-05-01", "hours": 2}
    r = await training.client.post("/sessions", json={**body, "capacity": capacity})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "capacity" and error["message_zh"].startswith("capacity：")
    assert await training.runtime.store.head() == before, "nothing stored"
    made = await training.ok("POST", "/sessions", json={**body, "capacity": 100_000})
    await training.sync_own()
    shown = await training.ok("GET", f"/sessions/{made['session']['session_id']}")
    assert shown["capacity"] == 100_000


@pytest.mark.parametrize("session_id", ["../../x", "a/b", "..", "a\\b"])
async def test_a_sessions_id_is_one_its_address_can_carry(training: Node, session_id: str) -> None:
    """Round 10: ``session_id`` "../../x" or "a/b" was taken (201), and no URL reached the
    session again (``/sessions/a%2Fb`` is ``/sessions/a/b`` to the router): counted among
    the year's sessions, never enrolled, signed in, completed or shown."""
    before = await training.runtime.store.head()
    body = {"kind": "岗前培训", "title": "t", "held_on": "2025-05-01", "hours": 2}
    r = await training.client.post("/sessions", json={**body, "session_id": session_id})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "session_id" and "网址" in error["message_zh"]
    assert await training.runtime.store.head() == before, "nothing stored"
    made = await training.ok("POST", "/sessions", json={**body, "session_id": "2025-岗前-01"})
    assert made["session"]["session_id"] == "2025-岗前-01"
    await training.sync_own()
    assert (await training.client.get("/sessions/2025-岗前-01")).status_code == 200
