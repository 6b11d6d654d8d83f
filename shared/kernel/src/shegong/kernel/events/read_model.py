"""What a read model is: a :class:`Projection` says how each event it handles changes its
tables (:mod:`shegong.kernel.events.projection`'s runner applies it, exactly once, in
order), which events it handles and which it ignores on purpose.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event, StreamContract


class Projection:
    """Subclass: set ``name``, ``contract``, ``metadata`` (its own tables), ``apply``, and
    which of the contract's event types it ``handles`` and which it ``ignores``; a
    projection that reads only some aggregates names them in ``aggregates`` (the events
    of the others are skipped undecoded, and need no mention). Every type it reads is in
    exactly one of ``handles`` and ``ignores`` (``tests/contracts/test_consumers.py``
    checks), so a new event is a decision in each of its consumers, not a silent no-op."""

    name: ClassVar[str]
    contract: ClassVar[StreamContract]
    metadata: ClassVar[MetaData]
    aggregates: ClassVar[frozenset[str] | None] = None
    handles: ClassVar[frozenset[str]] = frozenset()
    ignores: ClassVar[frozenset[str]] = frozenset()
    # A staged projection's ``apply`` and ``prepare`` only read (on a read connection,
    # outside the write transaction) and compute in memory; ``flush`` does every write.
    # The runner then holds the write lock for the writes alone, and re-checks the
    # positions it read before committing (see ``ProjectionRunner.process``).
    staged: ClassVar[bool] = False
    # At least this many stream entries per batch (None: the service's ``batch_size``):
    # for a projection whose turn at the write lock costs more than its work per event.
    min_batch: ClassVar[int | None] = None

    @classmethod
    def unaccounted(cls) -> list[str]:
        """Event types of the aggregates it reads that it neither handles nor ignores."""
        read = {
            name
            for name in cls.contract.types()
            if cls.aggregates is None
            or cls.contract.event_class(name).aggregate_type in cls.aggregates
        }
        return sorted(read - cls.handles - cls.ignores)

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        raise NotImplementedError

    def wants(self, envelope: Envelope) -> bool:
        """Whether ``apply`` cares about this event; the others are skipped undecoded (their
        position still advances). By default: events of its ``aggregates`` (None: all)
        whose type it does not ``ignores``."""
        return self.wants_entry(envelope.aggregate_type, envelope.type)

    def wants_entry(self, aggregate_type: str, type_: str | None) -> bool:
        """Whether a stream entry of this aggregate type and event type may matter (one
        that cannot is read without its data: the census skips its own link events so,
        the ladder's certificate watch every event but a certificate)."""
        if self.aggregates is not None and aggregate_type not in self.aggregates:
            return False
        return type_ is None or type_ not in self.ignores

    # Optional hooks for a projection that keeps state in memory or writes in bulk.

    async def prepare(self, conn: AsyncConnection) -> None:
        """Called once per batch after the last ``apply``, before ``flush`` (for a staged
        projection on the read connection, outside the write transaction)."""

    async def flush(self, conn: AsyncConnection) -> None:
        """Called once per batch, after the last ``apply`` and before the commit."""

    def committed(self) -> None:
        """The batch committed."""

    def rolled_back(self) -> None:
        """The batch failed and nothing of it was kept: forget what ``apply`` remembered."""
