"""Sheet imports: sign-in sheets (签到表) for a session and national exam results.

Every row ends in the report — recorded, a repeat of someone already signed in
(counted once), or rejected with its row number, field and reason. A bad row never
takes the good ones down; a re-imported sheet records nothing new.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from shegong.contracts.access import AccessRecorded
from shegong.contracts.training import ExamResultRecorded, exam_certified_on
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.data.sheets.cells import preview
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.kernel.web.access_log import record_access
from shegong.training.application.handlers import TrainingCommands
from shegong.training.application.people import loop_turn, resolve_person
from shegong.training.application.signin import record_signins, signin_rows
from shegong.training.domain.records import ExamResult, exam_id
from shegong.training.imports.exam_rows import (
    exam_level,
    exam_passed,
    exam_year,
    parse_day,
    read_exam_sheet,
)
from shegong.training.imports.exam_tickets import check_ticket
from shegong.training.imports.sheets import RowProblem, SheetRow

# The subjects of each level's national exam (全国社会工作者职业水平考试): 初级 综合能力 and
# 实务; 中级 the two and 法规与政策; 高级 one (高级社会工作实务), then a review.
SUBJECTS = {"assistant": 2, "intermediate": 3, "senior": 1}
_SUBJECT_WORDS = re.compile(r"[（(].*?[）)]|社会工作|初级|中级|高级|科目|[\s\d、.:：]")


def _subject(text: str) -> str:
    """A subject as one list or another names it: 社会工作综合能力（初级） is 综合能力."""
    return _SUBJECT_WORDS.sub("", text) or text


_BILINGUAL = re.compile(r"(.*?)\s*[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]", re.S)


@dataclass
class ImportReport:
    kind: str
    rows_read: int = 0
    recorded: int = 0
    # completions (结业) recorded with a 学时 column's hours
    completed: int = 0
    repeated: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # the form's own lines (合计, 制表人：, the header again), as the roster import lists them
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0

    def reject(self, row: SheetRow, problem: RowProblem | DomainError, name: str | None) -> None:
        entry: dict[str, str | None]
        if isinstance(problem, RowProblem):
            entry = {
                "field": problem.field,
                "reason": problem.reason,
                "reason_zh": problem.reason_zh,
            }
        else:  # a rule's message: English, then its Chinese in brackets
            said = _BILINGUAL.fullmatch(str(problem))
            english, chinese = said.groups() if said else (str(problem), None)
            entry = {"field": problem.field, "reason": english, "reason_zh": chinese}
        # The sheet's words are quoted, never a whole ID number or phone (a shifted column).
        entry = {k: redact_numbers(v) for k, v in entry.items()}
        # The name as typed, cut as every report cuts a quoted cell (40 characters): a
        # 238 KB workbook of 4,000 names of 32,000 characters answered 129 MB.
        listed = self.skipped_lines if getattr(problem, "form_line", False) else self.rejected
        listed.append({**row.at, "name": preview("name", name), **entry})

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows_read": self.rows_read,
            "recorded": self.recorded,
            "completed": self.completed,
            "repeated": self.repeated,
            "rejected": self.rejected,
            "skipped_lines": self.skipped_lines,
            "events": self.events,
        }


class SheetImporter:
    def __init__(self, store: EventStore, hasher: PersonalDataHasher) -> None:
        self.store, self.hasher = store, hasher

    async def import_signin(
        self, session_id: str, data: bytes, filename: str, ctx: CommandContext
    ) -> ImportReport:
        """Sign-in sheet (姓名, 身份证号 and/or 手机号 — or 工作单位 —, 签到时间) for one
        session. A row without an ID number or phone is found by its name (and unit):
        the one registered person of that name (at that unit), else refused."""
        report = ImportReport("sign_in_sheet")
        own = ctx.department if ctx.role == "department" else None
        rows = await asyncio.to_thread(signin_rows, data, filename)  # off the loop
        touched: dict[str, list[tuple[str | None, int]]] = {}
        async with self.store.transaction(ctx) as tx:
            session = await TrainingCommands.session(tx, session_id)
            await record_signins(tx.conn, self.hasher, session, rows, own, report, touched)
            report.events = len(await tx.save(session))
        await self._record_refused_lookups(ctx, f"/sessions/{session_id}/signin-sheet", touched)
        return report

    async def import_exams(
        self, data: bytes, filename: str, ctx: CommandContext, year: int | None = None
    ) -> ImportReport:
        """National exam results (姓名, 身份证号, 考试年度, 级别, 是否通过).

        A result is its worker's department's record: a department key's sheet records
        its own workers' results, and reports a row naming another department's worker
        as rejected (field ``department``). A list of one row per subject (科目) gives one
        result per person, year and level: passed when every subject of that exam is on
        the list and passed (:data:`SUBJECTS`)."""
        own = ctx.department if ctx.role == "department" else None
        report = ImportReport("exam_results")
        rows = await asyncio.to_thread(read_exam_sheet, data, filename, year)  # off the loop
        touched: dict[str, list[tuple[str | None, int]]] = {}
        async with self.store.transaction(ctx) as tx:
            results: list[ExamResult] = []
            subjects: dict[str, list[tuple[SheetRow, ExamResultRecorded, str]]] = {}
            for row in rows:
                report.rows_read += 1
                await loop_turn(report.rows_read)
                name = row.text("name")
                try:
                    event, person_name = await self._exam_row(tx.conn, row, name, own)
                    subject = row.text("subject")
                    if subject is not None:  # one subject: decided once the list is read
                        stream = exam_id(event.worker_id, event.exam_year, event.level)
                        subjects.setdefault(stream, []).append((row, event, person_name))
                        continue
                    await self._record_exam(tx, row, event, person_name, results, report)
                except (RowProblem, DomainError) as problem:
                    report.reject(row, problem, name)
                    if isinstance(problem, RowProblem) and problem.touched:
                        touched.setdefault(problem.touched, []).append((row.sheet, row.row))
            for group in subjects.values():
                try:
                    await self._record_subjects(tx, group, results, report)
                except DomainError as problem:  # contradicts a result recorded before
                    for row, _, person_name in group:
                        report.reject(row, problem, person_name)
            report.events = len(await tx.save_all(results))
        await self._record_refused_lookups(ctx, "/imports/exam-results", touched)
        return report

    async def _exam_row(
        self, conn: Any, row: SheetRow, name: str | None, own: str | None
    ) -> tuple[ExamResultRecorded, str]:
        """The result a row says, for the person it names (and their registered name)."""
        check_ticket(row)  # a 准考证号 the 报名表 does not have
        id_number, phone = row.identity()
        person = await resolve_person(conn, self.hasher, name, id_number, phone, own, own)
        year = exam_year(row)
        level = exam_level(row)
        passed = exam_passed(row, SUBJECTS.get(level, 1))
        certified_on = parse_day(row.values.get("certified_on"))
        if passed and certified_on and certified_on > date.today():
            raise RowProblem("certified_on", "date is in the future", "日期晚于今天")
        event = ExamResultRecorded(
            worker_id=person.worker_id,
            exam_year=year,
            level=level,  # type: ignore[arg-type]
            passed=passed,
            certified_on=exam_certified_on(year, certified_on, date.today()) if passed else None,
            certificate_no=row.text("certificate_no") if passed else None,
        )
        return event, person.name

    async def _record_exam(
        self,
        tx: Any,
        row: SheetRow,
        event: ExamResultRecorded,
        person_name: str,
        results: list[ExamResult],
        report: ImportReport,
    ) -> None:
        stream = exam_id(event.worker_id, event.exam_year, event.level)
        result = next((r for r in results if r.id == stream), None)
        result = result or await tx.load(ExamResult, stream) or ExamResult(stream)
        if result.record_result(event):
            report.recorded += 1
            if result not in results:
                results.append(result)
        else:
            report.repeated.append(
                {
                    **row.at,
                    "name": person_name,
                    "worker_id": event.worker_id,
                    "reason": "this result is already recorded",
                    "reason_zh": "该成绩已登记",
                }
            )

    async def _record_subjects(
        self,
        tx: Any,
        group: list[tuple[SheetRow, ExamResultRecorded, str]],
        results: list[ExamResult],
        report: ImportReport,
    ) -> None:
        """One exam's subjects, one row each: a pass when every subject the level's exam
        has is on the list and passed, a fail when any is failed; with subjects missing
        and none failed the result is unknown, and its rows are refused saying so."""
        first_row, first, person_name = group[0]
        written = {_subject(row.text("subject") or "") for row, _, _ in group}
        failed = [event for _, event, _ in group if not event.passed]
        needed = SUBJECTS.get(first.level, 1)
        if not failed and len(written) < needed:
            for row, _, _ in group:
                report.reject(
                    row,
                    RowProblem(
                        "subject",
                        f"subject: {len(written)} of the exam's {needed} subjects on the list; "
                        "the result is not known until every subject is",
                        f"科目：名单上只有该级别考试{needed}个科目中的{len(written)}个，"
                        "无法确定是否通过",
                    ),
                    person_name,
                )
            return
        passed = not failed
        dated = next((e for _, e, _ in group if e.passed and e.certificate_no), first)
        event = first.model_copy(
            update={
                "passed": passed,
                "certified_on": dated.certified_on if passed else None,
                "certificate_no": dated.certificate_no if passed else None,
            }
        )
        await self._record_exam(tx, first_row, event, person_name, results, report)
        for row, _, _ in group[1:]:
            report.repeated.append(
                {
                    **row.at,
                    "name": person_name,
                    "worker_id": first.worker_id,
                    "reason": "another subject of the same exam (one result)",
                    "reason_zh": "同一考试的其他科目（合并为一个结果）",
                }
            )

    async def _record_refused_lookups(
        self, ctx: CommandContext, path: str, touched: dict[str, list[tuple[str | None, int]]]
    ) -> None:
        """Rows that named another department's people: refused, and in the access log
        (which department, how many rows, which — never who). A department's sheet that
        named none leaves a record too: otherwise that record was the one write of an
        all-refused sheet, and its time told whose the sheet's numbers were."""
        lookup = partial(
            AccessRecorded,
            what="person_lookup",
            viewer=ctx.actor or "anonymous",
            viewer_key_id=ctx.key_id,
            viewer_role=ctx.role or "open",
            viewer_department=ctx.department if ctx.role == "department" else None,
            method="POST",
            path=path,
        )
        if ctx.role == "department" and not touched:
            await record_access(self.store, lookup(outcome="read"))
        for department, numbers in sorted(touched.items()):
            shown = _rows_named(numbers[:50])
            reason = f"{shown}{' …' if len(numbers) > 50 else ''} name people of another department"
            await record_access(
                self.store,
                lookup(outcome="refused", department=department, rows=len(numbers), reason=reason),
            )


def _rows_named(rows: list[tuple[str | None, int]]) -> str:
    """ "rows 2, 3" — or, of a workbook read sheet by sheet, "rows 2, 3 of sheet 大祥区; …"."""
    by_sheet: dict[str | None, list[str]] = {}
    for sheet, number in rows:
        by_sheet.setdefault(sheet, []).append(str(number))
    return "; ".join(
        f"row{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
        + (f" of sheet {sheet}" if sheet else "")
        for sheet, numbers in by_sheet.items()
    )
