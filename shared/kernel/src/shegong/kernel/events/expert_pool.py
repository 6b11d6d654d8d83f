"""The city expert pool (专家库) as a service that deploys experts knows it.

The registry's ladder admits workers to the pool and lets them go (``ExpertPoolAdmitted``
/ ``ExpertPoolLeft``); training (lecturers) and matching (supervisors) each keep who is in
it now in a table of their own, through the same projection, and refuse to deploy anyone
else with the same bilingual error. Each service has one :class:`ExpertPool` (its table,
the check, the queries of who is in the pool and of one expert's deployments and hours)
and an :class:`ExpertPoolProjection` subclass that fills it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Boolean, Column, Date, MetaData, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from shegong.contracts import Envelope, Event
from shegong.contracts.ladder import ExpertPoolAdmitted, ExpertPoolLeft
from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.read_model import Projection

__all__ = ["ExpertPool", "ExpertPoolProjection"]


class ExpertPool:
    """Who is in the city expert pool now, in one service's database (``table_name``)."""

    def __init__(self, table_name: str) -> None:
        self.metadata = MetaData()
        self.table = Table(
            table_name,
            self.metadata,
            Column("worker_id", String(64), primary_key=True),
            Column("admitted_on", Date, nullable=False),
            Column("left_on", Date),
            Column("active", Boolean, nullable=False),
        )

    async def apply(self, conn: AsyncConnection, event: Event) -> None:
        experts = self.table
        if isinstance(event, ExpertPoolAdmitted):
            await conn.execute(delete(experts).where(experts.c.worker_id == event.worker_id))
            await conn.execute(
                experts.insert().values(
                    worker_id=event.worker_id, admitted_on=event.admitted_on, active=True
                )
            )
        elif isinstance(event, ExpertPoolLeft):
            await conn.execute(
                experts.update()
                .where(experts.c.worker_id == event.worker_id)
                .values(active=False, left_on=event.left_on)
            )

    async def require_active(self, conn: AsyncConnection, expert_id: str, role_zh: str) -> None:
        """Refused (409, Chinese and English) unless ``expert_id`` is in the pool now;
        ``role_zh`` says what they would be assigned to do (授课, 督导)."""
        row = (
            await conn.execute(select(self.table).where(self.table.c.worker_id == expert_id))
        ).first()
        if row is None or not row.active:
            why = "left the expert pool" if row is not None else "is not in the expert pool"
            why_zh = "已出库" if row is not None else "不在市级专家库中"
            raise DomainError(
                f"{expert_id} {why}: only an expert of the pool may be assigned "
                f"({why_zh}，只能安排专家库中的专家{role_zh})",
                field="expert_id",
                code="conflict",
            )

    async def members(
        self,
        conn: AsyncConnection,
        people: Table,
        person_id: ColumnElement[Any],
        shown: Sequence[ColumnElement[Any]],
        include_left: bool = False,
    ) -> list[dict[str, Any]]:
        """The pool, with what the service knows of each expert (``shown`` columns of
        ``people``, joined on ``person_id``)."""
        experts = self.table
        query = (
            select(experts, *shown)
            .join(people, person_id == experts.c.worker_id, isouter=True)
            .order_by(experts.c.worker_id)
        )
        if not include_left:
            query = query.where(experts.c.active.is_(True))
        return [r._asdict() for r in await conn.execute(query)]

    async def deployments(
        self,
        conn: AsyncConnection,
        expert_id: str,
        deployed: Table,
        order_by: Sequence[ColumnElement[Any]],
    ) -> dict[str, Any]:
        """One expert's deployments (rows of ``deployed``, with ``expert_id`` and ``hours``
        columns), their hours summed from the same rows, and whether they are in the pool."""
        rows = [
            r._asdict()
            for r in await conn.execute(
                select(deployed).where(deployed.c.expert_id == expert_id).order_by(*order_by)
            )
        ]
        member = (
            await conn.execute(select(self.table).where(self.table.c.worker_id == expert_id))
        ).first()
        return {
            "expert_id": expert_id,
            "in_pool": bool(member and member.active),
            "rows": rows,
            "hours": float(sum(r["hours"] or 0 for r in rows)),
        }


class ExpertPoolProjection(Projection):
    """Follows the registry's pool events into a service's :class:`ExpertPool`: subclass
    with ``name``, ``pool`` and ``metadata = pool.metadata``."""

    contract = REGISTRY_STREAM
    aggregates = frozenset({"ladder"})
    handles = frozenset({"ExpertPoolAdmitted", "ExpertPoolLeft"})
    ignores = frozenset({"LadderEligibilityChanged"})
    pool: ClassVar[ExpertPool]

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        await self.pool.apply(conn, event)
