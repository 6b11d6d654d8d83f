"""shegong's public event contracts.

An integration installs only this package (``pip install shegong-contracts``) to read
the streams: :class:`Envelope` parses a stream entry, a :class:`StreamContract` turns it
into a typed event.
"""

from shegong.contracts.envelope import Envelope, WireFormatError
from shegong.contracts.events import (
    Event,
    StreamContract,
    UnknownEventType,
    UnsupportedSchemaVersion,
)
from shegong.contracts.matching import MATCHING_STREAM
from shegong.contracts.registry import REGISTRY_STREAM
from shegong.contracts.training import TRAINING_STREAM

STREAMS: tuple[StreamContract, ...] = (REGISTRY_STREAM, TRAINING_STREAM, MATCHING_STREAM)

__all__ = [
    "MATCHING_STREAM",
    "REGISTRY_STREAM",
    "STREAMS",
    "TRAINING_STREAM",
    "Envelope",
    "Event",
    "StreamContract",
    "UnknownEventType",
    "UnsupportedSchemaVersion",
    "WireFormatError",
]
