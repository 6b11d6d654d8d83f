"""Field types matching's events share: masked and keyed-hash values (never the value
itself) and the department that owns a record."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

Masked = Annotated[str, Field(max_length=64, description="masked for display")]
KeyedHash = Annotated[str, Field(min_length=16, max_length=64, description="keyed hash (HMAC)")]


def owner(description: str) -> Any:
    return Field(default=None, max_length=64, description=description)
