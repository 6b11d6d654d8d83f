"""A batch's new records, held until the census needs them, so that each enters the linker
once with everything the batch says of it.

An imported row with a certificate arrives as two events, ``WorkerRegistered`` and then
``WorkerCertified`` (a certificate list: one for each certificate). Added at the first
and updated at the second, the record was scored against its candidates and its person
re-clustered twice — at 20,000 rows under ``shegong up``, 7,310 updates cost a quarter of
the linker's adding. Held until the batch's other events need the linker (or its end),
the record enters it once, its certificates on it. Given the model, the partition is a
function of the records and the clerks' decisions whatever their order (``linkage``): the
persons are those the two steps made; only the intermediate decisions (a link made by the
registration and undone by its certificate, or the other way round) are not made.
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from shegong.contracts.registry import WorkerCertified, WorkerRegistered, census_record_key
from shegong.registry.census import certificates as held
from shegong.registry.census.comparison import CensusRecord
from shegong.registry.census.linkage import Decision, Linker


class Arrivals:
    """Records registered in the batch and not yet in the linker, in the order they came,
    each with whether its registration is news (its decisions are to be appended)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[CensusRecord, bool]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, record: CensusRecord, fresh: bool) -> None:
        self._held[record.key] = (record, fresh)

    def keeps(
        self,
        event: object,
        key_of: Mapping[str, str],
        awaited: Container[str],
        fresh: bool,
    ) -> bool:
        """Whether ``event`` can be applied with the held records still out of the linker:
        a registration no clerk's decision waits for (``awaited``), a certificate of a held
        record — unless the certificate is news and its registration was not (a rebuild's
        replay stopping between them: the certificate's decisions are appended alone)."""
        if isinstance(event, WorkerRegistered):
            return census_record_key(event.department, event.record_id, event.worker_id) not in (
                awaited
            )
        if isinstance(event, WorkerCertified):
            found = self._held.get(key_of.get(event.worker_id, ""))
            return found is not None and (found[1] or not fresh)
        return False

    def certify(self, key: str, code: int) -> bool:
        """Put a certificate on a held record; False when ``key`` is not held."""
        found = self._held.get(key)
        if found is None:
            return False
        self._held[key] = (held.with_certificate(found[0], code), found[1])
        return True

    def enter(self, linker: Linker) -> list[tuple[list[Decision], bool]]:
        """Add the held records to ``linker`` in the order they came: each one's decisions
        and whether they are news."""
        out = [(linker.add(record), fresh) for record, fresh in self._held.values()]
        self._held.clear()
        return out
