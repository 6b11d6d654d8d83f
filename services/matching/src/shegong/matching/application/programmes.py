"""Recurring programmes (常态化项目): create, list occurrences, check in (打卡), and the
suggestion to make one when the same need keeps coming from a community.

A programme belongs to the department that created it (a department key's own; an admin
key's ``X-Department`` or none — the city's): only that department, or the city
administrator, records check-ins at it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ProgrammeCreated, ServiceType
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import refuse_other_department
from shegong.matching.adapters.tables import check_ins, needs, programmes, requests
from shegong.matching.application.provider_state import provider_department, provider_identity
from shegong.matching.application.volunteer_hours import credit_hours
from shegong.matching.domain.commands import CheckIn, CreateProgramme
from shegong.matching.domain.programme import Programme, occurrences


class ProgrammeCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def create(self, cmd: CreateProgramme, ctx: CommandContext) -> dict[str, Any]:
        event = ProgrammeCreated(
            programme_id=str(uuid.uuid4()),
            title=cmd.title,
            community=cmd.community,
            service_type=cmd.service_type,
            target_group=cmd.target_group,
            rrule=cmd.rrule,
            starts_on=cmd.starts_on,
            provider_id=cmd.provider_id,
            department=ctx.department,
        )
        programme = Programme.create(event)
        async with self.store.transaction(ctx) as tx:
            if cmd.provider_id is not None:
                await provider_identity(tx.conn, cmd.provider_id)  # 404 for nobody
                if ctx.role == "department" and (
                    await provider_department(tx, cmd.provider_id) != ctx.department
                ):
                    raise not_the_departments(cmd.provider_id)
            await tx.save(programme)
            await tx.conn.execute(
                programmes.insert().values(
                    programme_id=programme.id,
                    title=cmd.title,
                    community=cmd.community,
                    service_type=cmd.service_type.value,
                    target_group=cmd.target_group.value if cmd.target_group else None,
                    rrule=cmd.rrule,
                    starts_on=cmd.starts_on,
                    provider_id=cmd.provider_id,
                )
            )
        return event.model_dump(mode="json", exclude={"type"})

    async def check_in(
        self, programme_id: str, cmd: CheckIn, ctx: CommandContext
    ) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            programme = await tx.load(Programme, programme_id)
            if programme is None:
                raise DomainError(
                    f"no programme {programme_id}",
                    field="programme_id",
                    code="not_found",
                    zh=f"没有项目 {programme_id}",
                )
            # A department records check-ins only at the programmes it runs.
            refuse_other_department(tx.ctx, programme.department)
            participant = cmd.participant or f"provider:{cmd.provider_id}"
            served = await served_at(tx, programme, cmd)
            new = programme.check_in(
                cmd.occurrence, participant, datetime.now(UTC).date(), **served
            )
            await tx.save(programme)
            if new:
                await tx.conn.execute(
                    check_ins.insert().values(
                        programme_id=programme_id,
                        occurrence=cmd.occurrence,
                        participant=participant,
                    )
                )
                if cmd.provider_id is not None and cmd.hours is not None:
                    assert programme.created is not None
                    started = served["started_at"]
                    await credit_hours(
                        tx,
                        cmd.provider_id,
                        hours=cmd.hours,
                        started=started,
                        finished=started + timedelta(hours=cmd.hours),
                        service_type=programme.created.service_type.value,
                        community=programme.created.community,
                        programme_id=programme_id,
                        members=cmd.members,
                    )
            count = await tx.conn.scalar(
                select(func.count())
                .select_from(check_ins)
                .where(
                    (check_ins.c.programme_id == programme_id)
                    & (check_ins.c.occurrence == cmd.occurrence)
                )
            )
        return {"recorded": new, "occurrence": cmd.occurrence, "check_ins": int(count or 0)}

    async def calendar(self, programme_id: str, start: date, end: date) -> list[dict[str, Any]]:
        async with self.store.transaction() as tx:
            programme = await tx.load(Programme, programme_id)
            if programme is None:
                raise DomainError(
                    f"no programme {programme_id}",
                    field="programme_id",
                    code="not_found",
                    zh=f"没有项目 {programme_id}",
                )
            counts: dict[date, int] = dict(
                (
                    await tx.conn.execute(
                        select(check_ins.c.occurrence, func.count())
                        .where(check_ins.c.programme_id == programme_id)
                        .group_by(check_ins.c.occurrence)
                    )
                ).all()
            )
        return [
            {"occurrence": day, "check_ins": int(counts.get(day, 0))}
            for day in occurrences(programme.rule, start, end)
        ]


async def programme_suggestions(
    engine: AsyncEngine, *, min_repeats: int = 3, within_days: int = 90
) -> list[dict[str, Any]]:
    """Communities where the same service was asked for at least ``min_repeats`` times
    (orders in the last ``within_days`` days plus surveyed needs) and no programme runs."""
    since = time.time() - within_days * 86400
    async with reading(engine) as conn:
        asked: dict[tuple[str, str], dict[str, int]] = {}
        for community, service_type, n in await conn.execute(
            select(requests.c.community, requests.c.service_type, func.count())
            .where(requests.c.placed_ts >= since)
            .group_by(requests.c.community, requests.c.service_type)
        ):
            asked.setdefault((community, service_type), {"orders": 0, "surveyed": 0})["orders"] = (
                int(n)
            )
        for community, service_type, n in await conn.execute(
            select(needs.c.community, needs.c.service_type, func.count()).group_by(
                needs.c.community, needs.c.service_type
            )
        ):
            asked.setdefault((community, service_type), {"orders": 0, "surveyed": 0})[
                "surveyed"
            ] = int(n)
        running = set(
            (await conn.execute(select(programmes.c.community, programmes.c.service_type))).all()
        )
    out = []
    for (community, service_type), n in sorted(asked.items()):
        total = n["orders"] + n["surveyed"]
        if total >= min_repeats and (community, service_type) not in running:
            st = ServiceType(service_type)
            out.append(
                {
                    "community": community,
                    "service_type": service_type,
                    "label_zh": st.zh,
                    "orders": n["orders"],
                    "surveyed": n["surveyed"],
                    "suggestion": f"{community}：{st.zh}需求重复出现{total}次，建议设立常态化项目",
                }
            )
    return out


BEIJING = timezone(timedelta(hours=8))
DEFAULT_START = clock(9, 0)


async def served_at(tx: Transaction, programme: Programme, cmd: CheckIn) -> dict[str, Any]:
    """A provider's service at the occurrence, checked: a provider of the programme's
    department (or the one it names), starting on the occurrence's day (Beijing time)."""
    if cmd.participant is None and cmd.provider_id is None:
        raise DomainError(
            "participant: name who attended, or the provider_id of who served "
            "/ 请填写参加者，或服务方编号（provider_id）",
            field="participant",
        )
    if (cmd.hours is None) != (cmd.provider_id is None):
        field = "hours" if cmd.hours is None else "provider_id"
        raise DomainError(
            f"{field}: hours and provider_id go together — who served, for how long "
            "/ 服务时长与服务方须同时填写",
            field=field,
        )
    if cmd.members and cmd.provider_id is None:
        raise DomainError(
            "members: name the team (provider_id) they served in / 请填写队员所在的服务队",
            field="members",
        )
    if cmd.provider_id is None:
        return {}
    assert programme.created is not None
    await provider_identity(tx.conn, cmd.provider_id)  # 404 for nobody
    # The provider a programme names counts whoever's it is only for the administrator: a
    # department credits hours to its own providers alone (their hours are their own
    # department's record, reported to the national volunteer register), also at a joint
    # programme the administrator made naming another department's provider.
    named = cmd.provider_id == programme.created.provider_id and tx.ctx.role != "department"
    if not named and await provider_department(tx, cmd.provider_id) != programme.department:
        raise not_the_departments(cmd.provider_id)
    started = cmd.started_at or datetime.combine(cmd.occurrence, DEFAULT_START, BEIJING)
    if started.tzinfo is None:
        started = started.replace(tzinfo=BEIJING)
    if started.astimezone(BEIJING).date() != cmd.occurrence:
        raise DomainError(
            "started_at: not on the occurrence's day / 开始时间不在该次活动当天",
            field="started_at",
        )
    return {
        "provider_id": cmd.provider_id,
        "hours": cmd.hours,
        "members": list(cmd.members),
        "started_at": started.astimezone(UTC),  # stored in UTC (SQLite keeps no zone)
    }


def not_the_departments(provider_id: str) -> DomainError:
    """A provider the programme's department may not name: 422 naming ``provider_id``,
    not whose provider it is."""
    return DomainError(
        f"provider_id: {provider_id} is not among the providers of the programme's "
        "department / 该服务方不属于本项目所属部门",
        field="provider_id",
    )
