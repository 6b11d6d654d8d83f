"""The AsyncAPI 3.0 document of shegong's streams, generated from the contracts.

It describes the wire form a non-Python subscriber sees: each stream entry's fields are
CloudEvents attributes (message headers here) and ``data``, a JSON text whose schema is
the event type's (message payload here). Generated, never hand-written, so it cannot
drift from the code; ``python -m shegong.contracts.asyncapi`` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shegong.contracts.envelope import CONTENT_TYPE, SPEC_VERSION, WIRE_NAMES, Envelope
from shegong.contracts.events import StreamContract, event_type

_ENVELOPE_DESCRIPTIONS = {
    name: (field.description or "") for name, field in Envelope.model_fields.items()
}


def entry_fields_schema(type_name: str, schema_version: int) -> dict[str, Any]:
    """JSON schema of a stream entry's fields other than ``data`` (all strings)."""
    props: dict[str, Any] = {
        "specversion": {"type": "string", "const": SPEC_VERSION},
        "datacontenttype": {"type": "string", "const": CONTENT_TYPE},
    }
    for attr, wire in WIRE_NAMES.items():
        props[wire] = {"type": "string", "description": _ENVELOPE_DESCRIPTIONS.get(attr, "")}
    props["type"]["const"] = type_name
    props["schemaversion"]["description"] += f" (this document: {schema_version})"
    required = [
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "schemaversion",
        "service",
        "aggregatetype",
        "aggregateversion",
        "sequence",
        "recordedtime",
        "correlationid",
    ]
    return {"type": "object", "properties": props, "required": required}


def asyncapi_document(
    streams: Sequence[StreamContract], *, title: str = "shegong events", version: str = "0.1.0"
) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for stream in streams:
        refs = {}
        for cls in stream.events:
            name = event_type(cls)
            schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
            for def_name, definition in schema.pop("$defs", {}).items():
                schemas[def_name] = definition
            schema["properties"].pop("type", None)
            schema["required"] = [r for r in schema.get("required", []) if r != "type"]
            schemas[name] = schema
            messages[name] = {
                "name": name,
                "title": name,
                "summary": (cls.__doc__ or "").strip().splitlines()[0],
                "contentType": CONTENT_TYPE,
                "headers": entry_fields_schema(name, cls.schema_version),
                "payload": {"$ref": f"#/components/schemas/{name}"},
                "x-schema-version": cls.schema_version,
            }
            refs[name] = {"$ref": f"#/components/messages/{name}"}
        channel_id = stream.name.replace(".", "_")
        channels[channel_id] = {
            "address": stream.name,
            "description": (
                f"{stream.description} Redis stream (key: optional deployment prefix + "
                f"'{stream.name}'). Each entry's fields are the message headers; field "
                "'data' holds the payload as JSON text. Read with XREADGROUP in your own "
                "consumer group; expect at-least-once delivery and deduplicate on 'id'."
            ),
            "messages": refs,
        }
        operations[f"{channel_id}_receive"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Subscribe to {stream.service}'s events",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Events published by shegong's services over Redis streams.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


if __name__ == "__main__":
    from shegong.contracts import STREAMS

    print(json.dumps(asyncapi_document(STREAMS), ensure_ascii=False, indent=2))
