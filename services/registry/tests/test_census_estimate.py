"""The census's best estimate (pure): which queued pairs it counts as one person, and the
hard constraints and clerks' decisions it keeps."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.comparison import CensusRecord, Features
from shegong.registry.census.estimate import QueuedPair, estimate

HASHER = PersonalDataHasher(b"k" * 32)


def rec(
    key: str, id_number: str | None = None, birth: date | None = None, name: str = "王伟"
) -> Features:
    return Features(
        CensusRecord(
            key=key,
            department=key.split(":")[0],
            name=name,
            id_hash=HASHER.id_number(id_number) if id_number else None,
            birth_date=birth,
        )
    )


ID_A, ID_B = "621102198506150016", "621102198506150032"


def test_a_likely_queued_pair_is_one_person_and_an_unlikely_one_stays_two() -> None:
    features = {k: rec(k) for k in ("a:1", "b:1", "c:1", "d:1")}
    person_of = {"a:1": "a:1", "b:1": "b:1", "c:1": "c:1", "d:1": "d:1"}
    queue = [
        QueuedPair("a:1", "b:1", 0.8, "match probability uncertain"),
        QueuedPair("c:1", "d:1", 0.4, "another person matches as well"),
    ]
    got = estimate(queue, person_of, features, [])
    assert got.person_of["b:1"] == got.person_of["a:1"] == "a:1"
    assert got.person_of["c:1"] != got.person_of["d:1"]
    assert (got.queued_pairs, got.counted_as_one) == (2, 1)


def test_two_valid_ids_birth_dates_and_a_clerks_not_same_are_never_joined() -> None:
    # c (no ID) is queued with a (ID A) and b (ID B): it joins the likelier, never both.
    features = {"a:1": rec("a:1", ID_A), "b:1": rec("b:1", ID_B), "c:1": rec("c:1")}
    person_of = {k: k for k in features}
    queue = [
        QueuedPair("a:1", "c:1", 0.7, "match probability uncertain"),
        QueuedPair("b:1", "c:1", 0.6, "match probability uncertain"),
    ]
    got = estimate(queue, person_of, features, [])
    assert got.person_of["c:1"] == got.person_of["a:1"] != got.person_of["b:1"]
    assert got.counted_as_one == 1
    # A clerk said c is not a: the estimate takes b instead.
    got = estimate(queue, person_of, features, [("c:1", "a:1")])
    assert got.person_of["c:1"] == got.person_of["b:1"] != got.person_of["a:1"]

    # Birth dates that disagree, through a record already linked to the person.
    born = {
        "a:1": rec("a:1", birth=date(1985, 6, 15)),
        "a:2": rec("a:2"),
        "c:1": rec("c:1", birth=date(1979, 3, 2)),
    }
    person_of = {"a:1": "a:1", "a:2": "a:1", "c:1": "c:1"}
    queue = [QueuedPair("a:2", "c:1", 0.9, "match probability uncertain")]
    assert estimate(queue, person_of, born, []).counted_as_one == 0
    # A pair queued because joining it was refused is no candidate either.
    queue = [QueuedPair("a:2", "c:1", 0.9, "conflict: would join birth dates that disagree")]
    assert estimate(queue, person_of, {**born, "c:1": rec("c:1")}, []).counted_as_one == 0


def test_two_different_names_are_not_counted_as_one_person() -> None:
    # Colleagues under the unit's office number: likely by phone, but the names differ.
    features = {"a:1": rec("a:1", name="张建国"), "b:1": rec("b:1", name="李秀兰")}
    queue = [QueuedPair("a:1", "b:1", 0.64, "match probability uncertain")]
    got = estimate(queue, {k: k for k in features}, features, [])
    assert got.counted_as_one == 0 and got.person_of["a:1"] != got.person_of["b:1"]
    # One character apart (a slip) is still a name, not two.
    features["b:1"] = rec("b:1", name="张建")
    assert estimate(queue, {k: k for k in features}, features, []).counted_as_one == 1
