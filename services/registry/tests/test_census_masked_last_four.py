"""A published mask showing the region in part and the last four (4407**********9694)
blocked with records of its exact name only: a homophone typed on one list (杨国桦 for
杨国华, whose full number ends so) was never compared. The surname and the last four are
a block of their own; the names' spelling then decides."""

from __future__ import annotations

from shegong.kernel.data.identity import PersonalDataHasher, mask_id_number
from shegong.registry.census.linkage import CensusRecord, Linker
from shegong.registry.census.writes import census_record

HASHER = PersonalDataHasher("census-masked-last-four-key-0123456789")
FULL = "440703198506089694"
MASK = "4407**********9694"


def record(key: str, name: str, number: str, **fields: object) -> CensusRecord:
    valid = "*" not in number
    row = dict.fromkeys(("birth_date", "gender", "township", "community"), None)
    row |= {
        "key": key,
        "department": key.split(":")[0],
        "name": name,
        "id_hash": HASHER.id_number(number) if valid else None,
        "id_masked": mask_id_number(number),
        "id_parts": HASHER.id_parts(number),
        "organization": None,
        "phone_hash": None,
        "phone_masked": None,
        "county": "蓬江区",
    }
    return census_record(row | fields)


def test_a_homophone_beside_a_mask_of_the_last_four_meets_the_full_number() -> None:
    for order in ((0, 1), (1, 0)):
        rows = [record("health:1", "杨国华", FULL), record("volunteer:1", "杨国桦", MASK)]
        linker = Linker()
        for i in order:
            linker.add(rows[i])
        assert linker.person_of("health:1") == linker.person_of("volunteer:1"), order


def test_another_given_name_beside_the_same_last_four_stays_apart() -> None:
    linker = Linker()
    linker.add(record("health:1", "杨国华", FULL))
    linker.add(record("volunteer:1", "杨建军", MASK))
    assert linker.person_of("health:1") != linker.person_of("volunteer:1")
