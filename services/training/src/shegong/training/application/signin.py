"""A sign-in sheet (签到表) recorded for one session: every row recorded, counted once
(signed in already), or refused naming its field — in English and Chinese.

Who a row is: its ID number or phone, else its name (and unit), else its meeting
nickname (:mod:`~shegong.training.imports.presence`). Whether they came: the sheet's
own words, read before anyone is looked up. A row of a punch-in app's records that only
says a punch is missing (上班未打卡) is counted once with the person's other row of the
day when there is one, and refused as an absence when there is none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.data.sheets import TabularFileError
from shegong.training.application.people import Person, loop_turn, resolve_person
from shegong.training.domain.session import Session
from shegong.training.imports.completion import completed
from shegong.training.imports.credits import credit_hours, sheet_rules
from shegong.training.imports.id_tail import id_tail
from shegong.training.imports.meetings import apply_nickname
from shegong.training.imports.presence import (
    MissedPunch,
    app_day,
    check_presence,
    row_hours,
    sheets_signed,
    sign_in_cell,
    signature,
    signed_for,
    unit_in_name,
)
from shegong.training.imports.sheets import (
    CHINA,
    SIGNIN_COLUMNS,
    RowProblem,
    SheetRow,
    parse_signed_at,
    read_sheet,
    sign_in_day,
)
from shegong.training.imports.stay import check_progress, check_stay

if TYPE_CHECKING:
    from shegong.training.application.imports import ImportReport

Touched = dict[str, list[tuple[str | None, int]]]


def signin_rows(data: bytes, filename: str) -> list[SheetRow]:
    """A sign-in sheet's rows, found by its 姓名 column — or, a meeting's participant list
    without one, by its 用户昵称 column; a file with neither is refused naming 姓名."""
    try:
        return list(read_sheet(data, filename, SIGNIN_COLUMNS, ["name"]))
    except TabularFileError as err:
        try:
            return list(read_sheet(data, filename, SIGNIN_COLUMNS, ["nickname"]))
        except TabularFileError:
            raise err from None


async def record_signins(
    conn: Any,
    hasher: PersonalDataHasher,
    session: Session,
    rows: list[SheetRow],
    own: str | None,
    report: ImportReport,
    touched: Touched,
) -> None:
    """Each row into ``session`` and ``report``; ``own``: a department key's department
    (it signs in its own workers only, SECURITY.md); ``touched``: the departments whose
    people rows named, refused (for the access log)."""
    nicknames = [apply_nickname(row) for row in rows]
    signing = sheets_signed(rows)
    per_credit = sheet_rules(rows)  # 1学分=2学时, as each sheet states it
    seen: dict[str, str] = {}
    missed: list[tuple[SheetRow, str | None, MissedPunch]] = []

    async def person(row: SheetRow, name: str | None) -> Person:
        id_number, phone = row.identity(by_name=True)
        return await resolve_person(
            conn,
            hasher,
            name,
            id_number,
            phone,
            only_department=own,
            organization=row.text("organization") or unit_in_name(name),
            by_name=True,
            id_tail=id_tail(row),
        )

    def refuse(row: SheetRow, nickname: str | None, problem: RowProblem) -> None:
        if nickname is not None and problem.field in ("name", "organization"):
            problem = RowProblem(
                "nickname",
                f"nickname “{nickname}”: {problem.reason}",
                f"昵称“{nickname}”：{problem.reason_zh}",
                problem.touched,
            )
        report.reject(row, problem, row.text("name"))
        if problem.touched:
            touched.setdefault(problem.touched, []).append((row.sheet, row.row))

    for row, nickname in zip(rows, nicknames, strict=True):
        report.rows_read += 1
        await loop_turn(report.rows_read)
        name = row.text("name")
        try:
            # 缺卡, 请假, a blank box where others signed: no lookup needed
            check_presence(row, row.sheet in signing)
            check_progress(row)  # 完成进度 85%: the course not finished
            check_stay(row, session.hours, session.held_on)  # 签到 09:00, 签退 09:05
            signed_for(sign_in_cell(row), name)  # 李娜代 in 张伟's box: 代签
        except MissedPunch as problem:  # decided once every row of the day is read
            missed.append((row, nickname, problem))
            continue
        except RowProblem as problem:
            refuse(row, nickname, problem)
            continue
        try:
            who = await person(row, name)
            hours = completion_hours(row, session.hours, per_credit.get(row.sheet))
            cell = sign_in_cell(row)  # 3月10日 请假 | 3月11日 √: the day they came
            on = session.held_on  # 3月1日 8:30: the session's year
            row.values["signed_on"] = app_day(row.values.get("signed_on"), on)
            signed_at = parse_signed_at(
                None if signature(cell, name) else app_day(cell, on),
                sign_in_day(row, session.held_on),
            )
        except RowProblem as problem:
            refuse(row, nickname, problem)
            continue
        attended = session.attend(who.worker_id, signed_at, "sign_in_sheet")
        if hours is not None and session.complete(
            who.worker_id, hours, None, signed_at.astimezone(CHINA).date()
        ):
            report.completed += 1
        if attended:
            report.recorded += 1
            seen[who.worker_id] = row.place
        else:
            first = seen.get(who.worker_id)
            reason = (
                f"already signed in ({first})" if first else "already signed in before this sheet"
            )
            _repeat(report, row, who, reason, "重复签到，只计一次")
    for row, nickname, absence in missed:
        try:
            who = await person(row, row.text("name"))
        except RowProblem as lookup:
            if lookup.touched:  # another department's worker: in the access log
                touched.setdefault(lookup.touched, []).append((row.sheet, row.row))
            refuse(row, nickname, absence)  # the absence is what the row says
            continue
        if who.worker_id not in session.attended:
            refuse(row, nickname, absence)
            continue
        first = seen.get(who.worker_id)
        said, said_zh = absence.on_this_row
        _repeat(
            report,
            row,
            who,
            f"{said}, signed in on another ({first or 'before this sheet'})",
            f"{said_zh}，已在其他记录签到，只计一次",
        )
    _in_sheet_order(report, rows)


def completion_hours(row: SheetRow, session_hours: float, per_credit: float | None) -> float | None:
    """The hours a row completes (``None``: attendance only): its 学时, else its 学分 by the
    sheet's rule — none where its 结业 column says 否, the session's where it says 是 and
    gives no hours of its own."""
    done = completed(row)
    if done is False:  # 未结业: they came, and did not complete it
        return None
    hours = row_hours(row, session_hours)  # 学时: a completion
    if hours is None:  # 学分, by the sheet's rule
        hours = credit_hours(row, per_credit, session_hours)
    given = any(row.values.get(f) not in (None, "") for f in ("hours", "credits"))
    return session_hours if hours is None and done and not given else hours


def _in_sheet_order(report: ImportReport, rows: list[SheetRow]) -> None:
    """The report's rows in the sheet's order (a missing punch is decided last)."""
    rank: dict[str | None, int] = {}
    for row in rows:
        rank.setdefault(row.sheet, len(rank))

    def key(entry: dict[str, Any]) -> tuple[int, int]:
        return rank.get(entry.get("sheet"), 0), int(entry["row"])

    report.rejected.sort(key=key)
    report.repeated.sort(key=key)


def _repeat(report: ImportReport, row: SheetRow, who: Person, reason: str, zh: str) -> None:
    report.repeated.append(
        {**row.at, "name": who.name, "worker_id": who.worker_id, "reason": reason, "reason_zh": zh}
    )
