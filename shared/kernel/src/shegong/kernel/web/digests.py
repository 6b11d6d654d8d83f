"""Keyed digests of personal data only for the callers that link records with them.

Every ID number, phone and volunteer number travels as a keyed hash (HMAC,
``PII_HASH_KEY``) so the services can link records without the raw value. The key is
secret, but a department key can have a service compute the digest of any value it
chooses — register a worker (or a roster row) with it and read the digest back. With the
digests of other people readable too, a department rebuilt a full number by comparison:
an ID number is one of ~45 candidates once its mask, birth date, sex and county are known
(a 45-row roster found 陈建国's), a resident's phone one of 10,000 behind ``138****5678``
(one roster of candidate phones found it against the ``resident_phone_hash`` of their
order). So the digests — any field named ``*_hash``, ``id_number_parts`` and
``phone_parts`` — are shown only to the roles that link with them: ``service`` (the other
services reading the feeds) and ``admin`` (who may see the raw values anyway). Everyone
else gets ``null`` in their place, on the feed and in every answer that carried them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shegong.contracts.registry import mask_id_display
from shegong.kernel.web.api_keys import Principal
from shegong.kernel.web.birth_dates import (
    birth_year,
    disagreements_in_years,
    owners_of,
    sees_birth_dates,
)
from shegong.kernel.web.evidence import is_pair, pair_departments, withhold_grades

DIGEST_ROLES = frozenset({"admin", "service"})


def is_digest(field: str) -> bool:
    return field.endswith("_hash") or field in ("id_number_parts", "phone_parts")


def sees_digests(principal: Principal | None) -> bool:
    return principal is not None and principal.role in DIGEST_ROLES


def conceal_digests(value: Any) -> Any:
    """``value`` with every digest field (at any depth) set to ``None``."""
    if isinstance(value, dict):
        return {
            k: None if is_digest(k) and v is not None else conceal_digests(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [conceal_digests(v) for v in value]
    return value


ID_MASKS = frozenset({"id_number_masked", "id_masked"})


def narrow_masks(value: Any) -> Any:
    """``value`` with every ID number's mask (at any depth) in the display's form: an
    event or a row stored with an older, wider one (``620102********123X``, a mistyped
    number's ``6***************2``) is served as stored otherwise — the contract narrows
    a mask only when an event is parsed."""
    if isinstance(value, dict):
        return {
            k: mask_id_display(v) if k in ID_MASKS and isinstance(v, str) else narrow_masks(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [narrow_masks(v) for v in value]
    return value


def for_caller(request: Request, body: Any, department: str | None = None) -> Any:
    """``body`` as the caller may see it (the principal the key check left on the request):
    masks in the display's form for everyone, digests only for who links with them, a
    birth date whole only for who may see personal data (``birth_dates``; ``department``:
    whose ``body`` is when it does not say), a census pair's evidence graded on personal
    fields only for who may see both records' (``evidence``).

    One walk of ``body`` doing what :func:`narrow_masks`, then the birth-date walk
    (``birth_dates``' rules), then (for who may not see them) :func:`conceal_digests` did —
    three walks and three copies of every answer before (≈ 47 µs of a registration's
    answer; bench/README.md, round 13; ``tests/test_for_caller.py`` keeps the three as the
    reference)."""
    principal = getattr(request.state, "principal", None)
    inherited = (department,) if department else ()
    return _shown(body, principal, inherited, not sees_digests(principal))


def _shown(value: Any, principal: Any, inherited: tuple[str | None, ...], conceal: bool) -> Any:
    if isinstance(value, list):
        return [_shown(v, principal, inherited, conceal) for v in value]
    if not isinstance(value, dict):
        return value
    if is_pair(value) and not sees_birth_dates(principal, pair_departments(value)):
        value = withhold_grades(value)
    owners = owners_of(value, inherited)
    full = sees_birth_dates(principal, owners)
    shown: dict[str, Any] = {}
    for key, item in value.items():
        if key in ID_MASKS and isinstance(item, str):
            shown[key] = mask_id_display(item)
        elif conceal and item is not None and is_digest(key):
            shown[key] = None
        elif key == "birth_date" and not full and not isinstance(item, dict | list):
            shown[key] = None
            shown["birth_year"] = birth_year(item)
        elif key == "disagreements" and isinstance(item, dict) and not full:
            # As the three walks left it: masks, then the dates' years, then digests.
            years = disagreements_in_years(narrow_masks(item))
            shown[key] = conceal_digests(years) if conceal else years
        else:
            shown[key] = _shown(item, principal, owners, conceal)
    return shown
