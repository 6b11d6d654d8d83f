"""Access records (留痕) every service keeps in its own stream, beside the events of its
domain: bulk reads of personal data, refused attempts, and the API keys it accepts.

They are ``audit`` events: ``GET /audit/access`` on each service lists them for the
administrator and the auditors. No value of personal data is ever in them (rule 7): what
was read, by whom, with which parameters, how many rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shegong.contracts.events import Event, Upcaster


def key_unknown(data: dict[str, Any]) -> dict[str, Any]:
    """An access record of before round 13 named the key by its name only: which key is
    not known."""
    return {**data, "viewer_key_id": None}


def key_id_field() -> Any:
    """The field naming the key that viewed: its id, never its secret."""
    return Field(default=None, max_length=64, description="The API key's id (sgk_<id>_…)")


class AccessRecorded(Event):
    """A read of personal data in bulk (an export, the feed, a list), or an attempt the
    service refused (a key that may not, a lookup of another department's person).

    Version 2 names the key by its id too (round 13): a name is not unique — two keys
    given one name (a rotation, a second clerk) read as one, and a name says nothing of
    which key to revoke. Version 1 entries read ``viewer_key_id: None``."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: key_unknown}
    aggregate_type = "access"
    audit = True
    type: Literal["AccessRecorded"] = "AccessRecorded"
    what: str = Field(
        max_length=64,
        description="census_export, census_persons, events_feed, workers_list, person_lookup, "
        "request (a refused call)",
    )
    outcome: Literal["read", "refused"]
    viewer: str = Field(max_length=300, description="The API key's name (and the person named)")
    viewer_key_id: str | None = key_id_field()
    viewer_role: str
    viewer_department: str | None = None
    method: str = Field(max_length=16)
    path: str = Field(max_length=512)
    query: str | None = Field(default=None, max_length=1024, description="The parameters")
    department: str | None = Field(
        default=None, description="Whose data a refused lookup touched (another department)"
    )
    rows: int | None = Field(default=None, description="Rows read or refused, where known")
    reason: str | None = Field(default=None, max_length=500, description="Why refused")


class ApiKeyIssued(Event):
    """This service started accepting a key (it appeared in its keys file or API_KEYS).
    Never the secret or its hash."""

    aggregate_type = "api-keys"
    audit = True
    type: Literal["ApiKeyIssued"] = "ApiKeyIssued"
    key_id: str
    name: str
    role: str
    key_department: str | None = None
    created: datetime | None = Field(default=None, description="When the key was made")


class ApiKeyRevoked(Event):
    """This service stopped accepting a key (it left its keys file or API_KEYS)."""

    aggregate_type = "api-keys"
    audit = True
    type: Literal["ApiKeyRevoked"] = "ApiKeyRevoked"
    key_id: str
    name: str
    role: str
    key_department: str | None = None


ACCESS_EVENTS = (AccessRecorded, ApiKeyIssued, ApiKeyRevoked)
