"""The census's read models (rm_census_*) and its state (``census_state``, kept through a
rebuild: it says which decisions the log already holds and which model is in use)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

records = Table(
    "rm_census_records",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("worker_id", String(64), nullable=False, unique=True),
    Column("department", String(64), nullable=False, index=True),
    Column("record_id", String(64)),
    Column("name", String(64), nullable=False),
    Column("former_name", String(64)),
    Column("gender", String(8)),
    Column("birth_date", Date),
    Column("id_hash", String(64), index=True),
    Column("id_masked", String(32)),
    Column("id_parts", String(64)),
    Column("id_swaps", String(64)),
    Column("document", String(64)),
    Column("birth_year_by_age", Integer),
    Column("phone_hash", String(64)),
    Column("phone_masked", String(32)),
    Column("phone_parts", String(64)),
    Column("other_phones", String(200)),
    Column("organization", String(128)),
    Column("org_type", String(32)),
    Column("post", String(32)),
    Column("county", String(64)),
    Column("township", String(64)),
    Column("community", String(64)),
    Column("hired_on", Date),
    Column("left_on", Date),
    Column("person_id", String(200), nullable=False, index=True),
)

certificates = Table(
    "rm_census_certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("certified_on", Date, nullable=False),
    Column("certificate_no", String(64)),
    UniqueConstraint("key", "level", "certified_on", "certificate_no"),
)

links = Table(
    "rm_census_links",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True, index=True),
    Column("rule", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
)

# The links the census announced (``RecordsLinked`` it appended, less ``RecordsUnlinked``):
# a spanning forest of each person, a subset of ``rm_census_links`` (``announce``).
announced = Table(
    "rm_census_announced",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True, index=True),
    Column("rule", String(64), nullable=False),
)

reviews = Table(
    "rm_census_review",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True),
    Column("reason", String(128), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
)

decisions = Table(
    "rm_census_decisions",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True),
    Column("same", Boolean, nullable=False),
    Column("by", String(128), nullable=False),
    Column("note", String(500)),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # applied | pending | refused
    Column("status_reason", String(300)),
)

experts = Table(
    "rm_census_experts",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("id_masked", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("admitted_on", Date, nullable=False),
    Column("level", String(16), nullable=False),
    Column("left_on", Date),  # left the pool (出库) on this day; None: still in it
)

# Kept through a rebuild of the read models (it says which decisions the log already holds).
state_metadata = MetaData()
census_state = Table(
    "census_state",
    state_metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),  # the census aggregate's version
    Column("high_water", JSON, nullable=False),  # source -> last position emitted for
    Column("model", JSON),  # the match model in use (MatchModel.as_dict), None: the default
)

CENSUS_AGGREGATE = "census"
