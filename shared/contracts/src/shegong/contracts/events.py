"""Event contracts: the base every public event derives from, and a stream's catalogue.

One stream per producing context; its :class:`StreamContract` lists its event types
(decoding picks the class by the envelope's ``type``). An event type evolves by raising
``schema_version`` and registering an upcaster that turns version n's data into version
n+1's, so old entries and old feeds stay readable (the ``eventsourcing`` library's
``upcast_v1_v2`` idea).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from shegong.contracts.envelope import Envelope

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Event(BaseModel):
    """A fact that happened, named in the past tense. Immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = ""
    # upcasters[n] turns data of schema version n into data of version n + 1.
    upcasters: ClassVar[dict[int, Upcaster]] = {}
    # An access record (留痕): someone saw personal data in full. Each service lists its own
    # on ``GET /audit/access`` for the administrator and the auditors.
    audit: ClassVar[bool] = False

    type: str

    def data(self) -> dict[str, Any]:
        """The JSON-ready payload (``type`` travels in the envelope, not in data)."""
        return self.model_dump(mode="json", exclude={"type"})


class UnknownEventType(ValueError):
    """The stream holds a type this contract version does not know."""


class UnsupportedSchemaVersion(ValueError):
    """An event written by a newer producer than this consumer understands."""


@dataclass(frozen=True)
class StreamContract:
    """One producing context's stream: its name and the events it carries."""

    name: str
    service: str
    description: str
    events: tuple[type[Event], ...]
    _by_type: dict[str, type[Event]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_type", {event_type(e): e for e in self.events})

    def stream_key(self, prefix: str = "") -> str:
        """The Redis key, after an optional deployment prefix (tests isolate with one)."""
        return f"{prefix}{self.name}"

    def event_class(self, type_name: str) -> type[Event]:
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownEventType(
                f"{self.name} has no event type {type_name!r}; known: {sorted(self._by_type)}"
            ) from None

    def decode(self, envelope: Envelope) -> Event:
        """The typed event, upcast to the current schema version."""
        cls = self.event_class(envelope.type)
        data = upcast(cls, envelope.schema_version, envelope.data)
        return cls.model_validate({**data, "type": envelope.type})

    def types(self) -> Iterable[str]:
        return self._by_type.keys()

    def audit_types(self) -> list[str]:
        """The access records this stream carries (events marked ``audit``)."""
        return sorted(name for name, cls in self._by_type.items() if cls.audit)


def event_type(cls: type[Event]) -> str:
    """The ``type`` literal a concrete event class declares."""
    default = cls.model_fields["type"].default
    if not isinstance(default, str) or not default:
        raise TypeError(f"{cls.__name__} must declare type: Literal[...] = '...'")
    return default


def upcast(cls: type[Event], version: int, data: dict[str, Any]) -> dict[str, Any]:
    if version > cls.schema_version:
        raise UnsupportedSchemaVersion(
            f"{event_type(cls)} schema version {version} is newer than this consumer's "
            f"{cls.schema_version}; upgrade the consumer (the event waits in the DLQ)"
        )
    while version < cls.schema_version:
        step = cls.upcasters.get(version)
        if step is None:
            raise UnsupportedSchemaVersion(
                f"{event_type(cls)} has no upcaster from schema version {version}"
            )
        data = step(dict(data))
        version += 1
    return data


class Labelled(StrEnum):
    """A code with a Chinese label, accepted in either form at the edge.

    Subclasses define ``_labels_zh`` via ``labels_zh()``; departments write the Chinese
    term (社会工作师), APIs and events carry the stable English code (intermediate).
    """

    @classmethod
    def labels_zh(cls) -> dict[str, str]:  # overridden
        return {}

    @property
    def zh(self) -> str:
        return self.labels_zh().get(self.value, self.value)

    @classmethod
    def parse(cls, value: str | Self) -> Self:
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            if text in (member.value, member.zh):
                return member
        choices = " / ".join(f"{m.value} ({m.zh})" for m in cls)
        raise ValueError(f"{text!r} is not one of: {choices}")

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        for member in cls:
            if value == member.zh:
                return member
        return None
