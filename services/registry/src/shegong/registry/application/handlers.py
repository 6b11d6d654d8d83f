"""Command handlers: load, decide, save — one transaction each."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from shegong.contracts import Envelope
from shegong.contracts.registry import Gender, PersonalDataViewed, WorkerRegistered
from shegong.kernel.data.identity import (
    PersonalDataError,
    PersonalDataHasher,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.data.names import normalize_name
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.web.auth import AuthError, refuse_other_department
from shegong.registry.adapters.listed_numbers import (
    Listing,
    admit,
    birth_listing,
    decide,
    held_step,
    id_listing,
    judge,
    left_out,
    listing_step,
    phone_listing,
    renamed_listings,
)
from shegong.registry.adapters.personal_data import (
    new_record_step,
    personal_data_of,
    record_with_id_step,
    store_personal_data,
)
from shegong.registry.application.roster_rows import published_record_id
from shegong.registry.domain.commands import (
    RecordCertificate,
    RecordDeparture,
    RegisterWorker,
    UpdateProfile,
)
from shegong.registry.domain.worker import Worker


@dataclass
class Outcome:
    worker: Worker
    events: list[Envelope]

    def body(self) -> dict[str, Any]:
        return {
            "worker": self.worker.view(),
            "events": [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in self.events],
        }


class RegistryCommands:
    def __init__(self, store: EventStore, hasher: PersonalDataHasher, department: str) -> None:
        self.store, self.hasher, self.department = store, hasher, department

    async def register(self, cmd: RegisterWorker, ctx: CommandContext) -> Outcome:
        department = cmd.department or ctx.department or self.department
        refuse_other_department(ctx, department)
        ident: dict[str, Any] = {}
        gender, birth_date = cmd.gender, cmd.birth_date
        if cmd.id_number:
            rid = parse_resident_id(cmd.id_number)
            id_sex = Gender(rid.sex)
            if gender and gender != id_sex:
                raise DomainError(
                    f"gender {gender.zh} contradicts the ID number ({id_sex.zh})",
                    field="gender",
                    zh=f"性别 {gender.zh} 与身份证号（{id_sex.zh}）不符",
                )
            if birth_date and birth_date != rid.birth_date:
                raise DomainError(
                    f"birth_date {birth_date} contradicts the ID number ({rid.birth_date})",
                    field="birth_date",
                    zh=f"出生日期 {birth_date} 与身份证号（{rid.birth_date}）不符",
                )
            gender, birth_date = id_sex, rid.birth_date
            ident.update(
                id_number=rid.number,
                id_number_hash=self.hasher.id_number(rid),
                id_number_masked=mask_id_number(rid),
                id_number_parts=self.hasher.id_parts(rid),
                id_number_swaps_hash=self.hasher.id_swaps(rid),
            )
        if cmd.record_id and published_record_id(cmd.record_id) is None:
            raise PersonalDataError(
                "record_id",
                "an ID number or phone is not a record key: every department would read it",
                "记录编号不能是身份证号或手机号：所有部门都会看到它",
            )
        phone = self._phone(cmd.phone)
        worker_id = str(uuid.uuid4())
        event = WorkerRegistered(
            worker_id=worker_id,
            department=department,
            record_id=cmd.record_id,
            name=normalize_name(cmd.name),
            gender=gender,
            birth_date=birth_date,
            id_number_hash=ident.get("id_number_hash"),
            id_number_masked=ident.get("id_number_masked"),
            id_number_parts=ident.get("id_number_parts"),
            id_number_swaps_hash=ident.get("id_number_swaps_hash"),
            phone_hash=phone.get("phone_hash"),
            phone_masked=phone.get("phone_masked"),
            phone_parts=phone.get("phone_parts"),
            organization=cmd.organization,
            org_type=cmd.org_type,
            post=cmd.post,
            region=cmd.region,
            hired_on=cmd.hired_on,
            channel=cmd.channel,
        )
        worker = Worker.register(worker_id, event)
        wanted = self._listings(ident, phone)
        if birth_date and not ident:  # linked by name and birth date: bounded per name
            wanted.append(birth_listing(self.hasher, event.name, birth_date))
        vault = new_record_step(
            worker_id,
            department,
            id_number=ident.get("id_number"),
            id_number_hash=ident.get("id_number_hash"),
            phone=phone.get("phone"),
            phone_hash=phone.get("phone_hash"),
        )
        # Whether the department has this ID number on a record already: read holding the
        # append lock with what it listed behind these masks (in the lock's round trip
        # on PostgreSQL), so that two registrations cannot both pass the check or a
        # limit; then the event, the listings, the vault's row and (PostgreSQL) the
        # COMMIT in one more trip (raw_sql; bench/README.md rounds 11 and 15).
        known = [record_with_id_step(department, ident["id_number_hash"])] if ident else []
        async with self.store.transaction(_with_department(ctx, department)) as tx:
            admitted: list[bool] = []
            listed: list[dict[str, str]] = []
            read = held_step(department, wanted) if wanted else None
            if wanted and read is None:
                await tx.lock()
                admitted, listed = await judge(tx.conn, department, wanted)
            if read is not None or known:
                results = await tx.lock_with([read, *known] if read else known)
                if read is not None:
                    admitted, listed = decide(department, wanted, results[0].rows)
            _refuse_past_limits(wanted, admitted)
            if known and results[-1].rows:
                existing = results[-1].rows[0][0]
                raise DomainError(
                    f"{department} already registered this ID number as worker {existing}",
                    field="id_number",
                    code="duplicate",
                    zh=f"{department} 已把此身份证号登记为社工 {existing}",
                )
            steps = [listing_step(listed), vault] if listed else [vault]
            events, _ = await tx.save_with(worker, steps, commit=True)
        return Outcome(worker, events)

    async def update_profile(
        self, worker_id: str, cmd: UpdateProfile, ctx: CommandContext
    ) -> Outcome:
        changes = cmd.model_dump(exclude_unset=True, exclude={"phone"})
        changes = {k: getattr(cmd, k) for k in changes}
        if changes.get("name"):
            changes["name"] = normalize_name(changes["name"])
        phone = self._phone(cmd.phone)
        changes.update({k: v for k, v in phone.items() if k != "phone"})
        async with self.store.transaction(ctx) as tx:
            worker = await self._load(tx, worker_id)
            worker.update_profile(changes)
            events = await tx.save(worker)
            profile = worker.profile
            # A birth date now under a new name (no ID number to carry it): bounded too.
            born = profile.get("birth_date") if not profile.get("id_number_hash") else None
            if events and changes.get("name") and born:
                listing = birth_listing(self.hasher, profile["name"], born)
                await _within_limits(tx, profile["department"], [listing])
            # A masked ID number (a roster's) under the new name: bounded too (round 17).
            parts = profile.get("id_number_parts")
            if events and changes.get("name") and parts and not profile.get("id_number_hash"):
                department = profile["department"]
                moved = await renamed_listings(
                    tx.conn, self.hasher, department, parts, profile["name"]
                )
                await _within_limits(tx, department, moved)
            if events and phone:
                department = worker.profile["department"]
                await _within_limits(tx, department, self._listings({}, phone))
                await store_personal_data(
                    tx.conn,
                    worker_id,
                    department,
                    phone=phone["phone"],
                    phone_hash=phone["phone_hash"],
                )
        return Outcome(worker, events)

    async def certify(self, worker_id: str, cmd: RecordCertificate, ctx: CommandContext) -> Outcome:
        async with self.store.transaction(ctx) as tx:
            worker = await self._load(tx, worker_id)
            worker.certify(cmd.level, cmd.certified_on, cmd.certificate_no, date.today())
            events = await tx.save(worker)
        return Outcome(worker, events)

    async def record_departure(
        self, worker_id: str, cmd: RecordDeparture, ctx: CommandContext
    ) -> Outcome:
        async with self.store.transaction(ctx) as tx:
            worker = await self._load(tx, worker_id)
            worker.leave(cmd.left_on, cmd.reason)
            events = await tx.save(worker)
        return Outcome(worker, events)

    async def get(self, worker_id: str) -> Worker:
        async with self.store.transaction() as tx:
            return await self._load(tx, worker_id)

    async def _load(self, tx: Transaction, worker_id: str) -> Worker:
        worker = await tx.load(Worker, worker_id)
        if worker is None:
            raise DomainError(
                f"no worker {worker_id} on this registry node",
                field="worker_id",
                code="not_found",
                zh=f"本登记节点上没有社工 {worker_id}",
            )
        refuse_other_department(tx.ctx, worker.profile["department"])
        if tx.ctx.department is None:  # events name the department whose record changed
            tx.ctx = _with_department(tx.ctx, worker.profile["department"])
        return worker

    async def view_personal_data(self, worker_id: str, ctx: CommandContext) -> dict[str, Any]:
        """The raw ID number and phone, for the city administrator or the worker's own
        department only; the view is recorded (PersonalDataViewed) before it is shown."""
        async with self.store.transaction(ctx) as tx:
            row = await personal_data_of(tx.conn, worker_id)
            if row is None:
                raise DomainError(
                    f"no personal data for worker {worker_id} on this registry node",
                    field="worker_id",
                    code="not_found",
                    zh=f"本登记节点上没有社工 {worker_id} 的个人信息",
                )
            allowed = ctx.role in (None, "admin") or (
                ctx.role == "department" and ctx.department == row["department"]
            )
            if not allowed:
                raise AuthError(
                    403,
                    "personal data is shown in full only to the city administrator and to "
                    "the worker's own department",
                    "个人信息仅向市级管理员和本部门显示完整内容",
                    field="worker_id",
                )
            fields = [f for f in ("id_number", "phone") if row[f]]
            stream = f"personal-data-views:{worker_id}"
            await tx.lock()
            version = await tx.stream_version(stream)
            await tx.append(
                stream,
                PersonalDataViewed.aggregate_type,
                version,
                [
                    PersonalDataViewed(
                        worker_id=worker_id,
                        department=row["department"],
                        viewer=ctx.actor or "anonymous",
                        viewer_key_id=ctx.key_id,
                        viewer_role=ctx.role or "open",
                        viewer_department=ctx.department if ctx.role == "department" else None,
                        fields=fields,
                    )
                ],
            )
        return {
            "worker_id": worker_id,
            "department": row["department"],
            "id_number": row["id_number"],
            "phone": row["phone"],
            "audited": True,
        }

    def _listings(self, ident: dict[str, Any], phone: dict[str, str]) -> list[Listing]:
        found = []
        if phone:
            found.append(phone_listing(self.hasher, phone["phone"], phone["phone_hash"]))
        if ident and (listing := id_listing(self.hasher, ident["id_number"])):
            found.append(listing)
        return found

    def _phone(self, raw: str | None) -> dict[str, str]:
        if not raw:
            return {}
        phone = normalize_phone(raw)
        return {
            "phone": phone,
            "phone_hash": self.hasher.phone(phone),
            "phone_masked": mask_phone(phone),
            "phone_parts": self.hasher.phone_parts(phone),
        }


async def _within_limits(tx: Transaction, department: str, wanted: list[Listing]) -> None:
    """Refuse a phone or ID number past what one department may list behind one shown
    mask (``listed_numbers``), before anything is stored."""
    _refuse_past_limits(wanted, await admit(tx.conn, department, wanted))


def _refuse_past_limits(wanted: list[Listing], admitted: list[bool]) -> None:
    for listing, ok in zip(wanted, admitted, strict=True):
        if not ok:
            raise PersonalDataError(listing.field, *left_out(listing))


def _with_department(ctx: CommandContext, department: str) -> CommandContext:
    return dataclasses.replace(ctx, department=department)
