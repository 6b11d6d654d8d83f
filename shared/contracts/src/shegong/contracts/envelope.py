"""The envelope every shegong event travels in, and its wire form.

On a Redis stream an event is a plain entry whose fields are CloudEvents attributes
(https://github.com/cloudevents/spec, v1.0) plus shegong's extensions, and ``data`` as
JSON text. Any Redis client in any language can read it with XRANGE / XREADGROUP and
the AsyncAPI document; nothing FastStream-specific is on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# Envelope attribute -> wire field. CloudEvents extension names are lower-case
# alphanumerics only, hence "schemaversion" rather than "schema_version".
WIRE_NAMES: dict[str, str] = {
    "id": "id",
    "source": "source",
    "type": "type",
    "time": "time",
    "subject": "subject",
    "schema_version": "schemaversion",
    "service": "service",
    "department": "department",
    "aggregate_type": "aggregatetype",
    "aggregate_version": "aggregateversion",
    "sequence": "sequence",
    "recorded_time": "recordedtime",
    "actor": "actor",
    "correlation_id": "correlationid",
    "causation_id": "causationid",
    "traceparent": "traceparent",
}
_FROM_WIRE = {wire: attr for attr, wire in WIRE_NAMES.items()}


class WireFormatError(ValueError):
    """A stream entry that is not a shegong event (missing or malformed fields)."""


class Envelope(BaseModel):
    """One recorded event with everything a consumer needs to place it.

    ``sequence`` is the event's position in the producer's own event store: it rises
    by exactly one per event from one ``source``, which lets a consumer notice a gap
    and fill it from that producer's feed (``GET /events?after=N``).
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Event id (UUID), unique across the platform")
    type: str = Field(description="Event type, past tense, e.g. WorkerCertified")
    schema_version: int = Field(ge=1, description="Version of this type's data schema")
    source: str = Field(description="Producing node, e.g. /shegong/registry/city")
    service: str = Field(description="Producing service: registry, training, matching")
    department: str | None = Field(default=None, description="Department code that acted")
    subject: str = Field(description="Aggregate id the event belongs to")
    aggregate_type: str
    aggregate_version: int = Field(ge=1, description="Version of the aggregate after it")
    sequence: int = Field(ge=1, description="Position in the producer's event store")
    time: datetime = Field(description="When it happened (occurred)")
    recorded_time: datetime = Field(description="When the producer recorded it")
    actor: str | None = Field(default=None, description="Who caused it (user, key, system)")
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = Field(
        default=None,
        description=(
            "W3C trace context of the span that recorded it (CloudEvents distributed "
            "tracing extension); absent in events recorded before tracing existed"
        ),
    )
    data: dict[str, Any]

    def to_wire(self) -> dict[str, str]:
        """The stream entry's fields: flat strings, CloudEvents names."""
        fields = {
            "specversion": SPEC_VERSION,
            "datacontenttype": CONTENT_TYPE,
        }
        for attr, wire in WIRE_NAMES.items():
            value = getattr(self, attr)
            if value is None:
                continue
            fields[wire] = value.isoformat() if isinstance(value, datetime) else str(value)
        fields["data"] = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return fields

    @classmethod
    def from_wire(cls, fields: Mapping[Any, Any]) -> Envelope:
        """Parse a stream entry (bytes or str keys/values, as redis-py returns them)."""
        text = {_text(k): _text(v) for k, v in fields.items()}
        if text.get("specversion") != SPEC_VERSION or "data" not in text:
            raise WireFormatError(f"not a shegong CloudEvents entry (fields: {sorted(text)[:12]})")
        values: dict[str, Any] = {_FROM_WIRE[k]: v for k, v in text.items() if k in _FROM_WIRE}
        try:
            values["data"] = json.loads(text["data"])
            return cls.model_validate(values)
        except ValueError as err:
            raise WireFormatError(f"malformed shegong event entry: {err}") from err


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)
