"""``for_caller`` walks an answer once: what it gives is what the three walks it
replaced gave — the ID masks narrowed, then the birth dates as the caller may see them,
then the digests hidden from who does not link with them — for every kind of caller."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shegong.kernel.web.api_keys import Principal
from shegong.kernel.web.birth_dates import (
    birth_year,
    disagreements_in_years,
    owners_of,
    sees_birth_dates,
)
from shegong.kernel.web.digests import conceal_digests, for_caller, narrow_masks, sees_digests

DEPARTMENTS = ("d1", "d2")
PRINCIPALS = [
    None,
    Principal(key_id="a", name="admin", role="admin"),
    Principal(key_id="s", name="matching", role="service"),
    Principal(key_id="u", name="auditor", role="auditor"),
    *(Principal(key_id=d, name=d, role="department", department=d) for d in DEPARTMENTS),
]
# The keys the three walks look at, and some they do not.
KEYS = st.sampled_from(
    [
        "id_number_masked",
        "id_masked",
        "birth_date",
        "birth_year",
        "disagreements",
        "department",
        "departments",
        "id_number_hash",
        "phone_hash",
        "id_number_parts",
        "phone_parts",
        "name",
        "records",
    ]
)
LEAVES = st.one_of(
    st.none(),
    st.sampled_from(
        ["620102********123X", "6***************2", "1****************X", "d1", "d2", "张三"]
    ),
    st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)),
    st.dates().map(str),
    st.integers(-5, 5),
    st.lists(st.sampled_from(["d1", "d2", None]), max_size=3),
)
BODIES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=6)),
    max_leaves=25,
)


# The birth-date walk as it stood on its own before for_caller took it over: the reference
# the one walk is held to.
def narrow_birth_dates(value: Any, principal: Any, department: str | None = None) -> Any:
    """``value`` with every ``birth_date`` (at any depth) as ``principal`` may see it, and
    ``birth_year`` beside it. ``department``: whose the value is when it does not say (an
    event's data: the envelope's department)."""
    return _narrow(value, principal, (department,) if department else ())


def _narrow(value: Any, principal: Any, inherited: tuple[str | None, ...]) -> Any:
    if isinstance(value, list):
        return [_narrow(v, principal, inherited) for v in value]
    if not isinstance(value, dict):
        return value
    owners = owners_of(value, inherited)
    full = sees_birth_dates(principal, owners)
    shown: dict[str, Any] = {}
    for key, item in value.items():
        if key == "birth_date" and not full and not isinstance(item, dict | list):
            shown[key] = None
            shown["birth_year"] = birth_year(item)
        elif key == "disagreements" and isinstance(item, dict) and not full:
            shown[key] = disagreements_in_years(item)
        else:
            shown[key] = _narrow(item, principal, owners)
    return shown


def _three_walks(body: Any, principal: Any, department: str | None) -> Any:
    shown = narrow_birth_dates(narrow_masks(body), principal, department)
    return shown if sees_digests(principal) else conceal_digests(shown)


@settings(max_examples=400, deadline=None)
@given(BODIES, st.sampled_from(PRINCIPALS), st.sampled_from([None, *DEPARTMENTS]))
def test_one_walk_answers_as_the_three_did(body: Any, principal: Any, department: Any) -> None:
    request = SimpleNamespace(state=SimpleNamespace(principal=principal))
    assert for_caller(request, body, department) == _three_walks(body, principal, department)  # type: ignore[arg-type]


def test_a_registrations_answer_for_each_caller() -> None:
    """Spelled out on a worker as the registry answers it."""
    worker = {
        "worker_id": "w1",
        "department": "d1",
        "birth_date": date(1990, 3, 7),
        "id_number_masked": "110105********002X",
        "id_number_hash": "ab" * 16,
        "phone_parts": "a.b.c.d",
        "region": {"county": "c"},
        "disagreements": {"birth_date": ["1990-03-07", "1990-03-08"], "phone_hash": ["x"]},
    }
    body = {"worker": worker, "events": [{"type": "WorkerRegistered", "sequence": 1}]}
    for principal in PRINCIPALS:
        request = SimpleNamespace(state=SimpleNamespace(principal=principal))
        shown = for_caller(request, body)["worker"]  # type: ignore[arg-type]
        assert shown["id_number_masked"] == "1****************X"
        own = (principal is not None and principal.role in ("admin", "service")) or (
            principal is not None and principal.department == "d1"
        )
        assert shown["birth_date"] == (date(1990, 3, 7) if own else None)
        links = principal is not None and principal.role in ("admin", "service")
        assert (shown["id_number_hash"] is None) is not links
        assert body["worker"]["id_number_masked"] == "110105********002X"  # not changed
