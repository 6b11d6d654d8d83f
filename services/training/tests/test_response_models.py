"""A response model writes a body as the untyped route did (``jsonable_encoder``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.encoders import jsonable_encoder

from shegong.training.api.models import Attendee


@pytest.mark.parametrize(
    "signed_at",
    [
        datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
        datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        datetime(2024, 3, 1, 9, 30),
    ],
)
def test_a_sign_in_time_is_written_as_before(signed_at: datetime) -> None:
    row = {"worker_id": "w-1", "signed_at": signed_at, "name": "张三"}
    assert Attendee.model_validate(row).model_dump(mode="json") == jsonable_encoder(row)
