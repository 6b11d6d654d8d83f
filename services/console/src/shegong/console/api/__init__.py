"""The services' answers as the console reads them: pydantic models generated from each
service's published OpenAPI document (``services/<service>/openapi.json``), one module per
service, and one :class:`Operation` per route the console calls.

The modules ``registry``, ``training`` and ``matching`` beside this file are generated
(never edit them): after a service's document changed, regenerate them with ::

    uv run python -m shegong.console.api.generate

and a test fails while they differ from what the published documents give. The console
imports no service's package: it stays deployable apart, and reads only what the services
publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T", covariant=True)


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One route of a service, and the type of its successful answer."""

    method: str
    path: str  # as the service documents it: ``/census/persons/{person_id}``
    answer: Any = field(compare=False)  # a type: a model, ``list[Model]``, ``A | B`` …

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.answer)

    def validate(self, answer: Any) -> T:
        """The answer as this type (``pydantic.ValidationError`` when it is not)."""
        value: T = self.adapter.validate_python(answer)
        return value


__all__ = ["Operation"]
