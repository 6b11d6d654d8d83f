"""A synthetic city's roster rows as the census sees them (``to_census_records``: the
kernel's real ID parsing, hashing and masking), and a partition scored against the truth
(``pairwise_precision_recall``). :mod:`.census_city` draws the rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from shegong.kernel.data.identity import (
    PersonalDataError,
    PersonalDataHasher,
    mask_id_number,
    mask_phone,
    parse_resident_id,
)
from shegong.registry.census.comparison import CensusRecord, phone_kind
from shegong.registry.census.features import shown_digits
from shegong.registry.imports.roster import well_formed_phone

if TYPE_CHECKING:
    from shegong.testkit.census_city import RosterRow

__all__ = ["pairwise_precision_recall", "to_census_record", "to_census_records"]


# --------------------------------------------------------------------------- to the census

_GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female"}


def to_census_record(row: RosterRow, hasher: PersonalDataHasher) -> CensusRecord:
    """What the census sees of a row: hashes and masked forms, never the raw numbers.

    A valid ID number (18-char, old 15-digit, lowercase x) gives the hash, the masked
    canonical number, and the birth date and sex it carries. An invalid one gives only its
    masked form (first 6 + last 4 of the raw characters), and the row's own birth date and
    gender columns are used.
    """
    id_hash = id_masked = id_parts = id_swaps = None
    birth, sex = row.birth_date, _GENDERS.get(row.gender or "")
    if row.id_number and row.id_number.strip():
        id_parts = hasher.id_parts(row.id_number)
        id_swaps = hasher.id_swaps(row.id_number)
        try:
            resident = parse_resident_id(row.id_number)
        except PersonalDataError:
            id_masked = mask_id_number(row.id_number)
        else:
            id_hash = hasher.id_number(resident.number)
            id_masked = mask_id_number(resident.number)
            birth, sex = resident.birth_date, resident.sex
    phone_hash = phone_parts = phone_shown = None
    if row.phone:
        # The digits a mobile's mask shows, as the service's projection keeps them: the
        # full number's mask, or a mask published alone (138****5678).
        phone_shown = shown_digits(row.phone)
        try:
            phone_hash = hasher.phone(row.phone)
            phone_shown = shown_digits(mask_phone(row.phone))
        except PersonalDataError:  # not a contact; its digits are still evidence
            digits = well_formed_phone(row.phone)
            phone_hash = hasher.phone_digits(digits) if digits else None
        if phone_hash:
            phone_parts = hasher.phone_parts(well_formed_phone(row.phone) or row.phone)
    return CensusRecord(
        key=row.key,
        department=row.department,
        name=row.name,
        id_hash=id_hash,
        id_masked=id_masked,
        birth_date=birth,
        sex=sex,
        phone_hash=phone_hash,
        # From the masked form, as the census's projection has it.
        phone_kind=phone_kind(mask_phone(row.phone)) if phone_hash and row.phone else None,
        organization=row.organization,
        county=row.county,
        township=row.township,
        community=row.community,
        id_parts=id_parts,
        id_swaps=id_swaps,
        phone_parts=phone_parts,
        phone_shown=phone_shown,
    )


def to_census_records(rows: Iterable[RosterRow], hasher: PersonalDataHasher) -> list[CensusRecord]:
    return [to_census_record(row, hasher) for row in rows]


# --------------------------------------------------------------------------- scoring


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_precision_recall(
    persons: Mapping[str, Iterable[str]], truth: Mapping[str, str]
) -> tuple[float, float]:
    """Pairwise precision and recall of a partition against the truth (record key → human).

    Counts pairs through cluster sizes and the contingency table, never pair by pair.
    Only records present in both are scored. An empty denominator scores 1.0.
    """
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    both: Counter[tuple[str, str]] = Counter()
    for pid, keys in persons.items():
        for key in keys:
            human = truth.get(key)
            if human is None:
                continue
            predicted[pid] += 1
            actual[human] += 1
            both[(pid, human)] += 1
    true_positive = sum(_pairs(n) for n in both.values())
    predicted_pairs = sum(_pairs(n) for n in predicted.values())
    actual_pairs = sum(_pairs(n) for n in actual.values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / actual_pairs if actual_pairs else 1.0
    return precision, recall
