"""Deciding for a person: evaluate the rules over all of their records' facts and publish
each decision that changed, under the person's lead record; the person's other records
stop being decided for on their own (a decision they still held is withdrawn, naming the
person that now counts them)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from shegong.kernel.events.store import EventStore, Transaction
from shegong.registry.domain.worker import Worker
from shegong.registry.ladder.persons import (
    Own,
    Person,
    department_of,
    facts_of,
    has_ladder_facts,
    person_of,
)
from shegong.registry.ladder.rules import Decision, Facts, Step, evaluate
from shegong.registry.ladder.standing import LadderStanding, standing_id


@dataclass
class Ladder:
    """The ladder as this node runs it: its rules, and whether it sees census persons
    (with the census: every person of the city; without: this node's own records)."""

    store: EventStore
    steps: list[Step]
    census: bool
    decides: bool = True  # publish decisions (a department node may leave it to the city)

    async def person(self, tx: Transaction, worker_id: str) -> tuple[Person, Worker | None]:
        worker = await tx.load(Worker, worker_id)
        return await person_of(tx.conn, worker_id, self.census), worker

    async def decide(
        self, tx: Transaction, worker_id: str, as_of: date, *, roster_only: bool = False
    ) -> tuple[Person, list[Decision]] | None:
        """Decide for the person ``worker_id`` belongs to; None when this node does not
        decide for them (not its record, without the census) — or, for ``roster_only``
        news (a roster's certificate, a census link), when training never told of them and
        they were never decided for: the daily sweep decides for those."""
        if not self.decides:
            return None
        person = await person_of(tx.conn, worker_id, self.census)
        if roster_only and not await has_ladder_facts(tx.conn, person):
            return None
        return await self.decide_found(tx, worker_id, person, as_of)

    async def decide_found(
        self, tx: Transaction, worker_id: str, person: Person, as_of: date
    ) -> tuple[Person, list[Decision]] | None:
        """:meth:`decide` for the person of ``worker_id`` found already (the watches find
        a batch's persons, and which of them training told of, in a few queries)."""
        if not self.decides:
            return None
        if not self.census and await tx.load(Worker, worker_id) is None:
            return None
        return person, await self.decide_person(tx, person, as_of)

    async def decide_person(self, tx: Transaction, person: Person, as_of: date) -> list[Decision]:
        facts = await self.facts(tx, person)
        decisions = evaluate(self.steps, facts, as_of)
        ctx = tx.ctx
        tx.ctx = replace(ctx, department=await department_of(tx.conn, person.lead))
        standing = await load_standing(tx, person.lead)
        standing.decide(decisions, as_of, person)
        await tx.save(standing)
        for other in person.worker_ids:
            if other == person.lead:
                continue
            held = await tx.load(LadderStanding, standing_id(other))
            if held is not None and any(held.eligible.values()):
                tx.ctx = replace(ctx, department=await department_of(tx.conn, other))
                held.counted_under(person, as_of)
                await tx.save(held)
        tx.ctx = ctx
        return decisions

    async def facts(self, tx: Transaction, person: Person) -> Facts:
        fresh: dict[str, Own] = {}
        for worker_id in person.worker_ids:
            worker = await tx.load(Worker, worker_id)
            if worker is not None:  # this node's own record is fresher than its read model
                fresh[worker_id] = Own(
                    [(c.level, c.certified_on) for c in worker.certificates],
                    (worker.profile.get("hired_on"), worker.left_on),
                )
        return (await facts_of(tx.conn, [person], fresh))[person.lead]


async def load_standing(tx: Transaction, worker_id: str) -> LadderStanding:
    return await tx.load(LadderStanding, standing_id(worker_id)) or LadderStanding(
        standing_id(worker_id)
    )
