"""What one roster row means: the worker it registers or changes (with its certificate and
departure), and its personal data for the vault. Its record key and content fingerprint:
:mod:`~shegong.registry.application.roster_keys`."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import Gender, Post, WorkerRegistered
from shegong.kernel.data.documents import document_number
from shegong.kernel.data.identity import (
    PersonalDataError,
    PersonalDataHasher,
    mask_id_number,
    mask_phone,
)
from shegong.kernel.data.redact import mask_numbers, redact_numbers
from shegong.kernel.data.sheets import id_shown_by_excel
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import Transaction
from shegong.registry.adapters.listed_numbers import (
    Listing,
    admit,
    birth_listing,
    document_listing,
    id_listing,
    phone_listing,
    renamed_listing,
)
from shegong.registry.adapters.listed_numbers import left_out as number_left_out
from shegong.registry.adapters.personal_data import personal_data
from shegong.registry.adapters.roster_records import kept_phones
from shegong.registry.domain.worker import Worker
from shegong.registry.imports.documents import document_fields
from shegong.registry.imports.roster import RosterRow


class RosterRows:
    """A row's worker and vault values, hashed with the registry's keys."""

    def __init__(self, hasher: PersonalDataHasher) -> None:
        self.hasher = hasher

    def new(
        self,
        department: str,
        row: RosterRow,
        today: date,
        warnings: list[dict[str, Any]],
        worker_id: str | None = None,
    ) -> Worker:
        """The row's new worker; ``worker_id`` drawn with its chunk's (``uuid4_strings``)."""
        worker_id = worker_id or str(uuid.uuid4())
        numbers_cut(row, warnings)
        rid = row.id_number
        reported = _reported_id(row)
        event = WorkerRegistered(
            worker_id=worker_id,
            department=department,
            record_id=published_record_id(row.record_id),
            name=row.name,
            former_name=row.former_name,
            gender=Gender(rid.sex) if rid else row.gender,
            birth_date=rid.birth_date if rid else row.birth_date,
            id_number_hash=self.hasher.id_number(rid.number) if rid else None,
            id_number_masked=mask_id_number(reported) if reported else None,
            # A mistyped number gives three of its four parts; one Excel cut, the two shown.
            id_number_parts=(
                self.hasher.id_parts(id_shown_by_excel(reported) or reported) if reported else None
            ),
            id_number_swaps_hash=self.hasher.id_swaps(reported) if reported else None,
            phone_hash=self.phone_hash(row),
            phone_masked=mask_phone(row.phone) if row.phone else row.phone_shown,
            phone_parts=self.phone_parts(row),
            other_phones_hash=self.other_phones_hash(row),
            organization=row.organization,
            org_type=row.org_type,
            post=row.post or Post.OTHER,
            region=row.region,
            hired_on=row.hired_on,
            channel=row.channel,
            **document_fields(self.hasher, row),  # a passport's, a 回乡证's: its digest
            birth_year_by_age=_year_by_age(row, today) if not (rid or row.birth_date) else None,
        )
        try:
            worker = Worker.register(worker_id, event)
        except DomainError as err:  # a hire date the rules refuse: the rest is the record
            warnings.append(left_out(row, err, "hired_on"))
            worker = Worker.register(worker_id, event.model_copy(update={"hired_on": None}))
        certificate_and_departure(worker, row, today, warnings)
        return worker

    async def changed(
        self,
        tx: Transaction,
        worker_id: str,
        row: RosterRow,
        today: date,
        warnings: list[dict[str, Any]],
    ) -> Worker:
        worker = await tx.load(Worker, worker_id)
        if worker is None:  # the roster_records row outlived its events: a broken store
            raise DomainError(
                f"worker {worker_id} of this record is missing",
                field="record_id",
                zh=f"此记录的社工 {worker_id} 不存在",
            )
        numbers_cut(row, warnings)
        profile = {
            "name": row.name or None,  # "": kept (a rename past within_limits)
            "former_name": row.former_name,
            "organization": row.organization,
            "org_type": row.org_type,
            "post": row.post,
            "region": row.region,
            "hired_on": row.hired_on,
            "channel": row.channel,
            "phone_hash": self.phone_hash(row),
            "phone_masked": mask_phone(row.phone) if row.phone else row.phone_shown,
            "phone_parts": self.phone_parts(row),
            "other_phones_hash": self.other_phones_hash(row),
        }
        profile["other_phones_hash"] = kept_phones(worker.profile, profile)
        try:
            worker.update_profile(profile)
        except DomainError as err:  # a hire date after the recorded departure
            warnings.append(left_out(row, err, "hired_on"))
            worker.update_profile(profile | {"hired_on": None})
        if row.id_number and worker.profile.get("id_number_hash") not in (
            None,
            self.hasher.id_number(row.id_number.number),
        ):
            warnings.append(
                {
                    **at(row),
                    "warning": "id_number: differs from the registered one; not changed / "
                    "身份证号：与已登记的不一致，未修改",
                }
            )
        if row.left_on and worker.left_on and row.left_on != worker.left_on:
            warnings.append(
                {
                    **at(row),
                    "warning": f"left_on: already recorded as {worker.left_on}; not changed"
                    f" / 离职日期：已登记为 {worker.left_on}，未修改",
                }
            )
        certificate_and_departure(worker, row, today, warnings)
        return worker

    async def within_limits(
        self, conn: AsyncConnection, department: str, rows: dict[str, RosterRow], new: set[str]
    ) -> None:
        """Leave out of ``rows`` (in place, with a warning naming the field) each phone, ID
        number, birth date or other document's number past what one department may list
        behind what is shown of it (``listed_numbers``): a department listing one name with
        every phone ``139****0002`` allows would learn from the census which is the person's.
        The ID numbers (and documents' numbers) of the ``new`` records only: a changed row
        does not change them — but a masked ID number counts under a changed row's name
        (the census links it by the name beside it: a rename past the limit keeps the
        record's name, round 17)."""
        wanted: list[tuple[str, Listing]] = []
        for key, row in rows.items():
            if phone := row.phone or row.phone_digits:
                wanted.append((key, phone_listing(self.hasher, phone, self.phone_hash(row))))
            for other in row.other_phones:  # as many guesses as the phone itself
                wanted.append((key, phone_listing(self.hasher, other, self._other_digest(other))))
            reported = _reported_id(row)
            if reported and (listing := id_listing(self.hasher, reported, row.name)):
                if key in new:
                    wanted.append((key, listing))
                elif row.name and (moved := renamed_listing(listing, row.name, self.hasher)):
                    wanted.append((key, moved))  # a masked number under its record's name
            if row.birth_date and row.id_number is None and row.name:
                wanted.append((key, birth_listing(self.hasher, row.name, row.birth_date)))
            kind, raw = row.document_type, row.raw_id_number
            if key in new and kind and raw and (number := document_number(kind, raw)):
                wanted.append((key, document_listing(self.hasher, kind, number, row.name or "")))
        admitted = await admit(conn, department, [listing for _, listing in wanted])
        for (key, listing), ok in zip(wanted, admitted, strict=True):
            if ok:
                continue
            row, (why, why_zh) = rows[key], number_left_out(listing)
            warnings = (*row.warnings, f"{why} / {why_zh}")
            others = tuple(n for n in row.other_phones if self._other_digest(n) != listing.digest)
            if listing.field == "phone" and others != row.other_phones:
                rows[key] = dataclasses.replace(row, other_phones=others, warnings=warnings)
            elif listing.field == "phone":
                rows[key] = dataclasses.replace(
                    row, phone=None, phone_digits=None, warnings=warnings
                )
            elif listing.field == "birth_date":
                rows[key] = dataclasses.replace(row, birth_date=None, warnings=warnings)
            elif listing.field == "name":  # the record keeps the name it has (changed)
                rows[key] = dataclasses.replace(row, name="", warnings=warnings)
            else:
                rid = row.id_number
                rows[key] = dataclasses.replace(
                    row,
                    id_number=None,
                    raw_id_number=None,
                    id_problem=None,
                    gender=row.gender or (Gender(rid.sex) if rid else None),
                    birth_date=row.birth_date or (rid.birth_date if rid else None),
                    warnings=warnings,
                )

    def phone_hash(self, row: RosterRow) -> str | None:
        if row.phone:
            return self.hasher.phone(row.phone)
        return self.hasher.phone_digits(row.phone_digits) if row.phone_digits else None

    def _other_digest(self, number: str) -> str:
        try:
            return self.hasher.phone(number)
        except PersonalDataError:  # well formed, not known as allocated: still evidence
            return self.hasher.phone_digits("".join(ch for ch in number if ch.isdigit()))

    def other_phones_hash(self, row: RosterRow) -> str | None:
        """The other numbers of the row's phone cell, as the census compares them: each
        one's digest, prefixed m (a mobile) or l (a landline)."""
        if not (row.phone or row.phone_digits):
            return None
        return (
            ".".join(
                ("m" if len(n) == 11 and n[0] == "1" else "l") + self._other_digest(n)
                for n in row.other_phones
            )
            or None
        )

    def phone_parts(self, row: RosterRow) -> str | None:
        phone = row.phone or row.phone_digits
        return self.hasher.phone_parts(phone) if phone else None

    def vault(
        self, worker_id: str, department: str, row: RosterRow, now: datetime
    ) -> dict[str, Any]:
        rid = row.id_number
        return {
            "worker_id": worker_id,
            "department": department,
            "id_number": rid.number if rid else None,
            "id_number_hash": self.hasher.id_number(rid.number) if rid else None,
            "phone": row.phone,
            "phone_hash": self.hasher.phone(row.phone) if row.phone else None,
            "updated_at": now,
        }


_TEXT_ZH = {"name": "姓名", "organization": "工作单位", "channel": "招聘渠道",
            "county": "区县", "township": "乡镇街道", "community": "社区村"}  # fmt: skip


def numbers_cut(row: RosterRow, warnings: list[dict[str, Any]]) -> None:
    """Tell the clerk which text cell held a phone or ID number (a shifted row): the
    worker keeps its first three digits (``Worker``'s ``without_numbers``)."""
    cells = {"name": row.name, "organization": row.organization, "channel": row.channel,
             **row.region.model_dump()}  # fmt: skip
    if row.record_id and published_record_id(row.record_id) is None:
        warnings.append(
            {
                **at(row),
                "warning": "record_id: an ID number or phone; the census names the record by "
                "its worker id instead / 记录编号：是身份证号或手机号，人员库改用系统编号",
            }
        )
    for field, value in cells.items():
        if isinstance(value, str) and redact_numbers(value) != value:
            warnings.append(
                {
                    **at(row),
                    "warning": f"{field}: holds a phone or ID number; kept with its first "
                    f"three digits only / {_TEXT_ZH[field]}：含手机号或身份证号，只保留前三位",
                }
            )


def published_record_id(record_id: str | None) -> str | None:
    """A record's 记录编号 as its events (and so the census's person ids, links and
    exports, seen by every department) carry it: none when it is an ID number or a mobile
    phone — a department that keys its rows by them published them whole. The department's
    own key for re-imports (``roster_records``) keeps it as written."""
    if record_id and mask_numbers(record_id) != record_id:
        return None
    return record_id


# A row is a census record whatever its optional parts say: a part the worker's rules
# refuse (a certificate dated in the future, a hire date before the birth date) is left
# out with a warning, never the row.
_LEFT_OUT_ZH = {
    "certified_on": "证书与已有记录冲突或取证日期晚于今天，未登记证书",
    "cert_level": "证书与已有记录冲突，未登记证书",
    "hired_on": "入职日期不合理（早于出生日期或晚于离职日期），已忽略",
    "left_on": "离职信息与已有记录冲突，已忽略",
}


def left_out(row: RosterRow, err: DomainError, field: str) -> dict[str, Any]:
    name = err.field or field
    zh = _LEFT_OUT_ZH.get(name, "与已有记录冲突，已忽略")
    return {**at(row), "warning": f"{name}: {err}; left out / {zh}"}


def certificate_and_departure(
    worker: Worker, row: RosterRow, today: date, warnings: list[dict[str, Any]]
) -> None:
    if row.cert_level and row.certified_on:
        try:
            worker.certify(row.cert_level, row.certified_on, row.cert_no, today)
        except DomainError as err:
            warnings.append(left_out(row, err, "cert_level"))
    if row.left_on and worker.left_on is None:
        try:
            worker.leave(row.left_on, None)
        except DomainError as err:
            warnings.append(left_out(row, err, "left_on"))


def at(row: RosterRow) -> dict[str, Any]:
    """Where a report's entry about ``row`` is: its sheet (when the workbook had more than
    one read) and its row number."""
    if row.sheet is None:
        return {"row": row.row_number}
    return {"sheet": row.sheet, "row": row.row_number}


def place(row: RosterRow) -> tuple[str, str]:
    """The row as a message names it: ("row 3", "第 3 行"), or with its sheet."""
    if row.sheet is None:
        return f"row {row.row_number}", f"第 {row.row_number} 行"
    number, sheet = row.row_number, row.sheet
    return f"row {number} of sheet {sheet}", f"工作表“{sheet}”第 {number} 行"


async def registered_ids(tx: Transaction, department: str, hashes: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(hashes), 500):
        rows = await tx.conn.execute(
            select(personal_data.c.id_number_hash, personal_data.c.worker_id).where(
                (personal_data.c.department == department)
                & personal_data.c.id_number_hash.in_(hashes[start : start + 500])
            )
        )
        found.update({r.id_number_hash: f"worker {r.worker_id}" for r in rows})
    return found


def _reported_id(row: RosterRow) -> str | None:
    """The ID number as valid, else as typed (only ever masked before it leaves)."""
    return row.id_number.number if row.id_number else row.raw_id_number


def _year_by_age(row: RosterRow, today: date) -> int | None:
    """A row's 年龄 as the year it puts the birth in (this year minus it: ±1, as the list
    may be a year old and the birthday may not have come yet) — never a birth date."""
    return today.year - row.age if row.age is not None else None
