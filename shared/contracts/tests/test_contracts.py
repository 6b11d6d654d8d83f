"""The published contracts: the AsyncAPI file in the repo equals the code, and the wire
form round-trips for every event type."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shegong.contracts import STREAMS, Envelope
from shegong.contracts.asyncapi import asyncapi_document
from shegong.contracts.events import UnsupportedSchemaVersion, event_type
from shegong.contracts.registry import REGISTRY_STREAM, WorkerCertified
from shegong.contracts.training import exam_certified_on

PUBLISHED = Path(__file__).parents[1] / "asyncapi.json"


def test_published_asyncapi_document_equals_the_code() -> None:
    generated = asyncapi_document(STREAMS)
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == generated, (
        "shared/contracts/asyncapi.json is stale: regenerate it with "
        "`uv run python -m shegong.contracts.asyncapi > shared/contracts/asyncapi.json`"
    )


def test_every_event_type_is_documented_with_its_payload_schema() -> None:
    doc = asyncapi_document(STREAMS)
    for stream in STREAMS:
        for cls in stream.events:
            name = event_type(cls)
            assert (
                doc["components"]["messages"][name]["headers"]["properties"]["type"]["const"]
                == name
            )
            assert set(cls.model_fields) - {"type"} <= set(
                doc["components"]["schemas"][name]["properties"]
            )


def _envelope(**data_overrides: object) -> Envelope:
    now = datetime(2024, 6, 30, 8, 0, tzinfo=UTC)
    event = WorkerCertified(worker_id="w1", level="社会工作师", certified_on="2024-06-30")  # type: ignore[arg-type]
    return Envelope(
        id="e1",
        type=event.type,
        schema_version=1,
        source="/shegong/registry/city",
        service="registry",
        department="civil-affairs",
        subject="w1",
        aggregate_type="worker",
        aggregate_version=2,
        sequence=7,
        time=now,
        recorded_time=now,
        correlation_id="c1",
        data={**event.data(), **data_overrides},
    )


def test_wire_form_is_flat_strings_and_round_trips() -> None:
    env = _envelope()
    wire = env.to_wire()
    assert all(isinstance(v, str) for v in wire.values())
    assert wire["specversion"] == "1.0" and wire["sequence"] == "7"
    as_redis_returns = {k.encode(): v.encode() for k, v in wire.items()}
    back = Envelope.from_wire(as_redis_returns)
    assert back == env
    event = REGISTRY_STREAM.decode(back)
    assert isinstance(event, WorkerCertified) and event.level.zh == "社会工作师"


def test_newer_schema_version_is_refused_with_a_reason() -> None:
    env = Envelope.model_validate({**_envelope().model_dump(), "schema_version": 3})
    with pytest.raises(UnsupportedSchemaVersion, match="newer than this consumer"):
        REGISTRY_STREAM.decode(env)


def test_traceparent_is_optional_on_the_wire() -> None:
    """Entries written before tracing existed have no ``traceparent`` and still parse;
    one that has it carries it through unchanged (CloudEvents distributed tracing)."""
    now = datetime(2026, 11, 29, tzinfo=UTC)
    envelope = Envelope(
        id="e-1",
        type="WorkerCertified",
        schema_version=1,
        source="/shegong/registry/city",
        service="registry",
        subject="w-1",
        aggregate_type="worker",
        aggregate_version=2,
        sequence=7,
        time=now,
        recorded_time=now,
        correlation_id="c-1",
        data={},
    )
    old = envelope.to_wire()
    assert "traceparent" not in old
    assert Envelope.from_wire(old).traceparent is None
    traced = envelope.model_copy(
        update={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    )
    wire = {k.encode(): v.encode() for k, v in traced.to_wire().items()}
    assert Envelope.from_wire(wire) == traced
    headers = asyncapi_document(STREAMS)["components"]["messages"]["WorkerCertified"]["headers"]
    assert "traceparent" in headers["properties"]
    assert "traceparent" not in headers["required"]


def test_a_pass_without_a_certificate_date_counts_from_31_december_of_its_year() -> None:
    """One rule for training and the registry: the sheet's date, else 31 December of the
    exam year, or the day recorded when that came first — never a day in the future."""
    assert exam_certified_on(2024, None, date(2026, 3, 1)) == date(2024, 12, 31)
    assert exam_certified_on(2026, None, date(2026, 9, 1)) == date(2026, 9, 1)
    assert exam_certified_on(2024, date(2024, 11, 2), date(2026, 3, 1)) == date(2024, 11, 2)


def test_a_stored_mask_of_a_mistyped_number_is_narrowed_to_its_first_character() -> None:
    """Events recorded before the kernel hid a mistyped number's last character (a 17-
    character number's is an order digit of the right one) are narrowed as they are
    read, as the old 620102********123X masks are."""
    from shegong.contracts.registry import mask_id_display

    assert mask_id_display("6***************2") == "6****************"
    assert mask_id_display("620102********123X") == "6****************X"
    assert mask_id_display("6****************X") == "6****************X"
    assert mask_id_display("621102********1287") == "6****************7"


def test_a_registration_recorded_before_the_id_swaps_digest_still_reads() -> None:
    """Version 3 of ``WorkerRegistered`` adds ``id_number_swaps_hash``: an entry of
    version 2 (or 1) reads with none, and the field is a digest the feed conceals from
    the roles that do not link (``*_hash``)."""
    from shegong.contracts.registry import WorkerRegistered
    from shegong.kernel.web.digests import is_digest

    event = WorkerRegistered(worker_id="w1", department="civil-affairs", name="陈静")
    old = {k: v for k, v in event.data().items() if k != "id_number_swaps_hash"}
    for version in (1, 2):
        data = (
            old
            if version == 2
            else {k: v for k, v in old.items() if k not in ("other_phones_hash", "former_name")}
        )
        env = _envelope().model_copy(
            update={"type": "WorkerRegistered", "schema_version": version, "data": data}
        )
        decoded = REGISTRY_STREAM.decode(env)
        assert isinstance(decoded, WorkerRegistered) and decoded.id_number_swaps_hash is None
    assert is_digest("id_number_swaps_hash")


def test_a_registration_recorded_before_the_document_digest_still_reads() -> None:
    """Version 4 of ``WorkerRegistered`` adds ``document_type`` and ``document_hash`` (a
    passport's, a 回乡证's number as a keyed digest): an entry of version 3 reads with
    none, and the digest is concealed from the roles that do not link (``*_hash``)."""
    from shegong.contracts.registry import WorkerRegistered
    from shegong.kernel.web.digests import is_digest

    event = WorkerRegistered(worker_id="w1", department="hrss", name="陈嘉欣")
    assert WorkerRegistered.schema_version >= 4
    gone = ("document_type", "document_hash", "birth_year_by_age")
    old = {k: v for k, v in event.data().items() if k not in gone}
    env = _envelope().model_copy(
        update={"type": "WorkerRegistered", "schema_version": 3, "data": old}
    )
    decoded = REGISTRY_STREAM.decode(env)
    assert isinstance(decoded, WorkerRegistered)
    assert decoded.document_type is None and decoded.document_hash is None
    assert is_digest("document_hash")


def test_a_registration_recorded_before_the_age_still_reads() -> None:
    """Version 5 of ``WorkerRegistered`` adds ``birth_year_by_age`` (a roster's 年龄, as
    the year it puts the birth in): an entry of version 4 reads with none."""
    from shegong.contracts.registry import WorkerRegistered

    event = WorkerRegistered(worker_id="w1", department="women", name="陈嘉欣")
    assert WorkerRegistered.schema_version == 5
    old = {k: v for k, v in event.data().items() if k != "birth_year_by_age"}
    env = _envelope().model_copy(
        update={"type": "WorkerRegistered", "schema_version": 4, "data": old}
    )
    decoded = REGISTRY_STREAM.decode(env)
    assert isinstance(decoded, WorkerRegistered) and decoded.birth_year_by_age is None
    aged = WorkerRegistered(
        worker_id="w2", department="women", name="陈嘉欣", birth_year_by_age=1968
    )
    assert (
        REGISTRY_STREAM.decode(
            _envelope().model_copy(
                update={"type": "WorkerRegistered", "schema_version": 5, "data": aged.data()}
            )
        )
        == aged
    )
