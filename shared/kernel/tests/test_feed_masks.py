"""What the feed and the registry's answers show of a stored mask: the display's form,
whatever form the event or read model was stored with."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from shegong.kernel.web.digests import for_caller


def _as(role: str | None) -> Any:
    principal = SimpleNamespace(role=role) if role else None
    return SimpleNamespace(state=SimpleNamespace(principal=principal))


def test_masks_stored_in_an_older_form_are_narrowed_for_every_caller() -> None:
    """An event stored before a mask was narrowed (``620102********123X``: region and
    the last four; ``6***************2``: a mistyped number's last character, an order
    digit of the right one) went out on ``GET /events`` as stored: the contract narrows
    a mask only when an event is parsed, and the feed serves the stored data."""
    stored = {
        "id_number_masked": "620102********123X",
        "records": [{"id_masked": "6***************2", "phone_masked": "138****5678"}],
        "name": "陈建国",
    }
    for role in (None, "department", "auditor", "service", "admin"):
        shown = for_caller(_as(role), stored)
        assert shown["id_number_masked"] == "6****************X"
        assert shown["records"][0] == {
            "id_masked": "6****************",
            "phone_masked": "138****5678",
        }
        assert shown["name"] == "陈建国"
