"""The census's workforce read: every record's facts, the region tree, the expert pool
and the best estimate, folded into :func:`.indicators.workforce_indicators` for one year;
and which events the census has seen (``as_of``). Read-only."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import CertificateLevel, OrgType, Post
from shegong.kernel.events.schema import projection_positions
from shegong.kernel.ops.raw_sql import RawStatement, execute
from shegong.registry.census.estimate import estimated_persons
from shegong.registry.census.indicators import (
    ExpertAdmission,
    Person,
    RecordFacts,
    RegionNode,
    Snapshot,
    person_on,
    workforce_indicators,
)
from shegong.registry.census.region_tree import RegionTree
from shegong.registry.census.tables import census_state, certificates, experts, records
from shegong.registry.projections.regions import regions


async def as_of(conn: AsyncConnection) -> dict[str, Any]:
    """Which events the census has seen: per source, the last position applied."""
    rows = await conn.execute(
        select(projection_positions.c.source, projection_positions.c.position).where(
            projection_positions.c.projection == "census"
        )
    )
    version = await conn.scalar(select(census_state.c.version).where(census_state.c.id == 1))
    return {
        "positions": {r.source: int(r.position) for r in rows},
        "census_version": int(version or 0),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


async def all_certificates(conn: AsyncConnection) -> dict[str, list[tuple[CertificateLevel, date]]]:
    out: dict[str, list[tuple[CertificateLevel, date]]] = defaultdict(list)
    for r in await conn.execute(
        select(certificates.c.key, certificates.c.level, certificates.c.certified_on)
    ):
        out[r.key].append((CertificateLevel(r.level), r.certified_on))
    return out


_ORG_TYPES, _POSTS = {t.value: t for t in OrgType}, {p.value: p for p in Post}
_FACT_COLUMNS = [
    records.c[name]
    for name in (
        "key", "person_id", "department", "organization", "org_type", "post",
        "county", "township", "community", "hired_on", "left_on",
    )
]  # fmt: skip


def record_facts(row: Any, certs: Sequence[tuple[CertificateLevel, date]]) -> RecordFacts:
    return _facts_of(certs, [getattr(row, c.name) for c in _FACT_COLUMNS[2:]])


def _facts_of(
    certs: Sequence[tuple[CertificateLevel, date]], columns: Sequence[Any]
) -> RecordFacts:
    """Facts from ``_FACT_COLUMNS`` after key and person (enums by a dict: a call ≈ 3 µs)."""
    dept, org, org_type, post, county, township, community, hired, left = columns
    org_type = (_ORG_TYPES.get(org_type) or OrgType(org_type)) if org_type else None
    post = (_POSTS.get(post) or Post(post)) if post else None
    return RecordFacts(
        dept, org, org_type, post, county, township, community, hired, left, tuple(certs)
    )


_FACT_ROWS = RawStatement(select(*_FACT_COLUMNS).order_by(records.c.person_id, records.c.key))
_CERTIFICATE_ROWS = RawStatement(
    select(certificates.c.key, certificates.c.level, certificates.c.certified_on)
)
# The facts built by the last read, by record key, with the hash of the driver's row and
# its certificates' rows they were built from: a record unchanged since then is not built
# again (≈ 8 µs a record, a read built every one). The hash, not the row: the row's
# strings and tuple were ≈ 600 bytes a record held (a changed row's hash equal to its old
# one: one in 2⁶⁴). Rebuilt whole at each read, so it holds the census's records once.
_built: dict[str, tuple[int, RecordFacts]] = {}


def _day(value: Any) -> date | None:
    """A date as the driver gives it: SQLite's text, PostgreSQL's date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


async def load_persons(conn: AsyncConnection) -> list[Person]:
    """Every person of the census with their records' facts: the rows as the driver gives
    them (no per-row result processing), each record's facts built once while it stays
    the same (:data:`_built`)."""
    global _built
    certs: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for key, level, certified_on in (await execute(conn, _CERTIFICATE_ROWS, {})).rows:
        certs[key].append((level, certified_on))
    last: dict[str, tuple[int, RecordFacts]] = _built
    built: dict[str, tuple[int, RecordFacts]] = {}
    grouped: dict[str, list[RecordFacts]] = defaultdict(list)
    for row in (await execute(conn, _FACT_ROWS, {})).rows:
        key, person_id = row[0], row[1]
        found = certs.get(key)
        signed = hash((*row, *found) if found else tuple(row))
        before = last.get(key)
        if before is not None and before[0] == signed:
            facts = before[1]
        else:
            columns = [*row[2:9], _day(row[9]), _day(row[10])]
            parsed = [(CertificateLevel(lvl), cast(date, _day(on))) for lvl, on in found or ()]
            facts = _facts_of(parsed, columns)
        built[key] = (signed, facts)
        grouped[person_id].append(facts)
    _built = built
    return [Person(pid, tuple(facts)) for pid, facts in grouped.items()]


async def load_regions(conn: AsyncConnection) -> list[RegionNode]:
    rows = await conn.execute(select(regions))
    return [RegionNode(r.code, r.name, r.parent, r.level, r.urban_population) for r in rows]


async def load_experts(conn: AsyncConnection) -> list[ExpertAdmission]:
    """Admissions by person: an admitted ID number names the person holding it."""
    admissions = list(
        await conn.execute(select(experts.c.id_hash, experts.c.admitted_on, experts.c.left_on))
    )
    if not admissions:  # no pool uploaded: no need to map every record's ID number
        return []
    person_of_hash = {
        r.id_hash: r.person_id
        for r in await conn.execute(
            select(records.c.id_hash, records.c.person_id).where(records.c.id_hash.is_not(None))
        )
    }
    out = []
    for r in admissions:
        pid = person_of_hash.get(r.id_hash)
        if pid is not None:
            out.append(ExpertAdmission(pid, r.admitted_on, r.left_on))
    return out


BASES = ("best_estimate", "linked")


def _merged(persons: Sequence[Person], person_of: dict[str, str]) -> list[Person]:
    """Persons regrouped by the estimate (a person the estimate does not name stays)."""
    grouped: dict[str, list[RecordFacts]] = {}
    for person in persons:
        grouped.setdefault(person_of.get(person.person_id, person.person_id), []).extend(
            person.records
        )
    return [Person(pid, tuple(facts)) for pid, facts in grouped.items()]


_Kept = tuple[tuple[RecordFacts, ...], tuple[tuple[date, Snapshot], ...]]  # records, days


class Snapshots:
    """Each person's state on a day (:func:`.indicators.person_on`), remembered while their
    records stay the same objects (:func:`load_persons` keeps a record's facts while its
    row does) and the region tree the same: a workforce read computes three days of every
    person (≈ 8 µs each), most of whom did not change since the last read."""

    DAYS = 12  # days kept a person (a year's read asks three; other years' reads more)

    def __init__(self) -> None:
        self.regions: list[RegionNode] | None = None
        self.tree = RegionTree.build(())
        self.kept: dict[str, _Kept] = {}
        self.computed = 0  # snapshots computed, not remembered (the test's count)

    def tree_for(self, nodes: list[RegionNode]) -> RegionTree:
        if nodes != self.regions:  # another tree: nothing remembered holds
            self.regions, self.tree, self.kept = nodes, RegionTree.build(nodes), {}
        return self.tree

    def reader(self) -> tuple[Callable[[Person, date, RegionTree], Snapshot], dict[str, _Kept]]:
        """``person_on`` for one read (in its thread), and the persons it saw: the read
        keeps them (``kept = seen``) when it is done, so no one's snapshots outlive them."""
        kept, tree = self.kept, self.tree
        seen: dict[str, _Kept] = {}

        def snapshot(person: Person, day: date, on: RegionTree) -> Snapshot:
            if on is not tree:
                return person_on(person, day, on)
            entry = seen.get(person.person_id)
            if entry is None:
                entry = kept.get(person.person_id)
                held = person.records
                if (
                    entry is None
                    or len(entry[0]) != len(held)
                    or any(a is not b for a, b in zip(entry[0], held, strict=True))
                ):
                    entry = (held, ())
                seen[person.person_id] = entry
            for on_day, found in entry[1]:
                if on_day == day:
                    return found
            found = person_on(person, day, tree)
            self.computed += 1
            days = entry[1][-self.DAYS + 1 :] if len(entry[1]) >= self.DAYS else entry[1]
            seen[person.person_id] = (entry[0], (*days, (day, found)))
            return found

        return snapshot, seen


SNAPSHOTS = Snapshots()


async def workforce(
    conn: AsyncConnection,
    year: int,
    region: str | None,
    as_of_date: date | None = None,
    basis: str = "best_estimate",
) -> dict[str, Any]:
    """Every workforce indicator as of 31 Dec ``year``, or of ``as_of_date`` in that year
    (raises ValueError: unknown region, or a day outside the year).

    ``basis`` "best_estimate" (the default) counts each queued pair from a match
    probability of one half as one person while it waits for a clerk
    (:mod:`.estimate`); "linked" counts the linked persons only. Either way the answer
    says which, and how many pairs wait."""
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}: one of {', '.join(BASES)}")
    persons = await load_persons(conn)
    estimate = await estimated_persons(conn)
    experts = await load_experts(conn)
    if basis == "best_estimate" and estimate.counted_as_one:
        persons = _merged(persons, estimate.person_of)
        experts = [
            replace(e, person_id=estimate.person_of.get(e.person_id, e.person_id)) for e in experts
        ]
    # Seconds on a large census: off the loop, so the service answers meanwhile (sec9).
    tree = SNAPSHOTS.tree_for(await load_regions(conn))
    snapshot, seen = SNAPSHOTS.reader()
    result = await asyncio.to_thread(
        workforce_indicators, persons, tree, experts, year, region, as_of_date, snapshot
    )
    SNAPSHOTS.kept = seen
    day = (as_of_date or date(year, 12, 31)).isoformat()
    linked = len(persons) + (estimate.counted_as_one if basis == "best_estimate" else 0)
    return {
        "year": year,
        "region": region,
        "as_of_date": day,
        **result,
        "basis": basis,
        "review": estimate.as_dict(linked),
        "without_employment": sum(not any(r.employs for r in p.records) for p in persons),
        "as_of": await as_of(conn),
    }
