"""Importing a department's roster (花名册导入): file → events, and a report a clerk can act on.

Rows are applied in chunks, one transaction per chunk: a new row registers a worker
(with its certificate and departure, if the row has them); a row seen before with the
same content changes nothing and emits nothing; a changed row emits only what changed.
A rejected row is reported with its row number, field and reason, and never stops the
good rows (rule 8).
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import insert, update

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.ids import uuid4_strings
from shegong.kernel.events.jobs import Progress
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.raw_sql import RawStatement
from shegong.kernel.web.auth import refuse_other_department
from shegong.registry.adapters.personal_data import personal_data
from shegong.registry.adapters.roster_records import (
    Unlisted,
    known_records,
    relist_records,
    roster_records,
)
from shegong.registry.application.roster_keys import content_fingerprint, kept_apart, record_key
from shegong.registry.application.roster_rows import (
    RosterRows,
    at,
    place,
    published_record_id,
    registered_ids,
)
from shegong.registry.application.roster_sheets import repeated_rows
from shegong.registry.domain.department import Department, department_stream
from shegong.registry.domain.worker import Worker
from shegong.registry.imports.roster import RosterParse, RosterRow, parse_roster

CHUNK = 500
# A chunk's new rows as the driver's executemany (every column given): SQLAlchemy's own
# executemany built each row's parameters anew (bench/README.md, census end to end, round 11).
_NEW_RECORDS = RawStatement(insert(roster_records))
_NEW_VAULT = RawStatement(insert(personal_data))


@dataclass
class ImportReport:
    """What happened to every row; serialisable as the API's answer.

    ``events`` counts the events the rows caused (a new department's own
    DepartmentRegistered is reported as ``department_created``)."""

    department: str
    department_created: bool = False
    rows_read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # the form's own lines (合计, 填表人：, the header repeated on a printed page): no person,
    # nothing lost — not counted in ``rejected_rows``
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    events: int = 0
    last_position: int | None = None
    sheet: str | None = None  # the workbook's (first) sheet read, when it was not the first
    sheets: list[str] = field(default_factory=list)  # the workbook's sheets read
    skipped_sheets: list[str] = field(default_factory=list)  # without a 姓名 header row

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "rejected_rows": _rejected_rows(self.rejected)}


def _rejected_rows(rejected: list[dict[str, Any]]) -> int:
    """Rows refused: a row is its sheet's (a workbook of more than one sheet read)."""
    return len({(r.get("sheet"), r["row"]) for r in rejected})


class RosterImporter:
    def __init__(self, store: EventStore, hasher: PersonalDataHasher) -> None:
        self.store, self.hasher = store, hasher
        self.rows = RosterRows(hasher)

    async def import_file(
        self,
        department: str,
        data: bytes,
        filename: str,
        ctx: CommandContext,
        *,
        department_name: str | None = None,
        progress: Progress | None = None,
        today: date | None = None,
    ) -> ImportReport:
        # Off the event loop: a 163 KB workbook of 4,000 cells of 32,000 characters kept
        # the loop 26 s in the rows' checks (/health waited as long on shegong up).
        parsed = await asyncio.to_thread(parse_roster, data, filename)
        return await self.import_rows(
            department, parsed, ctx, department_name=department_name, progress=progress, today=today
        )

    async def import_rows(
        self,
        department: str,
        parsed: RosterParse,
        ctx: CommandContext,
        *,
        department_name: str | None = None,
        progress: Progress | None = None,
        today: date | None = None,
    ) -> ImportReport:
        refuse_other_department(ctx, department)  # a department imports only its own roster
        ctx = dataclasses.replace(ctx, department=department)
        report = ImportReport(
            department=department,
            rows_read=parsed.rows_read,
            ignored_columns=list(parsed.ignored_columns),
            sheet=parsed.sheet,
            sheets=list(parsed.sheets),
            skipped_sheets=list(parsed.skipped_sheets),
        )
        report.rejected = [r.report() for r in parsed.rejections if not r.form_line]
        report.skipped_lines = [r.report() for r in parsed.rejections if r.form_line]
        _check_department_name(department_name)
        rejected_rows = {(r.sheet, r.row_number) for r in parsed.rejections}
        rows = [r for r in parsed.rows if (r.sheet, r.row_number) not in rejected_rows]
        repeated = repeated_rows(rows)  # a 汇总 sheet's rows are its street sheets' rows
        # Every record the file lists: one it lists no longer may be a row's old key.
        listed = Unlisted(
            {record_key(r, repeated.get((r.sheet or "", r.row_number))) for r in rows}
        )
        # record key → (the first row's place, in English and Chinese; its content),
        # across the whole file
        seen: dict[str, tuple[tuple[str, str], str]] = {}
        rejected = _rejected_rows(report.rejected)
        if progress:
            progress(0, len(rows), rejected=rejected, linked=0)
        if not rows:  # the department is registered all the same
            async with self.store.transaction(ctx) as tx:
                report.department_created = await _ensure_department(
                    tx, department, department_name
                )
        for start in range(0, len(rows), CHUNK):
            # A new department is registered in the first chunk's transaction: one wait
            # for the write lock fewer per file, and no department without its rows.
            await self._apply_chunk(
                department,
                rows[start : start + CHUNK],
                ctx,
                report,
                today or date.today(),
                seen,
                repeated,
                listed,
                (department_name,) if start == 0 else None,
            )
            if progress:  # after the chunk's commit: rows done are rows stored
                linked = report.new + report.changed + report.unchanged  # rows on a worker
                rejected = _rejected_rows(report.rejected)
                progress(min(start + CHUNK, len(rows)), len(rows), rejected=rejected, linked=linked)
        return report

    async def _apply_chunk(
        self,
        department: str,
        rows: list[RosterRow],
        ctx: CommandContext,
        report: ImportReport,
        today: date,
        seen: dict[str, tuple[tuple[str, str], str]],
        repeated: dict[tuple[str, int], str],
        listed: Unlisted,
        register: tuple[str | None] | None = None,
    ) -> None:
        """``register``: (the department's name,) on a file's first chunk, whose
        transaction registers the department when it is new."""
        keyed: dict[str, RosterRow] = {}
        prints: dict[str, str] = {}  # record key → the row's fingerprint, computed once
        content_keyed: set[str] = set()  # reported already as another row of a taken key
        for row in rows:
            key = record_key(row, repeated.get((row.sheet or "", row.row_number)))
            fingerprint = content_fingerprint(row)
            whole = fingerprint + row.unread  # and what no field reads: 年度 2024, 2025
            if key in seen and seen[key][1] != whole:
                (first, first_zh), content = seen[key]
                # Another row under the same key (a certificate list: one row per
                # certificate): its own record, keyed by its content — by all it says where
                # it differs only where no field reads (年度: a year's row beside another's).
                other = content[:64] != fingerprint
                key = f"{key}#{(fingerprint if other else sha256(whole.encode()).hexdigest())[:12]}"
                if key not in seen:
                    content_keyed.add(key)
                    report.warnings.append({**at(row), "warning": kept_apart(key, first, first_zh)})
                if row.record_id:
                    # Its 记录编号 names another record: the census names this one by its
                    # worker id, else it would take the other's place and be lost.
                    row = dataclasses.replace(row, record_id=None)
            if key in seen:  # the same row twice (a taken key's other row too): one record
                (first, first_zh), content = seen[key]
                if content == whole:
                    report.warnings.append(
                        {
                            **at(row),
                            "warning": f"repeats {first} word for word; counted once"
                            f" / 与{first_zh}完全相同，只计一次",
                        }
                    )
                continue
            seen[key] = (place(row), whole)
            keyed[key] = row
            prints[key] = fingerprint
        now = datetime.now(UTC)
        async with self.store.transaction(ctx) as tx:
            await tx.lock()  # the duplicate-ID check below must not race another import
            if register is not None:
                report.department_created = await _ensure_department(tx, department, *register)
            known = await known_records(tx.conn, department, list(keyed))
            new_keys = [k for k in keyed if k not in known]
            known.update(await relist_records(tx.conn, department, new_keys, listed))
            # No more phones (ID numbers) behind one shown mask than a roster honestly has.
            changing = {k: r for k, r in keyed.items() if known.get(k, ("", ""))[1] != prints[k]}
            await self.rows.within_limits(tx.conn, department, changing, set(changing) - set(known))
            keyed.update(changing)
            taken = await registered_ids(
                tx,
                department,
                [
                    self.hasher.id_number(r.id_number.number)
                    for k, r in keyed.items()
                    if r.id_number and k not in known
                ],
            )
            # The department's own records of one ID number: the census makes them one
            # person; none of them is refused (a certificate list has a row per certificate).
            touched: list[Worker] = []
            new_records: list[dict[str, Any]] = []
            changed_records: list[tuple[str, str, int, dict[str, Any] | None]] = []
            vault_new: list[dict[str, Any]] = []
            vault_changed: list[dict[str, Any]] = []
            # Drawn at once: a system call per id gives up the GIL (kernel/events/ids.py).
            worker_ids = iter(uuid4_strings(len(keyed)))
            for key, row in keyed.items():
                fingerprint = prints[key]
                if key in known and known[key][1] == fingerprint:
                    report.unchanged += 1
                    continue
                first_warning = len(report.warnings)
                for warning in row.warnings:
                    report.warnings.append({**at(row), "warning": warning})
                if row.id_problem:  # kept for the census, but the clerk must know
                    report.warnings.append(
                        {
                            **at(row),
                            "warning": f"id_number: {row.id_problem}; imported without it"
                            f" / 身份证号：{row.id_problem_zh or row.id_problem}；已导入，未登记",
                        }
                    )
                try:
                    if key in known:
                        worker = await self.rows.changed(
                            tx, known[key][0], row, today, report.warnings
                        )
                        changed_records.append(
                            (
                                key,
                                fingerprint,
                                row.row_number,
                                _problems(row, report, first_warning),
                            )
                        )
                        report.changed += 1
                    else:
                        id_hash = (
                            self.hasher.id_number(row.id_number.number) if row.id_number else None
                        )
                        if id_hash and id_hash in taken and key not in content_keyed:
                            report.warnings.append(
                                {
                                    **at(row),
                                    "warning": "id_number: the department already lists this "
                                    f"ID number ({taken[id_hash]}); kept as its own record, "
                                    "one person in the census / 身份证号：本部门已有此号码的"
                                    f"记录（{taken[id_hash]}），作为单独记录保留，人员库按一人统计",
                                }
                            )
                        worker = self.rows.new(
                            department, row, today, report.warnings, next(worker_ids)
                        )
                        if id_hash and id_hash not in taken:
                            taken[id_hash] = published_record_id(row.record_id) or place(row)[0]
                        new_records.append(
                            {
                                "department": department,
                                "record_key": key,
                                "worker_id": worker.id,
                                "fingerprint": fingerprint,
                                "row_number": row.row_number,
                                "imported_at": now,
                                "problems": _problems(row, report, first_warning),
                            }
                        )
                        report.new += 1
                except DomainError as err:
                    report.rejected.append(
                        {
                            **at(row),
                            "field": err.field,
                            "value": None,
                            "reason": str(err),
                            "reason_zh": None,
                        }
                    )
                    continue
                touched.append(worker)
                (vault_changed if key in known else vault_new).append(
                    self.rows.vault(worker.id, department, row, now)
                )
            envelopes = await tx.save_all(touched)
            if new_records:
                await raw_sql.execute(tx.conn, _NEW_RECORDS, new_records)
            for key, fingerprint, row_number, problems in changed_records:
                await tx.conn.execute(
                    update(roster_records)
                    .where(
                        (roster_records.c.department == department)
                        & (roster_records.c.record_key == key)
                    )
                    .values(
                        fingerprint=fingerprint,
                        row_number=row_number,
                        imported_at=now,
                        problems=problems,
                    )
                )
            if vault_new:
                await raw_sql.execute(tx.conn, _NEW_VAULT, vault_new)
            for values in vault_changed:
                # What the row leaves blank stays as it was, and a registered ID number is
                # not replaced by a roster row (the import warns instead).
                values.pop("id_number", None)
                values.pop("id_number_hash", None)
                await tx.conn.execute(
                    update(personal_data)
                    .where(personal_data.c.worker_id == values.pop("worker_id"))
                    .values({k: v for k, v in values.items() if v is not None})
                )
        report.events += len(envelopes)
        if envelopes:
            report.last_position = envelopes[-1].sequence


def _check_department_name(name: str | None) -> None:
    if name is not None and not 1 <= len(name.strip()) <= 64:
        raise DomainError(
            "department_name: 1 to 64 characters",
            field="department_name",
            zh="部门名称（department_name）：1 至 64 个字符",
        )


async def _ensure_department(tx: Transaction, code: str, name: str | None) -> bool:
    """Register the department unless it is there; True when it was created."""
    if await tx.load(Department, department_stream(code)) is not None:
        return False
    try:
        await tx.save(Department.register(code, name or code))
    except ValueError as err:
        raise DomainError(
            f"department code {code!r}: lower-case letters, digits and "
            f"'-' only ({err.__class__.__name__})",
            field="department",
            zh=f"部门代码 {code!r}：只能用小写字母、数字和“-”",
        ) from err
    return True


def _problems(row: RosterRow, report: ImportReport, first: int) -> dict[str, Any] | None:
    """What the census quality report lists of a kept row: its number, its own key and the
    values left out (the warnings of this import; never a whole ID number or phone)."""
    warnings = [w["warning"] for w in report.warnings[first:]]
    if not warnings:
        return None
    return {**at(row), "record_id": published_record_id(row.record_id), "problems": warnings}
