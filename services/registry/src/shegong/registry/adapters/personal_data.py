"""The personal-data vault (个人信息): raw ID numbers and phones, kept only here.

Events carry a keyed hash and a masked form (rule 7); the raw values live in this
table of the registry's own database, written in the same transaction as the event
that references them, and never leave the service on the bus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def worker_with_id_number(
    conn: AsyncConnection, department: str, id_number_hash: str
) -> str | None:
    return await conn.scalar(
        select(personal_data.c.worker_id).where(
            (personal_data.c.department == department)
            & (personal_data.c.id_number_hash == id_number_hash)
        )
    )


async def personal_data_of(conn: AsyncConnection, worker_id: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(
                personal_data.c.department, personal_data.c.id_number, personal_data.c.phone
            ).where(personal_data.c.worker_id == worker_id)
        )
    ).first()
    return dict(row._mapping) if row else None


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
    now = datetime.now(UTC)
    existing = await conn.scalar(
        select(personal_data.c.worker_id).where(personal_data.c.worker_id == worker_id)
    )
    if existing is None:
        await conn.execute(
            personal_data.insert().values(
                worker_id=worker_id,
                department=department,
                id_number=id_number,
                id_number_hash=id_number_hash,
                phone=phone,
                phone_hash=phone_hash,
                updated_at=now,
            )
        )
        return
    values: dict[str, object] = {"updated_at": now}
    if phone is not None:
        values.update(phone=phone, phone_hash=phone_hash)
    await conn.execute(
        personal_data.update().where(personal_data.c.worker_id == worker_id).values(**values)
    )
