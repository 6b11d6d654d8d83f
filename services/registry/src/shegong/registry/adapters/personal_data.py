"""The personal-data vault (个人信息): raw ID numbers and phones, kept only here.

Events carry a keyed hash and a masked form (rule 7); the raw values live in this
table of the registry's own database, written in the same transaction as the event
that references them, and never leave the service on the bus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    bindparam,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.ops.raw_sql import RawStatement

metadata = MetaData()

personal_data = Table(
    "personal_data",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("department", String(64), nullable=False),
    Column("id_number", String(18)),
    Column("id_number_hash", String(64)),
    Column("phone", String(20)),
    Column("phone_hash", String(64)),
    Column("updated_at", DateTime(timezone=True)),
    # A department may list one ID number on several records (a certificate list has a row
    # per certificate): each is its own record, and the census makes them one person.
    Index("ix_personal_data_department_id", "department", "id_number_hash"),
)


_pd = personal_data.c
# Built once (SQLAlchemy's cache key is computed per statement object): the command path.
_WORKER_WITH_ID = select(_pd.worker_id).where(
    (_pd.department == bindparam("department")) & (_pd.id_number_hash == bindparam("id_hash"))
)
_OF_WORKER = select(_pd.department, _pd.id_number, _pd.phone).where(
    _pd.worker_id == bindparam("worker_id")
)
_EXISTS = select(_pd.worker_id).where(_pd.worker_id == bindparam("worker_id"))
_INSERT = personal_data.insert()
_COLUMNS = ("worker_id", "department", "id_number", "id_number_hash", "phone", "phone_hash")
# A registration's statements on the driver's connection, compiled once (raw_sql).
_RAW_INSERT = RawStatement(
    personal_data.insert().values({c: bindparam(c) for c in (*_COLUMNS, "updated_at")})
)
_RAW_WORKER_WITH_ID = RawStatement(_WORKER_WITH_ID)


async def worker_with_id_number(
    conn: AsyncConnection, department: str, id_number_hash: str
) -> str | None:
    return await conn.scalar(_WORKER_WITH_ID, {"department": department, "id_hash": id_number_hash})


async def personal_data_of(conn: AsyncConnection, worker_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_OF_WORKER, {"worker_id": worker_id})).first()
    return dict(row._mapping) if row else None


def _new_row(
    worker_id: str,
    department: str,
    id_number: str | None,
    id_number_hash: str | None,
    phone: str | None,
    phone_hash: str | None,
) -> dict[str, Any]:
    return {
        "worker_id": worker_id,
        "department": department,
        "id_number": id_number,
        "id_number_hash": id_number_hash,
        "phone": phone,
        "phone_hash": phone_hash,
        "updated_at": datetime.now(UTC),
    }


def new_record_step(
    worker_id: str,
    department: str,
    *,
    id_number: str | None = None,
    id_number_hash: str | None = None,
    phone: str | None = None,
    phone_hash: str | None = None,
) -> tuple[RawStatement, dict[str, Any]]:
    """A new record's personal data, as an insert for ``raw_sql.execute`` /
    ``execute_all``. With an ID number, check first that ``department`` has no record
    with it (:func:`record_with_id_step`), holding the append lock until this insert
    commits, so that two registrations cannot both pass the check."""
    values = _new_row(worker_id, department, id_number, id_number_hash, phone, phone_hash)
    return _RAW_INSERT, values


def record_with_id_step(
    department: str, id_number_hash: str
) -> tuple[RawStatement, dict[str, Any]]:
    """The read of :func:`worker_with_id_number` for ``raw_sql.execute_all`` (a
    registration's, in the append lock's round trip): one row, the record's id, when
    ``department`` already has a record with that ID number."""
    return _RAW_WORKER_WITH_ID, {"department": department, "id_hash": id_number_hash}


async def store_personal_data(
    conn: AsyncConnection,
    worker_id: str,
    department: str,
    *,
    id_number: str | None = None,
    id_number_hash: str | None = None,
    phone: str | None = None,
    phone_hash: str | None = None,
) -> None:
    """A record's personal data, new or changed (``None``: the phone stays as it is)."""
    existing = await conn.scalar(_EXISTS, {"worker_id": worker_id})
    if existing is None:
        row = _new_row(worker_id, department, id_number, id_number_hash, phone, phone_hash)
        await conn.execute(_INSERT, row)
        return
    values: dict[str, object] = {"updated_at": datetime.now(UTC)}
    if phone is not None:
        values.update(phone=phone, phone_hash=phone_hash)
    await conn.execute(
        personal_data.update().where(personal_data.c.worker_id == worker_id).values(**values)
    )
