"""Matching's own tables, written in the same transaction as the events they follow.

- ``providers``: volunteers, teams and organisations registered here (social workers
  live in the ``mx_workers`` read model, fed by the registry's stream);
- ``provider_state``: every provider as a candidate — kind, place, certificate,
  capacity, open assignments, availability, record (completed orders, satisfaction) and
  the order-independent part of the score; the capacity guard lives here;
- ``requests``: the current state of each order, for queries and indicators;
- ``deadlines``: durable timers (epoch seconds), so escalation survives restarts;
- ``hours_ledger``: service hours (服务时长), one entry per delivery, appended when it
  finishes; its follow-up (rating, day) is written on the entry when given;
- ``programmes`` / ``check_ins``; ``needs``: the needs register (需求台账);
- ``notifications``: the outbox of messages to people (offer made, order escalated,
  follow-up overdue), written with the change they tell of and sent by one leader with
  retries (``application/notifications.py``); recipients are keyed references only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    or_,
)

metadata = MetaData()

providers = Table(
    "providers",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("region", String(200), nullable=False, index=True),
    Column("organisation", String(128)),
    Column("skills", JSON, nullable=False),
    Column("supervised", Boolean, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

provider_state = Table(
    "provider_state",
    metadata,
    # Who: identity and place, copied in from ``providers`` or the registry's stream.
    Column("provider_id", String(64), primary_key=True),
    Column("kind", String(32)),
    Column("name", String(128)),
    Column("region", String(200)),
    Column("district", String(64)),
    Column("street", String(200)),
    Column("community", String(200)),
    Column("organisation", String(128)),
    Column("certificate_rank", Integer, nullable=False, default=0),
    Column("left_on", Date),
    # How much: capacity, load and record.
    Column("capacity", Integer, nullable=False),
    Column("open_assignments", Integer, nullable=False, default=0),
    Column("available", Boolean, nullable=False, default=True),
    Column("skills", JSON),  # registered or overriding skills (workers add training's)
    Column("supervised", Boolean),
    Column("completed", Integer, nullable=False, default=0),
    Column("satisfaction_sum", Integer, nullable=False, default=0),
    Column("satisfaction_n", Integer, nullable=False, default=0),
    # The order-independent part of the score (load, satisfaction, fairness): ranking
    # walks each region tier best-first on it and stops when nobody left can win.
    Column("static_score", Float, nullable=False, default=0.0),
    Index("ix_provider_state_community", "community", "static_score"),
    Index("ix_provider_state_street", "street", "static_score"),
    Index("ix_provider_state_district", "district", "static_score"),
)

requests = Table(
    "requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("community", String(200), nullable=False, index=True),
    Column("target_group", String(16), nullable=False),
    Column("service_type", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("notes", Text),
    Column("window_start", DateTime(timezone=True)),
    Column("window_end", DateTime(timezone=True)),
    Column("resident_phone_masked", String(32)),
    Column("resident_address_masked", String(64)),
    Column("offered", JSON, nullable=False),
    Column("declined", JSON, nullable=False),
    Column("provider_id", String(64), index=True),
    Column("provider_kind", String(32)),
    Column("assigned_by", String(64)),
    Column("level", String(16)),
    Column("max_level", String(16)),
    Column("placed_ts", Float, nullable=False),
    Column("placed_year", Integer, nullable=False, index=True),
    Column("accept_by_ts", Float),
    Column("first_accepted_ts", Float),
    Column("accepted_ts", Float),
    Column("finished_ts", Float),
    Column("hours", Float),
    Column("follow_up_by", Date),
    Column("followed_up_on", Date),
    Column("satisfaction", Integer),
    Column("reopened", Integer, nullable=False, default=0),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("due_ts", Float, nullable=False, index=True),
    Column("level", String(16)),  # the level whose response is due; null: acceptance
)

resident_data = Table(
    "resident_data",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("phone", String(20)),
    Column("phone_hash", String(64), index=True),
    Column("address", String(200)),
    # Set when the values were deleted (matching_0006): ``retention`` or ``erasure``;
    # the phone's keyed hash stays, the only reference kept.
    Column("purged_at", DateTime(timezone=True)),
    Column("purge_reason", String(16)),
)

# The volunteers' national volunteer numbers (志愿者编号, matching_0007): raw here only;
# the bus carries the keyed hash and the masked form.
volunteer_numbers = Table(
    "volunteer_numbers",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("number", String(64), nullable=False),
    Column("number_hash", String(64), nullable=False, index=True),
    Column("number_masked", String(64), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# A provider's mobile links withdrawn (WorkerLinkRevoked): every link issued at or before
# ``revoked_at`` opens nothing.
worker_links = Table(
    "worker_links",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
)

hours_ledger = Table(
    "hours_ledger",
    metadata,
    Column("entry", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), index=True),
    Column("programme_id", String(64)),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("provider_kind", String(32), nullable=False),
    Column("person", String(128), nullable=False),
    Column("team", String(128)),
    Column("organisation", String(128)),
    Column("service_type", String(32), nullable=False),
    Column("community", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("year", Integer, nullable=False, index=True),
    Column("hours", Float, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # This delivery's own follow-up (回访), once given (matching_0004): a reopened
    # order's next delivery is another entry, with its own rating or none yet.
    Column("satisfaction", Integer),
    Column("followed_up_on", Date),
    # The team whose service this member's entry credits (matching_0007): a team's
    # hours go to the members who served, one entry each.
    Column("team_id", String(64), index=True),
)

programmes = Table(
    "programmes",
    metadata,
    Column("programme_id", String(64), primary_key=True),
    Column("title", String(128), nullable=False),
    Column("community", String(200), nullable=False, index=True),
    Column("service_type", String(32), nullable=False),
    Column("target_group", String(16)),
    Column("rrule", String(500), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("provider_id", String(64)),
)

check_ins = Table(
    "check_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("programme_id", String(64), nullable=False, index=True),
    Column("occurrence", Date, nullable=False),
    Column("participant", String(128), nullable=False),
    UniqueConstraint("programme_id", "occurrence", "participant", name="uq_check_in"),
)

needs = Table(
    "needs",
    metadata,
    Column("need_id", String(64), primary_key=True),
    Column("community", String(200), nullable=False, index=True),
    Column("household", String(64), nullable=False),
    Column("target_group", String(16), nullable=False),
    Column("service_type", String(32), nullable=False),
    Column("surveyed_on", Date),
    UniqueConstraint("community", "household", "service_type", name="uq_need"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # What happened, once: e.g. offer_made:<request>:<provider> (a repeat is not sent).
    Column("dedupe", String(300), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(300), nullable=False),  # provider:<id>, region:<path>
    Column("request_id", String(64)),
    Column("created_ts", Float, nullable=False),
    Column("due_ts", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="pending"),  # sent, unsent, failed
    Column("sent_ts", Float),
    Column("last_error", Text),
    Index("ix_notifications_status_due", "status", "due_ts"),
)


def within(column: Any, place: str) -> Any:
    """``column`` is ``place`` or a place under it (``安定区/永定路街道``): a prefix match in
    which ``%`` and ``_`` in ``place`` are the characters themselves, not wildcards."""
    return or_(column == place, column.startswith(f"{place}/", autoescape=True))
