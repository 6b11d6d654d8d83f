"""Who a row of a sheet is: resolved to a registry ``worker_id`` through training's own
view of the workforce, by the keyed hash of the ID number, else of the phone — or, on a
sign-in sheet that gives neither (姓名 and 工作单位, as paper sheets are), by the name
where exactly one registered person bears it, or one at the unit the row names.

A person nobody registered is never invented, nor guessed between namesakes: the caller
reports the row.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.data.identity import (
    PersonalDataError,
    PersonalDataHasher,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.data.names import name_key, normalize_name, read_alike, to_simplified
from shegong.kernel.events.census_links import linked_components
from shegong.training.imports.id_tail import tail_digests, tail_matches
from shegong.training.imports.sheets import RowProblem
from shegong.training.projections.workforce import links, trainees

# What a lookup reads of a registered worker: who, whose, where, and since when.
_WHO = (
    trainees.c.worker_id,
    trainees.c.name,
    trainees.c.department,
    trainees.c.organization,
    trainees.c.record_key,
    trainees.c.left_on,
    trainees.c.registered_on,
    trainees.c.id_number_parts,
)


@dataclass(frozen=True)
class Person:
    worker_id: str
    name: str
    department: str


LOOP_TURN_ROWS = 50  # a sheet's rows between two turns of the event loop (loop_turn)


async def loop_turn(rows_done: int) -> None:
    """Every ``LOOP_TURN_ROWS`` rows of a sheet, let the event loop serve what waits.
    SQLite's statements run on the loop's thread (kernel ``ops/db.py``): a sheet's rows,
    each looked up in the transaction that stores them, held training's loop — every
    request, ``/health`` too — 24 s for a 5,000-row exam sheet (round 9). Other writers
    wait for the transaction's lock off the loop; the transaction stays one."""
    if rows_done % LOOP_TURN_ROWS == 0:
        await asyncio.sleep(0)


async def resolve_person(
    conn: AsyncConnection,
    hasher: PersonalDataHasher,
    name: str | None,
    id_number: str | None,
    phone: str | None,
    prefer_department: str | None = None,
    only_department: str | None = None,
    organization: str | None = None,
    by_name: bool = False,
    id_tail: str | None = None,
) -> Person:
    """The registered worker this row names, or :class:`RowProblem` saying why not.

    The same person on several departments' rosters: ``prefer_department``'s record
    first (a department's own sheet names its own workers). With ``only_department`` (a
    department key's sheet) nobody else is found: a row naming another department's
    worker is "not found among your department's workers" — never their name, never
    whose they are, in the same words as a number nobody registered, and a row found by
    its phone is found whoever has its ID number — and the problem's ``touched`` says
    which department it was, for the access log. ``by_name``: a row without either is
    found by its name (and ``organization``, and ``id_tail``: the ID number's last four)
    instead (:func:`_by_name`)."""
    if name and len(name) > 1024:  # no name is; refused before it is normalised
        raise RowProblem("name", "is longer than 64 characters", "超过64个字符")
    if not id_number and not phone and by_name and name:
        return await _by_name(conn, name, organization, only_department, (hasher, id_tail))
    if not id_number and not phone:
        raise RowProblem(
            "id_number",
            "neither an ID number nor a phone: the person cannot be identified",
            "身份证号和手机号均为空，无法确认身份",
        )
    conds = []
    if id_number:
        try:
            number = parse_resident_id(id_number).number
            conds.append(("id_number", trainees.c.id_number_hash == hasher.id_number(number)))
        except PersonalDataError as err:
            # A sign-in row's ID number typed wrong (its check character, a digit short)
            # beside a phone: the phone says who, as beside a number Excel mangled.
            if not (by_name and phone):
                raise RowProblem(err.field, err.reason, err.reason_zh) from None
            id_number = None
    try:
        if phone:
            conds.append(("phone", trainees.c.phone_hash == hasher.phone(normalize_phone(phone))))
    except PersonalDataError as err:
        # A mistyped phone beside a good ID number takes nothing down: the number says who.
        if err.field != "phone" or not conds:
            raise RowProblem(err.field, err.reason, err.reason_zh) from None
    touched: str | None = None
    for field, cond in conds:
        rows = (
            await conn.execute(
                select(*_WHO)
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
            # Another department's worker is nobody here: the answer must not tell
            # "theirs" from "nobody's" (a sheet of every number a mask allows did).
            own = [r for r in rows if r.department == only_department]
            touched = touched or next((r.department for r in rows if r not in own), None)
            rows = own
        if not rows:
            continue
        row = rows[0]
        # The ID number or phone says who the row is; the name only confirms it, in
        # either script and however it is spaced (劉麗華 is 刘丽华), or with a character
        # typed for one read alike (马小燕 for 马晓燕) — a name of another sound is not.
        if name and not read_alike(name, row.name):
            raise RowProblem(
                "name",
                f"name {name!r} does not match the registered worker with this {field} "
                f"({row.name})",
                f"姓名“{name}”与登记的人员（{row.name}）不一致",
            )
        return Person(row.worker_id, row.name, row.department)
    if by_name and name and not id_number:
        # A phone that finds nobody (changed, mistyped when the sheet was typed up): the
        # name and unit beside it, as on a paper sheet — the same answer whoever else
        # holds the phone, since only the caller's own workers are looked at either way.
        return await _phone_then_name(
            conn, name, organization, only_department, touched, (hasher, id_tail)
        )
    if only_department is not None:
        raise RowProblem(
            "id_number" if id_number else "phone",
            "not found among your department's workers",
            "本部门人员中查无此人",
            touched=touched,
        )
    raise RowProblem(
        "id_number" if id_number else "phone",
        "unknown person: nobody with this ID number or phone is registered "
        "(register them in the registry first)",
        "查无此人：人员库中没有该身份证号或手机号的登记（请先在人员库登记）",
    )


async def _phone_then_name(
    conn: AsyncConnection,
    name: str,
    organization: str | None,
    only_department: str | None,
    touched: str | None,
    tail: tuple[PersonalDataHasher | None, str | None],
) -> Person:
    """:func:`_by_name` for a row whose phone found nobody; refused, the reason says the
    phone found nobody first, in the words a number nobody registered gets."""
    try:
        return await _by_name(conn, name, organization, only_department, tail)
    except RowProblem as problem:
        if only_department is not None:
            phone, phone_zh = "not found among your department's workers", "本部门人员中查无此人"
        else:
            phone, phone_zh = "nobody with this phone is registered", "人员库中没有该手机号的登记"
        raise RowProblem(
            problem.field,
            f"phone: {phone}; by the name and unit instead: {problem.reason}",
            f"手机号：{phone_zh}；按姓名和单位查找：{problem.reason_zh}",
            touched=problem.touched or touched,
        ) from None


async def _by_name(
    conn: AsyncConnection,
    name: str,
    organization: str | None,
    only_department: str | None,
    tail: tuple[PersonalDataHasher | None, str | None] = (None, None),
) -> Person:
    """The one registered person named ``name`` — their records under several
    departments, linked by the census, are one — or, of namesakes, the one whose
    organisation is the unit the row names. Never a guess: namesakes the unit does not
    tell apart, or a unit that is none of theirs, refuse the row asking for the ID number
    or the phone (saying nothing of who the namesakes are)."""
    written = normalize_name(name)
    key = name_key(written)
    # by the name as compared (traditional or simplified, with or without the middle dot);
    # as written too, for a row projected before training_0007 left its key NULL
    rows = (
        await conn.execute(
            select(*_WHO).where(
                or_(trainees.c.name_key == key, trainees.c.name.in_({written, key}))
            )
        )
    ).all()
    # the same words whether another department has the name or nobody does
    rows = _own(rows, only_department, "name", refuse_unknown=True)
    if not rows:
        raise RowProblem(
            "name",
            "unknown person: nobody of this name is registered, and the row gives no ID "
            "number or phone to find them by (register them in the registry first)",
            "查无此人：人员库中没有该姓名的登记，且该行没有身份证号或手机号",
        )
    if organization:
        at_unit = [r for r in rows if r.organization and same_unit(organization, r.organization)]
        if not at_unit:
            raise RowProblem(
                "organization",
                "nobody of this name is registered at this unit; give the ID number or phone",
                "人员库中该单位没有此姓名的人员，请填写身份证号或手机号",
            )
        rows = at_unit
    persons = await _persons_of(conn, list(rows))
    hasher, last = tail
    if last is not None and hasher is not None:
        persons = _by_tail(persons, tail_digests(hasher, last))
    if len(persons) > 1:
        raise RowProblem(
            "name",
            "several registered persons have this name"
            + (" at this unit" if organization else "")
            + "; give the ID number or phone to tell which",
            "人员库中有多人同名"
            + ("（同一单位）" if organization else "")
            + "，请填写身份证号或手机号以确认身份",
        )
    # the person's record: still employed first, then the earliest registration
    row = min(persons[0], key=lambda r: (r.left_on is not None, r.registered_on, r.worker_id))
    return Person(row.worker_id, row.name, row.department)


def _by_tail(persons: list[list[Any]], digests: tuple[str, str]) -> list[list[Any]]:
    """Of namesakes, the one whose registered ID number ends as the row's 身份证后四位 /
    后六位 does — never a guess: a namesake whose number training cannot compare (none
    registered) might be the one, so they all stay (the row is refused as namesakes), and
    a tail that is none of theirs refuses the row naming it."""
    said = [{tail_matches(r.id_number_parts, digests) for r in p} for p in persons]
    if any(None in s and True not in s for s in said):
        return persons
    found = [p for p, s in zip(persons, said, strict=True) if True in s]
    if not found:
        raise RowProblem(
            "id_tail",
            "the ID number's last digits match no registered person of this name; "
            "give the whole ID number or the phone",
            "身份证后几位与人员库中同名人员均不一致，请填写完整身份证号或手机号",
        )
    return found


def _own(
    rows: Sequence[Any], only_department: str | None, field: str, *, refuse_unknown: bool = False
) -> Sequence[Any]:
    """``rows`` of ``only_department`` (all of them without one). None of its own but
    another department's refuses the row as "not found among your department's workers"
    (``touched`` names that department, for the access log) — and so does none at all with
    ``refuse_unknown``."""
    if only_department is None:
        return rows
    own = [r for r in rows if r.department == only_department]
    others = [r for r in rows if r.department != only_department]
    if not own and (others or refuse_unknown):
        raise RowProblem(
            field,
            "not found among your department's workers",
            "本部门人员中查无此人",
            touched=others[0].department if others else None,
        )
    return own


async def _persons_of(conn: AsyncConnection, rows: list[Any]) -> list[list[Any]]:
    """``rows`` grouped by the census person their records are (linked records are one)."""
    keys = [r.record_key for r in rows if r.record_key]
    components, _ = await linked_components(conn, links, keys) if keys else (None, set())
    groups: dict[str, list[Any]] = {}
    for r in rows:
        root = (
            components.find(r.record_key)
            if components is not None and r.record_key
            else f"worker:{r.worker_id}"
        )
        groups.setdefault(root, []).append(r)
    return list(groups.values())


# The words every unit of its kind has: what tells 红叶社工中心 from 东关社区 is what is left.
_UNIT_WORDS = re.compile(
    r"社会工作服务中心|社会工作服务站|社会工作服务社|社工服务中心|社工服务站|社工服务社|社会工作|"
    r"居民委员会|村民委员会|委员会|居委会|村委会|街道办事处|办事处|有限公司|有限责任公司|"
    r"人民政府|服务中心|服务站|服务社|社工站|社工|中心|协会|机构|服务|公司|街道|社区|"
    r"[省市区县镇乡村所站局处科室部队组]"
)
_NOT_WORD = re.compile(r"[\W_]+")


def same_unit(written: str, registered: str) -> bool:
    """Whether a sheet's 工作单位 and a registered organisation are one unit as a clerk
    reads them: the same after the words every such unit has (社会工作服务中心, 居委会,
    街道) are set aside, one within the other, or sharing two characters in a row of what
    is left (红叶社工中心 / 红叶社会工作服务中心; 东关社区 / 东关社区居委会), or sharing
    three characters in a row of it (a place's name alone — 安定 — is not enough)."""
    a, b = (_core(written), _core(registered))
    if not a or not b:
        return _plain(written) in _plain(registered) or _plain(registered) in _plain(written)
    if a in b or b in a:
        return True
    return bool(
        {a[i : i + 3] for i in range(len(a) - 2)} & {b[i : i + 3] for i in range(len(b) - 2)}
    )


def _plain(text: str) -> str:
    return _NOT_WORD.sub("", to_simplified(text)).casefold()


def _core(text: str) -> str:
    return _UNIT_WORDS.sub("", _plain(text))
