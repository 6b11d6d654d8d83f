"""Each hours-ledger entry carries its own delivery's follow-up (回访): rating and day
(``hours_ledger.satisfaction``, ``hours_ledger.followed_up_on``), instead of the export
joining every entry of an order to the order's latest rating. A reopen clears the
order's ``followed_up_on``: the next delivery is not followed up yet.

The backfill reads matching's own event store: in each order's stream, a
``FollowUpRecorded`` rates the delivery (``DeliveryFinished``) before it, and the n-th
delivery is the order's n-th ledger entry.

Revision ID: matching_0004
Revises: matching_0003
Create Date: 2026-12-02 04:40:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0004"
down_revision: str | Sequence[str] | None = "matching_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hours_ledger") as batch:
        batch.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("followed_up_on", sa.Date(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    if not sa.inspect(conn).has_table("events"):
        return  # a new database (the kernel's tables come next): no history to read
    events = sa.table(
        "events",
        sa.column("stream_id", sa.String),
        sa.column("version", sa.Integer),
        sa.column("type", sa.String),
        sa.column("data", sa.JSON),
    )
    ledger = sa.table(
        "hours_ledger",
        sa.column("entry", sa.Integer),
        sa.column("request_id", sa.String),
        sa.column("satisfaction", sa.Integer),
        sa.column("followed_up_on", sa.Date),
    )
    requests = sa.table(
        "requests",
        sa.column("request_id", sa.String),
        sa.column("status", sa.String),
        sa.column("reopened", sa.Integer),
        sa.column("followed_up_on", sa.Date),
    )
    rows = list(
        conn.execute(
            sa.select(events.c.stream_id, events.c.type, events.c.data)
            .where(events.c.type.in_(("DeliveryFinished", "FollowUpRecorded")))
            .order_by(events.c.stream_id, events.c.version)
        )
    )
    # request → [(satisfaction, day) or None per delivery, in order]
    deliveries: dict[str, list[tuple[int, date] | None]] = {}
    for stream_id, kind, data in rows:
        body: dict[str, Any] = json.loads(data) if isinstance(data, str) else data
        mine = deliveries.setdefault(stream_id, [])
        if kind == "DeliveryFinished":
            mine.append(None)
        elif mine:
            mine[-1] = (int(body["satisfaction"]), date.fromisoformat(body["followed_up_on"]))
    for request_id, rated in deliveries.items():
        entries = list(
            conn.execute(
                sa.select(ledger.c.entry)
                .where(ledger.c.request_id == request_id)
                .order_by(ledger.c.entry)
            ).scalars()
        )
        for entry, follow_up in zip(entries, rated, strict=False):
            if follow_up is not None:
                conn.execute(
                    sa.update(ledger)
                    .where(ledger.c.entry == entry)
                    .values(satisfaction=follow_up[0], followed_up_on=follow_up[1])
                )
    conn.execute(
        sa.update(requests)
        .where((requests.c.reopened > 0) & (requests.c.status != "followed_up"))
        .values(followed_up_on=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("hours_ledger") as batch:
        batch.drop_column("followed_up_on")
        batch.drop_column("satisfaction")
