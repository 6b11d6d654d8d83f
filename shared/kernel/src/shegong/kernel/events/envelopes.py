"""Envelopes of the event store's own rows, built without pydantic's per-field work
(moved out of ``store.py``, which passed 400 lines)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shegong.contracts import Envelope

# Every field is given, none has a post-init hook: what ``model_construct`` does, less
# its per-field default and alias lookups (a fifth of the census's CPU went there).
assert Envelope.__pydantic_post_init__ is None and not Envelope.__private_attributes__
_ENVELOPE_FIELDS = frozenset(Envelope.model_fields)


def _construct_envelope(values: dict[str, Any]) -> Envelope:
    envelope = Envelope.__new__(Envelope)
    object.__setattr__(envelope, "__dict__", values)
    object.__setattr__(envelope, "__pydantic_fields_set__", set(_ENVELOPE_FIELDS))
    object.__setattr__(envelope, "__pydantic_extra__", None)
    object.__setattr__(envelope, "__pydantic_private__", None)
    return envelope


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stub(subject: str, type_: str, version: int, data: dict[str, Any]) -> Envelope:
    # Only type, schema_version and data matter for decoding a stored event.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return Envelope(
        id="-",
        type=type_,
        schema_version=version,
        source="-",
        service="-",
        subject=subject,
        aggregate_type="-",
        aggregate_version=1,
        sequence=1,
        time=epoch,
        recorded_time=epoch,
        correlation_id="-",
        data=data,
    )
