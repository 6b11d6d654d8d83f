"""Response models: what a route returns, declared so that ``/docs`` and the published
OpenAPI document show it, and checked on the way out.

:class:`ApiModel` refuses a key it does not name (a route that starts returning more fails
its tests instead of silently dropping the key); routes whose bodies leave keys out use
``response_model_exclude_unset=True`` so that the body holds exactly the keys the handler
returned. :func:`row_model` makes the model of a read-model table's
row from its columns (a column added is a key documented).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Table

Number = int | float  # a number as the handler computed it: 3 stays 3, 2.5 stays 2.5


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _python_type(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, JSON):
        return Any
    if isinstance(kind, DateTime):
        return datetime
    if isinstance(kind, Date):
        return date
    if isinstance(kind, Boolean):
        return bool
    if isinstance(kind, Integer):
        return int
    if isinstance(kind, Float):
        return Number
    return str


def row_model(table: Table, exclude: Collection[str] = (), **extra: Any) -> type[ApiModel]:
    """The model of one row of ``table`` (``row._asdict()``) without the columns named in
    ``exclude``, plus ``extra`` fields given as ``create_model`` takes them
    (``name=(type, default)``). Subclass it to name it::

        class RequestRow(row_model(requests)):  # type: ignore[misc]
            '''An order as the read model holds it.'''
    """
    fields: dict[str, Any] = {}
    for column in table.columns:
        if column.name in exclude:
            continue
        kind = _python_type(column)
        fields[column.name] = (Optional[kind], None) if column.nullable else (kind, ...)  # noqa: UP045
    return create_model(f"{table.name}_row", __base__=ApiModel, **fields, **extra)
