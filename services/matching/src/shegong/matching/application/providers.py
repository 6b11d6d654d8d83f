"""Command handlers for providers: volunteers, teams and organisations join; anyone's
availability and capacity change.

A provider registered here belongs to the department that registered it (a department
key's own; an admin key's ``X-Department`` or none — the city's); a social worker to the
department whose roster they are on. Only that department (or the city administrator)
changes its availability."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from shegong.contracts.matching import ProviderRegistered
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.kernel.web.auth import refuse_other_department
from shegong.matching.adapters.candidates_table import refresh_static, set_identity
from shegong.matching.adapters.tables import provider_state, providers
from shegong.matching.application.provider_state import (
    ensure_state,
    provider_department,
    provider_identity,
)
from shegong.matching.domain.commands import RegisterProvider, SetAvailability
from shegong.matching.domain.provider import Provider
from shegong.matching.domain.ranking import region_path


class ProviderCommands:
    def __init__(self, store: EventStore, default_capacity: int) -> None:
        self.store, self.default_capacity = store, default_capacity

    async def register(self, cmd: RegisterProvider, ctx: CommandContext) -> dict[str, Any]:
        if not region_path(cmd.region):
            raise DomainError(
                "region must be a region path, e.g. 安定区/永定路街道", field="region"
            )
        event = ProviderRegistered(
            provider_id=str(uuid.uuid4()),
            kind=cmd.kind,
            name=cmd.name,
            region=cmd.region,
            organisation=cmd.organisation,
            skills=cmd.skills,
            supervised=cmd.supervised,
            capacity=cmd.capacity,
            department=ctx.department,
        )
        provider = Provider.register(event)
        async with self.store.transaction(ctx) as tx:
            await tx.save(provider)
            await tx.conn.execute(
                providers.insert().values(
                    provider_id=provider.id,
                    kind=cmd.kind.value,
                    name=cmd.name,
                    region=cmd.region,
                    organisation=cmd.organisation,
                    skills=cmd.skills,
                    supervised=cmd.supervised,
                    registered_at=datetime.now(UTC),
                )
            )
            await set_identity(
                tx.conn,
                provider.id,
                cmd.capacity,
                kind=cmd.kind.value,
                name=cmd.name,
                region=cmd.region,
                organisation=cmd.organisation,
                skills=cmd.skills,
                supervised=cmd.supervised,
            )
        return {"provider_id": provider.id, **event.model_dump(mode="json", exclude={"type"})}

    async def set_availability(
        self, provider_id: str, cmd: SetAvailability, ctx: CommandContext
    ) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            await provider_identity(tx.conn, provider_id)  # not_found for nobody
            refuse_other_department(tx.ctx, await provider_department(tx, provider_id))
            provider = await tx.load(Provider, provider_id) or Provider(provider_id)
            provider.set_availability(cmd.available, cmd.capacity, cmd.skills, cmd.supervised)
            await tx.save(provider)
            await ensure_state(tx.conn, provider_id, self.default_capacity)
            values: dict[str, Any] = {"available": cmd.available}
            if cmd.capacity is not None:
                values["capacity"] = cmd.capacity
            if cmd.skills is not None:
                values["skills"] = cmd.skills
            if cmd.supervised is not None:
                values["supervised"] = cmd.supervised
            await tx.conn.execute(
                update(provider_state)
                .where(provider_state.c.provider_id == provider_id)
                .values(**values)
            )
            await refresh_static(tx.conn, provider_id)
            row = (
                await tx.conn.execute(
                    select(provider_state).where(provider_state.c.provider_id == provider_id)
                )
            ).one()
        return dict(row._mapping)
