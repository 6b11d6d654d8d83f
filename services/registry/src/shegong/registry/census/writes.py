"""From the census's decisions to rows and events: the records the linker reads, the
events the census appends, and the batched writes of its read models."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Event
from shegong.contracts.registry import (
    CensusModelAdopted,
    CertificateLevel,
    ExpertPoolAdmitted,
    PairQueuedForReview,
    RecordsLinked,
    RecordsUnlinked,
    WorkerProfileUpdated,
    WorkerRegistered,
)
from shegong.kernel.events.versioned_rows import rows_by_key
from shegong.kernel.ops import raw_sql
from shegong.registry.census.comparison import phone_kind
from shegong.registry.census.features import census_document, shown_digits
from shegong.registry.census.linkage import (
    CensusRecord,
    Decision,
    Link,
    Linker,
    MatchModel,
    Review,
    Unlink,
)
from shegong.registry.census.tables import (
    certificates,
    decisions,
    experts,
    records,
)

log = logging.getLogger("shegong.registry.census")


def census_record(row: Any, certificates: int | tuple[int, ...] | None = None) -> CensusRecord:
    return CensusRecord(
        certificates=certificates,
        key=row["key"],
        department=row["department"],
        name=row["name"],
        former_name=row.get("former_name"),
        id_hash=row["id_hash"],
        id_masked=row["id_masked"],
        id_parts=row.get("id_parts"),
        id_swaps=row.get("id_swaps"),
        document=row.get("document"),
        birth_date=row["birth_date"],
        birth_year_by_age=row.get("birth_year_by_age"),
        sex=row["gender"],
        phone_hash=row["phone_hash"],
        phone_kind=phone_kind(row.get("phone_masked")),
        phone_shown=shown_digits(row.get("phone_masked")),
        phone_parts=row.get("phone_parts"),
        other_phones=row.get("other_phones"),
        organization=row["organization"],
        county=row["county"],
        township=row["township"],
        community=row["community"],
    )


def model_event(model: MatchModel) -> Event:
    data = model.as_dict()
    return CensusModelAdopted(
        version=model.version,
        records=model.records,
        prior=model.prior,
        trained_pairs=model.trained_pairs,
        records_per_person=model.records_per_person,
        levels=data["levels"],
        m=data["m"],
        u=data["u"],
    )


def decision_event(decision: Decision) -> Event:
    if isinstance(decision, Link):
        return RecordsLinked(
            a=decision.a,
            b=decision.b,
            rule=decision.rule,
            score=decision.score,
            evidence=decision.evidence,
        )
    if isinstance(decision, Unlink):
        return RecordsUnlinked(
            a=decision.a,
            b=decision.b,
            rule=decision.rule,
            reason=decision.reason,
            evidence=decision.evidence,
        )
    assert isinstance(decision, Review)
    return PairQueuedForReview(
        a=decision.a,
        b=decision.b,
        reason=decision.reason,
        score=decision.score,
        evidence=decision.evidence,
    )


Pairs = tuple[list[tuple[str, str]], list[dict[str, Any]]]


@dataclass
class BatchWrites:
    """A batch's writes, prepared outside the write transaction."""

    rows: list[dict[str, Any]]
    moved: list[dict[str, str]]
    certificates: list[dict[str, Any]]
    links: Pairs
    reviews: Pairs
    announced: Pairs  # rm_census_announced (``announce``)
    events: list[Event]


async def new_certificates(
    conn: AsyncConnection, certs: Mapping[tuple[Any, ...], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The batch's certificates that are not stored yet (a redelivered WorkerCertified,
    or the same certificate reported twice, is one row)."""
    if not certs:
        return []
    keys = sorted({cert["key"] for cert in certs.values()})
    existing: set[tuple[Any, ...]] = set()
    for start in range(0, len(keys), 500):
        rows = await conn.execute(
            select(
                certificates.c.key,
                certificates.c.level,
                certificates.c.certified_on,
                certificates.c.certificate_no,
            ).where(certificates.c.key.in_(keys[start : start + 500]))
        )
        existing.update(tuple(r) for r in rows)
    return [cert for ident, cert in certs.items() if ident not in existing]


async def moved_rows(
    conn: AsyncConnection, linker: Linker, keys: list[str]
) -> list[dict[str, str]]:
    """The stored records whose person changed (``{"k": key, "p": person}``), of the
    records the linker reclustered: read before the write transaction, so that a
    retraining, which reclusters every record, writes only the rows that moved (it wrote
    all of them under the write lock: 15,858 rows, 1 s of a batch at 20,000 rows)."""
    keys = sorted(keys)
    found = await rows_by_key(conn, records.c.key, (records.c.person_id,), keys)
    stored = {key: row.person_id for key, row in found.items()}
    return [
        {"k": key, "p": person}
        for key in keys
        if stored.get(key) != (person := linker.person_of(key))
    ]


async def write_moved(conn: AsyncConnection, moved: list[dict[str, str]]) -> None:
    """Store the new person of the records that moved (from :func:`moved_rows`)."""
    if moved:
        await conn.execute(
            update(records)
            .where(records.c.key == bindparam("k"))
            .values(person_id=bindparam("p"))
            .execution_options(synchronize_session=False),
            moved,
        )


def link_rows(batch: Iterable[Decision]) -> Pairs:
    """The links as the batch left them (made, or undone): the pairs to clear and the
    rows to write."""
    final: dict[tuple[str, str], Link | None] = {}
    for d in batch:
        if isinstance(d, Link):
            final[(d.a, d.b)] = d
        elif isinstance(d, Unlink):
            final[(d.a, d.b)] = None
    rows = [
        {"a": a, "b": b, "rule": link.rule, "score": link.score, "evidence": link.evidence}
        for (a, b), link in final.items()
        if link is not None
    ]
    return list(final), rows


def review_rows(linker: Linker, changed: set[tuple[str, str]]) -> Pairs:
    """The review queue's rows for the pairs that may have entered or left it."""
    pairs = sorted(changed)
    rows = []
    for pair in pairs:
        review = linker.in_queue(pair)
        if review is not None:
            rows.append(
                {
                    "a": review.a,
                    "b": review.b,
                    "reason": review.reason,
                    "score": review.score,
                    "evidence": review.evidence,
                }
            )
    return pairs, rows


async def write_pairs(conn: AsyncConnection, table: Table, pairs: Pairs) -> None:
    """Clear the pairs, then insert the rows (links or reviews, from the builders above)."""
    cleared, rows = pairs
    await delete_pairs(conn, table, cleared)
    if rows:
        await raw_sql.insert_rows(conn, table, rows)


async def delete_pairs(
    conn: AsyncConnection, table: Table, pairs: Iterable[tuple[str, str]]
) -> None:
    """One primary-key delete per pair (a row-value IN list is a table scan on SQLite)."""
    params = [{"pa": a, "pb": b} for a, b in pairs]
    if params:
        await conn.execute(
            delete(table).where((table.c.a == bindparam("pa")) & (table.c.b == bindparam("pb"))),
            params,
        )


async def write_decisions(
    conn: AsyncConnection,
    status: Mapping[tuple[str, str], str | None],
    decided: Mapping[tuple[str, str], dict[str, Any]],
) -> None:
    """Clerks' decisions and what became of each: applied, pending (a record not yet in
    the census) or refused with the reason."""
    for pair, why in status.items():
        row = decided.get(pair)
        outcome = "applied" if why is None else why.split(":")[0]
        if row is not None:
            await conn.execute(
                delete(decisions).where((decisions.c.a == pair[0]) & (decisions.c.b == pair[1]))
            )
            await conn.execute(decisions.insert().values(**row, status=outcome, status_reason=why))
        else:  # a waiting decision whose records have now arrived
            await conn.execute(
                update(decisions)
                .where((decisions.c.a == pair[0]) & (decisions.c.b == pair[1]))
                .values(status=outcome, status_reason=why)
            )


async def expert_row(
    conn: AsyncConnection,
    key: str,
    event: ExpertPoolAdmitted,
    inserts: Mapping[str, dict[str, Any]],
    certs: Mapping[tuple[Any, ...], dict[str, Any]],
) -> dict[str, Any] | None:
    """The ladder admitted a worker: the person holding that record's valid ID number
    is in the pool (a record without a valid ID number cannot be counted as a person
    across departments, and is logged)."""
    row = inserts.get(key)
    if row is None:
        found = (
            await conn.execute(
                select(records.c.id_hash, records.c.id_masked, records.c.name).where(
                    records.c.key == key
                )
            )
        ).first()
        row = dict(found._mapping) if found is not None else {}
    if not row.get("id_hash"):
        log.warning("census: expert %s has no valid ID number; not counted", key)
        return None
    held = [
        CertificateLevel(r.level)
        for r in await conn.execute(
            select(certificates.c.level).where(
                certificates.c.key.in_(
                    select(records.c.key).where(records.c.id_hash == row["id_hash"])
                )
                & (certificates.c.certified_on <= event.admitted_on)
            )
        )
    ] + [
        CertificateLevel(c["level"])
        for c in certs.values()
        if c["key"] == key and c["certified_on"] <= event.admitted_on
    ]
    highest = max(held, key=lambda level: level.rank, default=CertificateLevel.INTERMEDIATE)
    return {
        "id_hash": row["id_hash"],
        "id_masked": row["id_masked"],
        "name": row["name"],
        "admitted_on": event.admitted_on,
        "level": highest.value,
    }


async def record_id_hash(
    conn: AsyncConnection, key: str, inserts: Mapping[str, dict[str, Any]]
) -> str | None:
    """The valid-ID hash of a census record (of this batch, or stored)."""
    row = inserts.get(key)
    if row is not None:
        return row.get("id_hash")
    found = await conn.scalar(select(records.c.id_hash).where(records.c.key == key))
    return str(found) if found else None


async def write_experts(
    conn: AsyncConnection,
    admitted: Mapping[str, dict[str, Any]],
    left: Mapping[str, date],
) -> None:
    """The pool as the batch left it: admissions (a re-admission clears the day an
    expert left), then those who left."""
    for row in admitted.values():
        await conn.execute(delete(experts).where(experts.c.id_hash == row["id_hash"]))
        await conn.execute(experts.insert().values(**{"left_on": None, **row}))
    for id_hash, day in left.items():
        await conn.execute(update(experts).where(experts.c.id_hash == id_hash).values(left_on=day))


def code_of(value: Any) -> Any:
    """An enum's code (as the read models store it), or the value itself."""
    return value.value if hasattr(value, "value") else value


def record_row(key: str, event: WorkerRegistered) -> dict[str, Any]:
    """A registered worker as the census stores the record (``rm_census_records``)."""
    return {
        "key": key,
        "worker_id": event.worker_id,
        "department": event.department,
        "record_id": event.record_id,
        "name": event.name,
        "former_name": event.former_name,
        "gender": code_of(event.gender),
        "birth_date": event.birth_date,
        "id_hash": event.id_number_hash,
        "id_masked": event.id_number_masked,
        "id_parts": event.id_number_parts,
        "id_swaps": event.id_number_swaps_hash,
        "document": census_document(event.document_type, event.document_hash),
        "birth_year_by_age": event.birth_year_by_age,
        "phone_hash": event.phone_hash,
        "phone_masked": event.phone_masked,
        "phone_parts": event.phone_parts,
        "other_phones": event.other_phones_hash,
        "organization": event.organization,
        "org_type": code_of(event.org_type),
        "post": code_of(event.post),
        "county": event.region.county,
        "township": event.region.township,
        "community": event.region.community,
        "hired_on": event.hired_on,
        "left_on": None,
    }


_ROW_FIELDS: tuple[str, ...] = ("name", "former_name", "phone_hash", "phone_masked", "phone_parts")
_ROW_FIELDS += ("organization", "org_type", "post", "hired_on")
_LINKAGE_COLUMNS: tuple[str, ...] = ("name", "organization", "county", "township", "community")
_LINKAGE_COLUMNS += ("phone_hash", "phone_parts", "other_phones", "former_name")
# The event's field, the census's column.
_COLUMN_OF = {"other_phones_hash": "other_phones"}


def profile_values(event: WorkerProfileUpdated) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns of ``rm_census_records`` a profile update changed, and those of them
    the linker compares."""
    values: dict[str, Any] = {}
    for name in event.changed:
        if name == "region":
            if event.region is not None:
                values.update(event.region.model_dump())
        elif name in _ROW_FIELDS:
            values[name] = code_of(getattr(event, name))
        elif name in _COLUMN_OF:
            values[_COLUMN_OF[name]] = getattr(event, name)
    return values, {k: v for k, v in values.items() if k in _LINKAGE_COLUMNS}
