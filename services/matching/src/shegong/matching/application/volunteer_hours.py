"""Volunteers counted right (志愿服务时长): who gets the hours, and the national number.

- **The ledger** (``hours_ledger``): one entry per delivery of an order, and one per
  programme check-in of a provider who served there (``CheckIn.provider_id`` with
  ``hours``) — both through :func:`credit_hours`.
- **A team's hours go to its members who served** (``members``): one entry per member,
  each for the hours served, with the team named (``team``, ``team_id``) — so a volunteer's
  record holds what they did inside a team too. Members are volunteers registered by the
  team's department. Without members, the entry stays in the team's name. Each crediting
  is a ``TeamHoursCredited`` event (volunteer ids only).
- **The national volunteer number** (志愿者编号) of a volunteer, for reporting hours to the
  national volunteer record: kept in this vault (``volunteer_numbers``), set by the
  volunteer's department; the bus carries its keyed hash and masked form
  (``VolunteerNumberSet``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Event
from shegong.contracts.matching import ProviderKind, TeamHoursCredited, VolunteerNumberSet
from shegong.kernel.data.identity import PersonalDataHasher, mask_volunteer_number
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.schema import events_table
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.web.auth import refuse_other_department
from shegong.matching.adapters.tables import hours_ledger, volunteer_numbers
from shegong.matching.application.provider_state import provider_department, provider_identity

_NUMBER = re.compile(r"[0-9A-Z-]{6,32}")


def normalise_number(raw: str) -> str:
    text = "".join(raw.split()).upper()
    if not _NUMBER.fullmatch(text):
        raise DomainError(
            "number: a national volunteer number is 6–32 letters, digits or '-' "
            "/ 志愿者编号应为6至32位字母、数字或“-”",
            field="number",
        )
    return text


async def append_once(tx: Transaction, stream: str, event: Event) -> None:
    """Append to a stream of records (each a new version of ``stream``)."""
    await tx.lock()
    version = await tx.conn.scalar(
        select(func.coalesce(func.max(events_table.c.version), 0)).where(
            events_table.c.stream_id == stream
        )
    )
    await tx.append(stream, event.aggregate_type, int(version or 0), [event])


async def set_volunteer_number(
    store: EventStore,
    hasher: PersonalDataHasher,
    provider_id: str,
    raw: str,
    ctx: CommandContext,
) -> dict[str, Any]:
    number = normalise_number(raw)
    digest, masked = hasher.volunteer_number(number), mask_volunteer_number(number)
    async with store.transaction(ctx) as tx:
        await tx.lock()
        who = await provider_identity(tx.conn, provider_id)  # 404 for nobody
        if who["kind"] != ProviderKind.VOLUNTEER:
            raise DomainError(
                "provider_id: only a volunteer carries a national volunteer number "
                "/ 仅志愿者可登记志愿者编号",
                field="provider_id",
            )
        department = await provider_department(tx, provider_id)
        refuse_other_department(tx.ctx, department)
        holders = await tx.conn.scalars(
            select(volunteer_numbers.c.provider_id).where(
                (volunteer_numbers.c.number_hash == digest)
                & (volunteer_numbers.c.provider_id != provider_id)
            )
        )
        # Another volunteer of the same department only: one human may volunteer for two
        # departments under their one national number, and a refusal for another
        # department's volunteer told any department whether a number it chose was
        # anyone's (10,000 PUTs walk a year's sequence numbers of a district).
        if any([await provider_department(tx, h) == department for h in holders.all()]):
            raise DomainError(
                "number: this national volunteer number is recorded for another volunteer "
                "/ 该志愿者编号已登记在其他志愿者名下",
                field="number",
                code="conflict",
            )
        if tx.ctx.department is None and department is not None:
            tx.ctx = dataclasses.replace(tx.ctx, department=department)
        await tx.conn.execute(
            delete(volunteer_numbers).where(volunteer_numbers.c.provider_id == provider_id)
        )
        await tx.conn.execute(
            volunteer_numbers.insert().values(
                provider_id=provider_id,
                number=number,
                number_hash=digest,
                number_masked=masked,
                set_at=datetime.now(UTC),
            )
        )
        event = VolunteerNumberSet(
            provider_id=provider_id, number_hash=digest, number_masked=masked
        )
        await append_once(tx, f"volunteer-number:{provider_id}", event)
    return {"provider_id": provider_id, "number_masked": masked}


_CREDIT = hours_ledger.insert()  # built once: every delivery writes an entry or a few


async def credit_hours(
    tx: Transaction,
    provider_id: str,
    *,
    hours: float,
    started: datetime,
    finished: datetime,
    service_type: str,
    community: str,
    request_id: str | None = None,
    programme_id: str | None = None,
    members: Sequence[str] = (),
) -> int:
    """Write the ledger entries of one service: the provider's, or a team's members'
    (one each). Returns how many entries were written."""
    who = await provider_identity(tx.conn, provider_id)
    base = {
        "request_id": request_id,
        "programme_id": programme_id,
        "service_type": service_type,
        "community": community,
        "started_at": started,
        "finished_at": finished,
        "year": finished.year,
        "hours": hours,
        "recorded_at": datetime.now(UTC),  # one value: the entries of one delivery
    }
    if not members:
        await tx.conn.execute(
            _CREDIT,
            {
                "provider_id": provider_id,
                "provider_kind": who["kind"].value,
                "person": who["name"],
                "team": who["team"],
                "organisation": who["organisation"],
                **base,
            },
        )
        return 1
    people = await team_members(tx, provider_id, who["kind"], members)
    for member, person in people:
        await tx.conn.execute(
            _CREDIT,
            {
                "provider_id": member,
                "provider_kind": ProviderKind.VOLUNTEER.value,
                "person": person["name"],
                "team": who["name"],
                "team_id": provider_id,
                "organisation": who["organisation"] or person["organisation"],
                **base,
            },
        )
    credited = TeamHoursCredited(
        team_id=provider_id,
        members=list(members),
        hours=hours,
        request_id=request_id,
        programme_id=programme_id,
    )
    await append_once(tx, f"team-hours:{provider_id}", credited)
    return len(people)


async def team_members(
    tx: Transaction, team_id: str, kind: ProviderKind, members: Sequence[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The members named, each a volunteer of the team's department; a clear error
    naming the member at fault otherwise (no other department's volunteer is named)."""
    if kind != ProviderKind.VOLUNTEER_TEAM:
        raise DomainError(
            "members: only a volunteer team's hours are credited to its members "
            "/ 仅志愿服务队的服务时长可记入队员名下",
            field="members",
        )
    if len(set(members)) != len(members):
        raise DomainError("members: a member is named twice / 队员重复", field="members")
    team_department = await provider_department(tx, team_id)
    found = []
    for i, member in enumerate(members):
        try:
            person = await provider_identity(tx.conn, member)
        except DomainError:
            person = None
        if (
            person is None
            or person["kind"] != ProviderKind.VOLUNTEER
            or await provider_department(tx, member) != team_department
        ):
            raise DomainError(
                f"members[{i}]: {member} is not a volunteer of the team's department "
                f"/ 第{i + 1}位队员不是该服务队所属部门登记的志愿者",
                field=f"members[{i}]",
            )
        found.append((member, person))
    return found


async def numbers_of(conn: AsyncConnection, provider_ids: Sequence[str]) -> dict[str, Any]:
    rows = await conn.execute(
        select(volunteer_numbers).where(volunteer_numbers.c.provider_id.in_(list(provider_ids)))
    )
    return {r.provider_id: r for r in rows}
