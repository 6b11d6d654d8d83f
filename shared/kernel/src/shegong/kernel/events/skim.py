"""Reading a stream entry for its position alone (one a consumer skips).

An entry of an aggregate a projection does not read, or of a type it ignores, matters
to it only for where it is (source, sequence): its data is neither parsed nor
validated, its fields looked up by name (not all of them decoded first), and its
envelope built without pydantic's per-field work. Every consumer group reads every
entry: under a 20,000-row import, 16 groups on ``registry.events`` skim most of
≈ 58,000 entries each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from shegong.contracts import Envelope
from shegong.contracts.envelope import SPEC_VERSION, WIRE_NAMES
from shegong.kernel.events.store import _construct_envelope

_OPTIONAL = {
    attr: WIRE_NAMES[attr] for attr in ("department", "actor", "causation_id", "traceparent")
}
_MISSING: Any = object()


def skim(fields: Mapping[Any, Any], wants: Callable[[str, str | None], bool]) -> Envelope | None:
    """The entry's envelope without its data when ``wants(aggregate type, type)`` says
    no; None when it is wanted or not a well-formed shegong entry (read it whole)."""
    get = _field_getter(fields)
    try:
        kind, type_ = get("aggregatetype"), get("type")
        if get("specversion") != SPEC_VERSION or wants(kind, type_):
            return None
        values: dict[str, Any] = {
            "id": get("id"),
            "type": type_,
            "schema_version": int(get("schemaversion")),
            "source": get("source"),
            "service": get("service"),
            "subject": get("subject"),
            "aggregate_type": kind,
            "aggregate_version": int(get("aggregateversion")),
            "sequence": int(get("sequence")),
            "time": datetime.fromisoformat(get("time")),
            "recorded_time": datetime.fromisoformat(get("recordedtime")),
            "correlation_id": get("correlationid"),
            "data": {},
        }
        for attr, wire in _OPTIONAL.items():
            values[attr] = get(wire, None) or None
        return _construct_envelope(values)
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


def _field_getter(fields: Mapping[Any, Any]) -> Callable[..., Any]:
    """``get(name[, default])``: a field of an entry as text, whether redis-py gave its
    names as bytes or as text (``KeyError`` when missing and no default)."""
    by_bytes = bool(fields) and isinstance(next(iter(fields)), bytes)

    def get(name: str, default: Any = _MISSING) -> Any:
        value = fields.get(name.encode() if by_bytes else name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(name)
            return default
        return value.decode() if isinstance(value, bytes | bytearray) else str(value)

    return get
