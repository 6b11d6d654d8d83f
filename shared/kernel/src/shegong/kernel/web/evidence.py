"""A census pair's evidence grades personal fields only for who may see both records' data.

The census explains each link and each pair it queues with the model's waterfall: every
comparison's level and weight, the total, the probability — and the pair carries its
score. For the fields a caller sees of both records (name, sex, unit, region) that adds
nothing; for the ones it does not (the ID number, the whole birth date, the phone, a
certificate's number) the level *is* the hidden value compared with the other record's:
a department that lists another department's person with a guessed phone reads
``phone: exact`` for the right guess and ``one slip`` for one digit off, and a guessed
birth date ``exact`` or ``day/month swapped`` (round 15; the limits on how many numbers a
department lists behind one mask bounded the guesses, not what each one taught). The
totals and the score give the same grade back as a number, so they go too.

Who may see both records' birth dates (``birth_dates.sees_birth_dates``: the
administrator, the services, a department on a pair of its own records) reads the
evidence whole; everyone else reads those comparisons as ``withheld`` with no weight, and
no ``score``, ``match_weight``, ``probability`` or ``against_others``.
"""

from __future__ import annotations

from typing import Any

# The comparisons of what a caller may not see of another department's record.
HIDDEN = frozenset({"id", "birth_date", "phone", "certificate"})
# The numbers that add the hidden comparisons' weights up.
TOTALS = frozenset({"match_weight", "probability", "against_others"})
WITHHELD = {"level": "withheld", "weight": None}


def is_pair(value: dict[str, Any]) -> bool:
    """A link or a queued pair: two records and the model's evidence."""
    return isinstance(value.get("evidence"), dict) and "a" in value and "b" in value


def pair_departments(value: dict[str, Any]) -> tuple[str | None, ...]:
    """The departments of a pair's two records (a record key is ``department:record_id``;
    a review's side is a dict naming its ``department`` or ``key``)."""
    return tuple(_department(value.get(side)) for side in ("a", "b"))


def _department(side: Any) -> str | None:
    if isinstance(side, dict):
        if isinstance(side.get("department"), str):
            return side["department"]  # type: ignore[no-any-return]
        side = side.get("key")
    if isinstance(side, str) and ":" in side:
        return side.split(":", 1)[0]
    return None


def withhold_grades(pair: dict[str, Any]) -> dict[str, Any]:
    """``pair`` without the grades of the hidden comparisons, the totals and the score."""
    evidence = {
        k: (dict(WITHHELD) if k in HIDDEN else None if k in TOTALS else v)
        for k, v in pair["evidence"].items()
    }
    shown = {**pair, "evidence": evidence}
    if "score" in shown:
        shown["score"] = None
    return shown
