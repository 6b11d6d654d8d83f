"""What :class:`~shegong.kernel.data.identity.PersonalDataHasher` digests of an ID number
as typed, so that the census can tell a clerk's slip from another person without seeing
either number: its four parts one by one (region, birth date, order, check character),
and the whole number with the two characters at each border of the parts put in order
(two neighbours swapped across a border). Pure text, no key: the hasher keys each message.
"""

from __future__ import annotations

_CHECKS = frozenset("0123456789X")
_PART_BORDERS = (6, 14, 17)  # where an ID number's region, birth date, order, check meet


def _check_x_early(number: str) -> bool:
    """An 18-character number whose check character X came one place early (…31X1): a
    clerk's swap of the last two, not a mask (a mask hides more than one character)."""
    return (
        len(number) == 18 and number[:16].isdigit() and number[16] == "X" and number[17].isdigit()
    )


def part_messages(number: str) -> list[str]:
    """The four parts of an 18-character number as messages to digest; ``""`` for a part
    a department published masked (5301**********21, 530102XXXXXXXX0021) — it agrees with
    nothing, not with another mask. A check character X typed one place early (…31X1 for
    …311X) hides nothing."""
    early_x = _check_x_early(number)
    return [
        f"idp{i}:{part}"
        if (part.isdigit() or (i == 2 and early_x) if i < 3 else part in _CHECKS)
        else ""
        for i, part in enumerate((number[:6], number[6:14], number[14:17], number[17]))
    ]


def swap_messages(number: str) -> list[str] | None:
    """The whole number with each border's two characters in order, one message a border;
    None for what is not 18 digits (the last, or the one before it, may be X): a mask
    hides digits."""
    digits = len(number) == 18 and number[:17].isdigit() and number[17] in _CHECKS
    if not (digits or _check_x_early(number)):
        return None
    return [
        f"ids{k}:{number[: k - 1]}{''.join(sorted(number[k - 1 : k + 1]))}{number[k + 1 :]}"
        for k in _PART_BORDERS
    ]
