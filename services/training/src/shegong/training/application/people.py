"""Who a row of a sheet is: resolved to a registry ``worker_id`` through training's own
view of the workforce, by the keyed hash of the ID number, else of the phone.

A person nobody registered is never invented: the caller reports the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.data.identity import (
    PersonalDataError,
    PersonalDataHasher,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.data.names import name_key
from shegong.training.imports.sheets import RowProblem
from shegong.training.projections.workforce import trainees


@dataclass(frozen=True)
class Person:
    worker_id: str
    name: str
    department: str


async def resolve_person(
    conn: AsyncConnection,
    hasher: PersonalDataHasher,
    name: str | None,
    id_number: str | None,
    phone: str | None,
    prefer_department: str | None = None,
    only_department: str | None = None,
) -> Person:
    """The registered worker this row names, or :class:`RowProblem` saying why not.

    The same person on several departments' rosters: ``prefer_department``'s record
    first (a department's own sheet names its own workers). With ``only_department`` (a
    department key's sheet) nobody else is found: a row naming another department's
    worker is "not found among your department's workers" — never their name, never
    whose they are — and the problem's ``touched`` says which department it was, for
    the access log."""
    if name and len(name) > 1024:  # no name is; refused before it is normalised
        raise RowProblem("name", "is longer than 64 characters", "超过64个字符")
    if not id_number and not phone:
        raise RowProblem(
            "id_number",
            "neither an ID number nor a phone: the person cannot be identified",
            "身份证号和手机号均为空，无法确认身份",
        )
    conds = []
    try:
        if id_number:
            conds.append(
                (
                    "id_number",
                    trainees.c.id_number_hash
                    == hasher.id_number(parse_resident_id(id_number).number),
                )
            )
        if phone:
            conds.append(("phone", trainees.c.phone_hash == hasher.phone(normalize_phone(phone))))
    except PersonalDataError as err:
        # A mistyped phone beside a good ID number takes nothing down: the number says who.
        if err.field != "phone" or not conds:
            raise RowProblem(err.field, err.reason, err.reason_zh) from None
    for field, cond in conds:
        rows = (
            await conn.execute(
                select(
                    trainees.c.worker_id,
                    trainees.c.name,
                    trainees.c.left_on,
                    trainees.c.department,
                )
                .where(cond)
                # The same person on several departments' rosters: prefer the named
                # department's record, someone still employed, the earliest registration.
                .order_by(
                    trainees.c.department != (prefer_department or ""),
                    trainees.c.left_on.is_not(None),
                    trainees.c.registered_on,
                )
            )
        ).all()
        if only_department is not None:
            others = [r for r in rows if r.department != only_department]
            rows = [r for r in rows if r.department == only_department]
            if not rows and others:
                raise RowProblem(
                    field,
                    "not found among your department's workers",
                    "本部门人员中查无此人",
                    touched=others[0].department,
                )
        if not rows:
            continue
        row = rows[0]
        # The ID number or phone says who the row is; the name only confirms it, in
        # either script and however it is spaced (劉麗華 is 刘丽华).
        if name and name_key(name) != name_key(row.name):
            raise RowProblem(
                "name",
                f"name {name!r} does not match the registered worker with this {field} "
                f"({row.name})",
                f"姓名“{name}”与登记的人员（{row.name}）不一致",
            )
        return Person(row.worker_id, row.name, row.department)
    raise RowProblem(
        "id_number" if id_number else "phone",
        "unknown person: nobody with this ID number or phone is registered "
        "(register them in the registry first)",
        "查无此人：人员库中没有该身份证号或手机号的登记（请先在人员库登记）",
    )
