"""The kernel's own tables, present in every service's database.

- ``events``: the event store, which is also the outbox and the pull feed;
- ``relay_checkpoints``: what the outbox relay has published;
- ``projection_positions``: per read model and per producing source, the last
  position applied — written in the same transaction as the read-model change, so
  each event is applied exactly once (the ``eventsourcing`` library's tracking record);
- ``event_failures`` / ``dead_letters``: attempts of events a read model could not
  apply, and the ones it gave up on (also copied to ``<stream>.dlq``);
- ``import_jobs``: imports run as jobs (``jobs.py``), kept across restarts: a job a
  restart cut short is reported as interrupted, with what it had stored.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
Position = BigInteger().with_variant(Integer, "sqlite")

events_table = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("stream_id", String(64), nullable=False),
    Column("aggregate_type", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("department", String(64)),
    Column("actor", String(128)),
    Column("correlation_id", String(64), nullable=False),
    Column("causation_id", String(64)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
    # W3C traceparent of the span that appended it (added by migration kernel_0002,
    # hence last: ALTER TABLE appends).
    Column("traceparent", String(64)),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    # The access log (GET /audit/access) lists one type's events newest first.
    Index("ix_events_type_position", "type", "position"),
)

relay_checkpoints = Table(
    "relay_checkpoints",
    metadata,
    Column("stream", String(200), primary_key=True),
    Column("position", Position, nullable=False),
    Column("entry_id", String(40)),
    Column("published_at", DateTime(timezone=True)),
)

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("source", String(200), primary_key=True),
    Column("position", Position, nullable=False),
    Column("updated_at", DateTime(timezone=True)),
)

event_failures = Table(
    "event_failures",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True)),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("projection", String(100), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("source", String(200), nullable=False),
    Column("sequence", Position, nullable=False),
    Column("type", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("dead_at", DateTime(timezone=True)),
    UniqueConstraint("projection", "event_id", name="uq_dead_letters_event"),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed | interrupted
    Column("key_id", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("filename", String(255)),
    Column("file_sha256", String(64)),
    # The events it appended carry this correlation id, after this store position.
    Column("correlation_id", String(64), nullable=False),
    Column("after_position", Position, nullable=False),
    Column("repeatable", Integer, nullable=False),  # importing the same file again is safe
    Column("rows_done", Integer, nullable=False),
    Column("rows_total", Integer),
    Column("rows_rejected", Integer),
    Column("records_linked", Integer),
    Column("events_written", Integer),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("http_status", Integer),
    Column("report", JSON),
    Column("error", JSON),
)
