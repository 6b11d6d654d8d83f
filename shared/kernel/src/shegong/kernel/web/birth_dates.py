"""A birth date in full only for who may see personal data; the year for everyone else.

DOMAIN: "Publish the birth year (or an age band) at most where a mask is shown." A mask
(``6****************X``) beside the full birth date, the sex and the county leaves ~45 ID
numbers; beside the year, ~16,000 — and those 45 made the census a cheap oracle (register
them all, see which one the census links to the person). So every answer that carries a
``birth_date`` beside a mask gives it whole only to:

- ``admin`` (who may read the raw ID number too) and ``service`` (the services linking
  records: the census compares birth dates);
- a ``department`` key, for its own records (a row whose ``department`` is its own, or a
  census person every record of whom is its own): it keeps those dates itself.

Everyone else reads ``birth_date: null`` and ``birth_year`` beside it (the API models
name both; an event on the feed gets the extra key only then, so the services' and the
administrator's events still parse as the contract's). A person's ``disagreements`` list
gives its birth dates as years too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

FULL_ROLES = frozenset({"admin", "service"})


def birth_year(value: Any) -> int | None:
    """The year of a date, or of its ISO text (``1990-04-12``); None otherwise."""
    if isinstance(value, date):
        return value.year
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        return int(value[:4])
    return None


def sees_birth_dates(principal: Any, departments: Iterable[str | None]) -> bool:
    """Whether ``principal`` may see the whole birth date of records of ``departments``."""
    role = getattr(principal, "role", None)
    if role in FULL_ROLES:
        return True
    if role != "department":
        return False
    owners = set(departments)
    return bool(owners) and owners == {principal.department}


def owners_of(value: dict[str, Any], inherited: tuple[str | None, ...]) -> tuple[str | None, ...]:
    if isinstance(value.get("department"), str):
        return (value["department"],)
    departments = value.get("departments")
    if isinstance(departments, list) and departments:
        return tuple(d if isinstance(d, str) else None for d in departments)
    return inherited


def disagreements_in_years(disagreements: dict[str, Any]) -> dict[str, Any]:
    """A person's ``disagreements`` with its birth dates as years."""
    return {
        k: [str(birth_year(d) or "") for d in v] if k == "birth_date" and isinstance(v, list) else v
        for k, v in disagreements.items()
    }


# A date written in a sentence (an import's note on a birth date: "1975-01-19 contradicts
# the ID number", "kept as 1975-01-01", 1975年1月19日, 19750119): its year only.
_DATE_IN_TEXT = re.compile(
    r"(?<!\d)((?:19|20)\d\d)(?:[-./](\d{1,2})(?:[-./]\d{1,2})?|年\d{1,2}月(?:\d{1,2}日)?|\d{4})(?!\d)"
)


def years_in_text(text: str) -> str:
    """``text`` with every date in it cut to its year."""
    return _DATE_IN_TEXT.sub(lambda m: m.group(1) + ("年" if "年" in m.group(0) else ""), text)


# Round 13: a note on a mistyped ID number quoted parts of it to every department —
# "birth date digits 19881305 are not a real date" (the person's birth date, its day and
# month swapped), "check character is 3, expected 5" (a number whose last two characters
# were swapped: 3 is the right number's sex digit). Its mask shows the first character
# only (round 4), so its note says no more either.
ID_NOTE = (
    "id_number: not a valid ID number; imported without it (the details: the department's "
    "own key) / 身份证号：号码无效，已导入，未登记（详情仅本部门可见）"
)


def narrow_problems(problems: Any, principal: Any, department: str | None) -> Any:
    """An import's notes on a department's rows (``/census/quality``) as ``principal`` may
    see them: unless the row's personal data may be seen, a note on a birth date gives its
    year only, and a note on an ID number none of its characters."""
    if sees_birth_dates(principal, (department,)):
        return problems
    if isinstance(problems, str):
        if problems.startswith("id_number"):
            return ID_NOTE
        return years_in_text(problems) if "birth_date" in problems else problems
    if isinstance(problems, list):
        return [narrow_problems(p, principal, department) for p in problems]
    if isinstance(problems, dict):
        return {k: narrow_problems(v, principal, department) for k, v in problems.items()}
    return problems
