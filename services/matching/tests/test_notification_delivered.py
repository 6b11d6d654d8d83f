"""An order's notification says whether anybody was told (round 16). With no sender
configured — the default — nothing is sent, yet each offer was recorded as
``NotificationSent`` like one a gateway took: the event log said a worker was notified
when nobody was. Now the event says ``delivered: false`` and why, and the outbox row is
``unsent``; with a webhook it says ``delivered: true``. An event of before (schema 1)
reads as not known either way.

Real Redis and database; a real HTTP gateway (``sms_gateway.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shegong.contracts.events import upcast
from shegong.contracts.matching import NotificationSent
from shegong.kernel.testing import eventually
from shegong.matching.adapters.tables import notifications
from shegong.matching.h5.notify import NOT_SENT

from .conftest import COMMUNITY, Matching


async def _offer_event(m: Matching) -> tuple[str, dict[str, Any]]:
    """A volunteer offered an order; the offer's notification event, once written."""
    vol = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    await m.place(service_type="meal_help")

    async def told() -> dict[str, Any] | None:
        feed = (await m.ok("GET", "/events?after=0&limit=1000"))["events"]
        return next(
            (
                e
                for e in feed
                if e["type"] == "NotificationSent" and e["data"]["recipient"] == f"provider:{vol}"
            ),
            None,
        )

    return vol, await eventually(told)


async def _outbox_status(m: Matching, vol: str) -> str:
    async with m.app.state.runtime.engine.connect() as conn:
        return str(
            await conn.scalar(
                select(notifications.c.status).where(notifications.c.recipient == f"provider:{vol}")
            )
        )


async def test_with_no_sender_the_offer_is_recorded_as_not_sent(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url, matching_notify_tick_s=0.1, matching_notifier="none")
    vol, event = await _offer_event(m)
    assert event["schema_version"] == 2
    assert event["data"]["kind"] == "offer_made"
    assert event["data"]["delivered"] is False, event  # it said sent before
    assert event["data"]["reason"] == NOT_SENT and "未配置短信发送" in NOT_SENT
    assert await _outbox_status(m, vol) == "unsent"
    assert m.app.state.notifications.sent_total == 0


async def test_with_a_webhook_the_offer_is_recorded_as_sent(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url, matching_notify_tick_s=0.1)  # the tests' gateway
    assert m.gateway is not None
    vol, event = await _offer_event(m)
    assert event["data"]["delivered"] is True and event["data"]["reason"] is None, event
    assert await _outbox_status(m, vol) == "sent"
    assert any(x.to == f"provider:{vol}" and x.kind == "offer_made" for x in m.gateway.sent)


def test_a_notification_of_schema_1_reads_as_not_known_either_way() -> None:
    data = {
        "notification_id": "7",
        "kind": "offer_made",
        "recipient": "provider:p1",
        "request_id": "r1",
        "attempts": 1,
    }
    event = NotificationSent.model_validate(upcast(NotificationSent, 1, data))
    assert event.delivered is None and event.reason is None and event.kind == "offer_made"
