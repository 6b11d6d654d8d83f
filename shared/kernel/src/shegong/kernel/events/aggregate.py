"""Aggregates: the consistency boundary a command changes.

A command method checks its guard clauses, then records an event; recording applies
the event to the state, so state only ever changes through events (the same code
path rebuilds an aggregate from its history).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Self

from shegong.contracts import Event


class DomainError(Exception):
    """A command that the rules refuse. ``field`` names the input at fault, if any."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "rejected",
        zh: str | None = None,
    ):
        super().__init__(message)
        self.field, self.code, self.zh = field, code, zh  # ``zh``: the message in Chinese


class Aggregate:
    type_name: ClassVar[str]

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[Event] = []

    @classmethod
    def rehydrate(cls, aggregate_id: str, history: Iterable[Event]) -> Self:
        agg = cls(aggregate_id)
        for event in history:
            agg._apply(event)
        return agg

    def record(self, event: Event) -> None:
        self._apply(event)
        self._pending.append(event)

    def collect_pending(self) -> list[Event]:
        pending, self._pending = self._pending, []
        return pending

    def _apply(self, event: Event) -> None:
        handler = getattr(self, f"when_{event.type}", None)
        if handler is None:
            raise TypeError(f"{type(self).__name__} cannot apply {event.type}")
        handler(event)
        self.version += 1
