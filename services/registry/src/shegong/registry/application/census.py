"""Census commands: a clerk's decision on a pair, and admissions to the expert pool."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from shegong.contracts.registry import (
    CensusPairDecided,
    CensusTrainingRequested,
    CertificateLevel,
    ExpertAdmitted,
)
from shegong.kernel.data.identity import PersonalDataHasher, mask_id_number
from shegong.kernel.data.names import name_key
from shegong.kernel.data.sheets import RowRejection
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.registry.census import review as census_review
from shegong.registry.census.tables import certificates, records
from shegong.registry.imports.expert_pool import ExpertRow, parse_expert_pool

MIN_EXPERT_LEVEL = CertificateLevel.INTERMEDIATE


class CensusCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def decide(
        self, a: str, b: str, same: bool, note: str | None, ctx: CommandContext
    ) -> dict[str, Any]:
        """Record a clerk's decision; the census applies it (and keeps it) as it arrives."""
        if a == b:
            raise DomainError(
                "a decision needs two different records", field="b", zh="一次判定需要两条不同的记录"
            )
        async with self.store.transaction(ctx) as tx:
            found = await census_review.record_keys(tx.conn, [a, b])
            for name, key in (("a", a), ("b", b)):
                if key not in found:
                    raise DomainError(
                        f"record {key} is not in the census",
                        field=name,
                        code="not_found",
                        zh=f"记录 {key} 不在普查中",
                    )
            a, b = sorted((a, b))
            pa, pb = found[a].person_id, found[b].person_id
            if same and pa != pb:
                hashes = await census_review.id_hashes_of_persons(tx.conn, [pa, pb])
                if len(hashes) > 1:
                    raise DomainError(
                        "these records belong to persons with two different valid ID numbers; "
                        "two ID numbers are never one person / "
                        "两个不同的有效身份证号不能合并为一人",
                        field="same",
                        code="conflict",
                    )
            if not same and b in await census_review.clerk_same_closure(
                tx.conn, a, excluding=(a, b)
            ):
                raise DomainError(
                    "other clerks decided these records are the same person; revise those "
                    "decisions first / 已有人工判定将二者合并，请先修改那些判定",
                    field="same",
                    code="conflict",
                )
            stream = f"census-decision:{a}|{b}"
            event = CensusPairDecided(a=a, b=b, same=same, by=ctx.actor or "anonymous", note=note)
            await tx.lock()
            version = await tx.stream_version(stream)
            [envelope] = await tx.append(stream, "census-decision", version, [event])
        return {
            "a": a,
            "b": b,
            "same": same,
            "event_id": envelope.id,
            "position": envelope.sequence,
        }

    async def request_training(self, ctx: CommandContext) -> dict[str, Any]:
        """Ask the census to learn its model again; it does so as it reaches the request."""
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            version = await tx.stream_version("census-training")
            event = CensusTrainingRequested(by=ctx.actor or "anonymous")
            [envelope] = await tx.append("census-training", "census-training", version, [event])
        return {"event_id": envelope.id, "position": envelope.sequence}


@dataclass
class ExpertPoolReport:
    rows_read: int = 0
    admitted: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        rows = {(r.get("sheet"), r["row"]) for r in self.rejected}  # a sheet's row
        return {**self.__dict__, "rejected_rows": len(rows)}


class ExpertPoolImporter:
    """Admits the listed persons to the expert pool (专家库) when the census shows them
    holding 社会工作师 (intermediate) or above on the admission date."""

    def __init__(self, store: EventStore, hasher: PersonalDataHasher) -> None:
        self.store, self.hasher = store, hasher

    async def import_file(
        self, data: bytes, filename: str, ctx: CommandContext, *, today: date | None = None
    ) -> ExpertPoolReport:
        parsed = parse_expert_pool(data, filename, today=today)
        report = ExpertPoolReport(
            rows_read=parsed.rows_read, ignored_columns=parsed.ignored_columns
        )
        rejected = list(parsed.rejections)
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            seen: set[str] = set()
            for row in parsed.rows:
                id_hash = self.hasher.id_number(row.id_number.number)

                def refuse(
                    field_name: str, reason: str, reason_zh: str, row: ExpertRow = row
                ) -> None:
                    rejected.append(
                        RowRejection(row.row_number, field_name, None, reason, reason_zh, row.sheet)
                    )

                if id_hash in seen:
                    refuse(
                        "id_number", "is listed twice in this file", "身份证号：本文件中重复出现"
                    )
                    continue
                seen.add(id_hash)
                keys = [
                    r
                    for r in await tx.conn.execute(
                        select(records.c.key, records.c.name).where(records.c.id_hash == id_hash)
                    )
                ]
                if not keys:
                    refuse(
                        "id_number",
                        "no department reports this ID number; import the roster that lists "
                        "this person first",
                        "身份证号：人员库中没有此人，请先导入其所在部门的花名册",
                    )
                    continue
                wanted = name_key(row.name)
                if all(name_key(k.name) != wanted for k in keys):
                    refuse(
                        "name",
                        "does not match the name the census holds for this ID number",
                        "姓名：与人员库中该身份证号对应的姓名不一致",
                    )
                    continue
                person_keys = [
                    r.key
                    for r in await tx.conn.execute(
                        select(records.c.key).where(
                            records.c.person_id.in_(
                                select(records.c.person_id).where(records.c.id_hash == id_hash)
                            )
                        )
                    )
                ]
                held = [
                    CertificateLevel(r.level)
                    for r in await tx.conn.execute(
                        select(certificates.c.level).where(
                            certificates.c.key.in_(person_keys)
                            & (certificates.c.certified_on <= row.admitted_on)
                        )
                    )
                ]
                highest = max(held, key=lambda lvl: lvl.rank, default=None)
                if highest is None or highest.rank < MIN_EXPERT_LEVEL.rank:
                    has = f"{highest.zh} ({highest.value})" if highest else "no certificate"
                    has_zh = highest.zh if highest else "无证书"
                    refuse(
                        "admitted_on",
                        f"admission needs {MIN_EXPERT_LEVEL.zh} ({MIN_EXPERT_LEVEL.value}) or "
                        f"above held on {row.admitted_on}; the census shows {has}",
                        f"入库日期：入库需在{row.admitted_on}前取得{MIN_EXPERT_LEVEL.zh}及以上证书，"
                        f"人员库显示为{has_zh}",
                    )
                    continue
                stream = f"expert:{id_hash}"
                if await tx.stream_version(stream):
                    report.unchanged += 1
                    continue
                await tx.append(
                    stream,
                    "expert",
                    0,
                    [
                        ExpertAdmitted(
                            id_number_hash=id_hash,
                            id_number_masked=mask_id_number(row.id_number),
                            name=row.name,
                            admitted_on=row.admitted_on,
                            level=highest,
                        )
                    ],
                )
                report.admitted += 1
            report.events = len(tx.appended)
        rejected.sort(key=lambda r: (r.sheet or "", r.row_number))
        report.rejected = [r.report() for r in rejected]
        return report
