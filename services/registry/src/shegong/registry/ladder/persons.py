"""Whom the ladder decides for: the census person, over all of their department records.

On a node that runs the census the person is read from the census's own read model
(``rm_census_records.person_id``, which follows ``RecordsLinked`` / ``RecordsUnlinked``);
a record the census has not seen yet, or a node without the census, is one person of one
record. A person's decisions are kept under their *lead* record — the one whose census
key is the person's id (the smallest) — so one human is decided for once.

The facts add up over the records: certificates (the registry's own view of every
node's), service (hire and departure dates), training hours (one session counted once,
under whichever record completed it) and appraisals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import AppraisalGrade
from shegong.kernel.events.schema import events_table
from shegong.registry.census.tables import records as census_records
from shegong.registry.ladder.eligibility import standings
from shegong.registry.ladder.rules import Facts
from shegong.registry.ladder.tables import ladder_appraisals, ladder_training
from shegong.registry.projections.workers import certificates as certificate_rows
from shegong.registry.projections.workers import workers


@dataclass(frozen=True)
class Own:
    """A record as this node's own aggregate holds it (fresher than any read model)."""

    certificates: list[tuple[CertificateLevel, date]]
    service: tuple[date | None, date | None]  # hired on, left on


@dataclass(frozen=True)
class Person:
    lead: str  # the worker id the person's decisions are kept under
    worker_ids: tuple[str, ...]
    person_id: str | None = None  # the census person (None: not in the census)


async def person_of(conn: AsyncConnection, worker_id: str, census: bool) -> Person:
    if census:
        pid = await conn.scalar(
            select(census_records.c.person_id).where(census_records.c.worker_id == worker_id)
        )
        if pid is not None:
            return (await persons_by_id(conn, [pid]))[0]
    return Person(worker_id, (worker_id,))


async def persons_of(
    conn: AsyncConnection, worker_ids: Sequence[str], census: bool
) -> dict[str, Person]:
    """:func:`person_of` for many records at once (a query per 500, not one each)."""
    found: dict[str, str] = {}
    if census:
        for start in range(0, len(worker_ids), 500):
            rows = await conn.execute(
                select(census_records.c.worker_id, census_records.c.person_id).where(
                    census_records.c.worker_id.in_(worker_ids[start : start + 500])
                )
            )
            found.update({r.worker_id: r.person_id for r in rows})
    by_id = {p.person_id: p for p in await persons_by_id(conn, sorted(set(found.values())))}
    return {w: by_id[found[w]] if found.get(w) in by_id else Person(w, (w,)) for w in worker_ids}


async def persons_by_id(conn: AsyncConnection, person_ids: Sequence[str]) -> list[Person]:
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(person_ids), 500):
        rows = await conn.execute(
            select(census_records.c.person_id, census_records.c.key, census_records.c.worker_id)
            .where(census_records.c.person_id.in_(person_ids[start : start + 500]))
            .order_by(census_records.c.key)
        )
        for r in rows:
            members[r.person_id].append((r.key, r.worker_id))
    return [_person(pid, members[pid]) for pid in person_ids if members[pid]]


def _person(pid: str, members: list[tuple[str, str]]) -> Person:
    lead = next((w for k, w in members if k == pid), members[0][1])
    return Person(lead, tuple(sorted(w for _, w in members)), pid)


async def everyone(conn: AsyncConnection, census: bool, own: Iterable[str]) -> list[Person]:
    """Every person the ladder decides for: the census's persons and this node's records
    the census has not placed yet (without the census: this node's records)."""
    own = sorted(set(own))
    if not census:
        return [Person(w, (w,)) for w in own]
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in await conn.execute(
        select(
            census_records.c.person_id, census_records.c.key, census_records.c.worker_id
        ).order_by(census_records.c.person_id, census_records.c.key)
    ):
        members[r.person_id].append((r.key, r.worker_id))
    persons = [_person(pid, m) for pid, m in members.items()]
    placed = {w for p in persons for w in p.worker_ids}
    return persons + [Person(w, (w,)) for w in own if w not in placed]


async def facts_of(
    conn: AsyncConnection,
    persons: Sequence[Person],
    fresh: dict[str, Own] | None = None,
) -> dict[str, Facts]:
    """Each person's facts (by lead), added up over their records. ``fresh``: a record's
    certificates and service as this node's own aggregate holds them — the workers read
    model is another consumer group's and may not have applied them yet."""
    ids = sorted({w for p in persons for w in p.worker_ids})
    certs: dict[str, set[tuple[CertificateLevel, date]]] = defaultdict(set)
    service: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    hours: dict[str, dict[str, tuple[date, float]]] = defaultdict(dict)
    grades: dict[str, list[tuple[str, AppraisalGrade, date]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in await conn.execute(
            select(
                certificate_rows.c.worker_id,
                certificate_rows.c.level,
                certificate_rows.c.certified_on,
            ).where(certificate_rows.c.worker_id.in_(chunk))
        ):
            certs[r.worker_id].add((CertificateLevel(r.level), r.certified_on))
        for r in await conn.execute(
            select(workers.c.worker_id, workers.c.hired_on, workers.c.left_on).where(
                workers.c.worker_id.in_(chunk) & workers.c.hired_on.is_not(None)
            )
        ):
            service[r.worker_id].append((r.hired_on, r.left_on))
        for r in await conn.execute(
            select(ladder_training).where(ladder_training.c.worker_id.in_(chunk))
        ):
            hours[r.worker_id][r.session_id] = (r.completed_on, r.hours)
        for r in await conn.execute(
            select(ladder_appraisals).where(ladder_appraisals.c.worker_id.in_(chunk))
        ):
            grades[r.worker_id].append((r.period, AppraisalGrade(r.grade), r.assessed_on))
    for worker_id, own in (fresh or {}).items():
        certs[worker_id].update(own.certificates)
        hired_on, left_on = own.service
        service[worker_id] = [(hired_on, left_on)] if hired_on is not None else []
    out = {}
    for p in persons:
        sessions: dict[str, tuple[date, float]] = {}
        for w in p.worker_ids:
            for sid, (day, h) in hours[w].items():  # one session, one person: counted once
                if sid not in sessions or h > sessions[sid][1]:
                    sessions[sid] = (day, h)
        out[p.lead] = Facts(
            certificates=sorted({c for w in p.worker_ids for c in certs[w]}, key=lambda c: c[1]),
            training=sorted(sessions.values()),
            appraisals=[a for w in p.worker_ids for a in grades[w]],
            service=[s for w in p.worker_ids for s in service[w]],
        )
    return out


async def has_ladder_facts(conn: AsyncConnection, person: Person) -> bool:
    """Whether training told of the person (hours, an appraisal) or the ladder decided for
    them before. A roster's records alone (service, certificates) are left to the daily
    sweep: a city's first import must not re-decide every person link by link."""
    ids = list(person.worker_ids)
    for table in (ladder_training, ladder_appraisals, standings):
        found = await conn.scalar(
            select(table.c.worker_id).where(table.c.worker_id.in_(ids)).limit(1)
        )
        if found is not None:
            return True
    return False


async def any_ladder_facts(conn: AsyncConnection) -> bool:
    """Whether :func:`has_ladder_facts` can hold for anyone."""
    for table in (ladder_training, ladder_appraisals, standings):
        if await conn.scalar(select(table.c.worker_id).limit(1)) is not None:
            return True
    return False


async def with_ladder_facts(conn: AsyncConnection, persons: Iterable[Person]) -> set[str]:
    """The leads of the persons :func:`has_ladder_facts` holds for (a query per table and
    500 records, not three per person)."""
    persons = list(persons)
    ids = sorted({w for p in persons for w in p.worker_ids})
    told: set[str] = set()
    for table in (ladder_training, ladder_appraisals, standings):
        for start in range(0, len(ids), 500):
            told.update(
                await conn.scalars(
                    select(table.c.worker_id)
                    .where(table.c.worker_id.in_(ids[start : start + 500]))
                    .distinct()
                )
            )
    return {p.lead for p in persons if told.intersection(p.worker_ids)}


async def department_of(conn: AsyncConnection, worker_id: str) -> str | None:
    """A record's department: the workers read model's, else — a record of this node that
    read model has not applied yet (another consumer group, a moment behind the ladder's)
    — the department its registration was appended under."""
    found = await conn.scalar(select(workers.c.department).where(workers.c.worker_id == worker_id))
    if found is None:
        found = await conn.scalar(
            select(events_table.c.department).where(
                (events_table.c.stream_id == worker_id) & (events_table.c.version == 1)
            )
        )
    return found
