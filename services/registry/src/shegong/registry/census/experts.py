"""The expert pool as a census batch sees it: admissions and departures by ID hash, from
the registry's ``ExpertPoolAdmitted`` / ``ExpertPoolLeft`` and the training service's
``ExpertAdmitted``, written at the batch's end (``writes.write_experts``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import ExpertAdmitted, ExpertPoolAdmitted, ExpertPoolLeft
from shegong.registry.census.writes import expert_row, record_id_hash, write_experts


class ExpertPool:
    """The batch's changes to the pool: admitted (by ID hash) and left (by ID hash)."""

    def __init__(self) -> None:
        self.admitted: dict[str, dict[str, Any]] = {}
        self.left: dict[str, date] = {}

    async def pool_admitted(
        self,
        conn: AsyncConnection,
        key: str,
        event: ExpertPoolAdmitted,
        inserts: Mapping[str, dict[str, Any]],
        certs: Mapping[tuple[Any, ...], dict[str, Any]],
    ) -> None:
        found = await expert_row(conn, key, event, inserts, certs)
        if found is not None:
            self.admitted[found["id_hash"]] = found
            self.left.pop(found["id_hash"], None)

    async def pool_left(
        self,
        conn: AsyncConnection,
        key: str,
        event: ExpertPoolLeft,
        inserts: Mapping[str, dict[str, Any]],
    ) -> None:
        id_hash = await record_id_hash(conn, key, inserts)
        if id_hash in self.admitted:
            self.admitted[id_hash]["left_on"] = event.left_on
        elif id_hash:
            self.left[id_hash] = event.left_on

    def expert_admitted(self, event: ExpertAdmitted) -> None:
        self.admitted[event.id_number_hash] = {
            "id_hash": event.id_number_hash,
            "id_masked": event.id_number_masked,
            "name": event.name,
            "admitted_on": event.admitted_on,
            "level": event.level.value,
        }

    async def write(self, conn: AsyncConnection) -> None:
        await write_experts(conn, self.admitted, self.left)
