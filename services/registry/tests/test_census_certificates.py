"""Certificates are linkage evidence: 人社's certificate list gives a name, an ID number and
the certificate; another department's list gives the name and the same certificate but no
ID number. One name holding the same certificate — the same number, or the same level
issued the same day — is one person, as a clerk would link it; the certificate arrives
after the record (``WorkerCertified``) and the record is re-scored. The hard constraints
hold whatever the certificates say."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.testing import eventually
from shegong.registry.census.certificates import certificate_code, with_certificate
from shegong.registry.census.linkage import CensusRecord, Linker
from shegong.registry.census.projection import CensusProjection

HASHER = PersonalDataHasher("census-certificate-key-0123456789abcdef")
EXAM = date(2021, 10, 16)


def hrss(key: str, name: str, number: str, sex: str = "female") -> CensusRecord:
    """A row of 人社's certificate list: the name and a valid ID number (its birth date)."""
    return CensusRecord(
        key=f"hrss:{key}",
        department="hrss",
        name=name,
        id_hash=HASHER.id_number(number),
        id_parts=HASHER.id_parts(number),
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex=sex,
    )


def listed(key: str, name: str, **fields: object) -> CensusRecord:
    """A civil-affairs row: the name, the unit and the county, no ID number."""
    return CensusRecord(
        key=f"civil-affairs:{key}",
        department="civil-affairs",
        name=name,
        sex="female",
        organization="攀西市阳光社会工作服务中心",
        county="东区",
        **fields,  # type: ignore[arg-type]
    )


def certify(linker: Linker, key: str, *certificate: object) -> None:
    code = certificate_code(*certificate)  # type: ignore[arg-type]
    linker.update(with_certificate(linker.record(key), code))


def namesakes(linker: Linker, name: str) -> None:
    """Others of the name elsewhere, certified other years or not at all."""
    for i in range(4):
        linker.add(
            CensusRecord(
                key=f"youth-league:{i}",
                department="youth-league",
                name=name,
                organization=f"第{i + 1}中学",
                county="仁和区",
                certificates=(certificate_code("intermediate", date(2015 + i, 6, 20)),)
                if i % 2
                else None,
            )
        )


WANG = "510402197011140022"  # valid: its check character computed
OTHER = "510402198302050048"


def test_one_name_and_the_same_certificate_arriving_later_is_one_person() -> None:
    """Before the certificates: the name alone (a common one) is no link. 人社's row and
    the civil-affairs row then receive the same certificate (level and day; no number on
    the civil-affairs list): re-scored, one person, the certificate's weight in the
    waterfall."""
    linker = Linker()
    namesakes(linker, "王静")
    linker.add(hrss("1", "王静", WANG))
    linker.add(listed("1", "王静"))
    assert linker.person_of("hrss:1") != linker.person_of("civil-affairs:1")
    certify(linker, "hrss:1", "assistant", EXAM, "S2021510000123")
    certify(linker, "civil-affairs:1", "assistant", EXAM, None)
    assert linker.person_of("hrss:1") == linker.person_of("civil-affairs:1")
    (link,) = linker.links("civil-affairs:1")
    evidence = link.evidence["certificate"]
    assert evidence["level"] == "same level and date" and evidence["weight"] > 0
    assert all(
        linker.person_of(f"youth-league:{i}") != linker.person_of("hrss:1") for i in range(4)
    )


def test_the_same_certificate_number_links_despite_a_level_typed_otherwise() -> None:
    linker = Linker()
    namesakes(linker, "王静")
    linker.add(hrss("1", "王静", WANG))
    linker.add(
        listed("1", "王静", certificates=(certificate_code("assistant", EXAM, "Ｓ2021 510000123"),))
    )
    certify(linker, "hrss:1", "intermediate", date(2021, 10, 17), "s2021510000123")
    (link,) = linker.links("civil-affairs:1")
    assert link.evidence["certificate"]["level"] == "same number"


def test_a_certificate_never_joins_two_valid_ids_or_two_birth_dates() -> None:
    """The hard constraints stand: two valid different ID numbers, or one name with birth
    dates that disagree, stay two persons, the same certificate number and all."""
    cert = (certificate_code("assistant", EXAM, "S2021510000123"),)
    linker = Linker()
    linker.add(hrss("1", "王静", WANG))
    linker.add(hrss("2", "王静", OTHER))
    certify(linker, "hrss:1", "assistant", EXAM, "S2021510000123")
    certify(linker, "hrss:2", "assistant", EXAM, "S2021510000123")
    linker.add(listed("1", "王静", birth_date=date(1991, 3, 8), certificates=cert))
    persons = {frozenset(keys) for keys in linker.persons().values()}
    assert all(len(p) == 1 for p in persons), persons


def test_a_date_given_to_the_month_or_year_is_the_same_day() -> None:
    """One list writes when the certificate was issued to the month (2021.10, held as its
    1st) or the year: the same certificate, as a clerk reads it."""
    linker = Linker()
    namesakes(linker, "王静")
    linker.add(hrss("1", "王静", WANG))
    certify(linker, "hrss:1", "assistant", EXAM, "S2021510000123")
    linker.add(listed("1", "王静", certificates=certificate_code("assistant", date(2021, 10, 1))))
    linker.add(listed("2", "王静", certificates=certificate_code("assistant", date(2021, 1, 1))))
    for key in ("civil-affairs:1", "civil-affairs:2"):
        assert linker.person_of(key) == linker.person_of("hrss:1")


def test_the_same_level_on_another_day_or_another_number_is_no_link() -> None:
    """Two of one name certified at one level on other days, or the same day under two
    numbers (one exam, two candidates), are not made one by it."""
    linker = Linker()
    namesakes(linker, "王静")
    linker.add(hrss("1", "王静", WANG))
    certify(linker, "hrss:1", "assistant", EXAM, "S2021510000123")
    linker.add(
        listed("1", "王静", certificates=(certificate_code("assistant", date(2019, 6, 22)),))
    )
    linker.add(
        listed("2", "王静", certificates=(certificate_code("assistant", EXAM, "S2021510000999"),))
    )
    for other in ("civil-affairs:1", "civil-affairs:2"):
        assert linker.person_of(other) != linker.person_of("hrss:1")


HEADER = [
    "记录编号",
    "姓名",
    "身份证号",
    "工作单位",
    "所属区县",
    "证书等级",
    "取证日期",
    "证书编号",
]


def csv_roster(*rows: tuple[str, ...]) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


async def test_the_census_links_a_certificate_list_to_a_list_without_id_numbers(city) -> None:
    """Through the pipeline: 人社's list (name, ID number, certificate) and civil-affairs'
    (name, unit, the same certificate and number, no ID number) — the certificates come as
    ``WorkerCertified`` after each record's registration. One person; a namesake certified
    another day stays apart."""
    c = city.client
    rosters = {
        "hrss": csv_roster(
            ("H1", "王静", WANG, "", "", "助理社会工作师", "2021-10-16", "S2021510000123")
        ),
        "civil-affairs": csv_roster(
            (
                "C1",
                "王静",
                "",
                "阳光社会工作服务中心",
                "东区",
                "助理社会工作师",
                "2021-10-16",
                "S2021510000123",
            ),
            ("C2", "王静", "", "第二中学", "仁和区", "助理社会工作师", "2019-06-22", ""),
        ),
    }
    for department, data in rosters.items():
        r = await c.post(
            "/imports/roster",
            files={"file": (f"{department}.csv", data, "text/csv")},
            data={"department": department},
            headers={"X-Actor": "clerk-test"},
        )
        assert r.status_code == 200, r.text

    async def linked() -> bool:
        persons = (await c.get("/census/persons", params={"limit": 50})).json()["persons"]
        groups = {frozenset(p["records"]) for p in persons}
        return frozenset({"hrss:H1", "civil-affairs:C1"}) in groups

    await eventually(linked, timeout=60)
    persons = (await c.get("/census/persons", params={"limit": 50})).json()["persons"]
    assert {frozenset(p["records"]) for p in persons} == {
        frozenset({"hrss:H1", "civil-affairs:C1"}),
        frozenset({"civil-affairs:C2"}),
    }
    # A census starting on the database (a restart, another replica) reads the
    # certificates back with the records: the same person.
    census = CensusProjection(city.runtime.store)
    async with city.runtime.engine.connect() as conn:
        linker = await census._begin(conn)
    assert linker.person_of("hrss:H1") == linker.person_of("civil-affairs:C1")
    assert linker.person_of("civil-affairs:C2") != linker.person_of("hrss:H1")


def test_a_name_too_common_to_block_on_meets_its_holder_of_the_same_certificate() -> None:
    """A name carried by more records than the name block holds (王静 on 40 lists) meets
    another record of it only through another block; rows of it that share nothing but the
    certificate — 人社's with the ID number, another list's with the level and the year it
    was issued, or its number — meet through the name and the certificate: the first pair
    goes to a clerk (so common a name, a level and a year), the second is one person."""
    linker = Linker()
    for i in range(40):  # namesakes at other units, some certified other years
        linker.add(
            CensusRecord(
                key=f"youth-league:{i}",
                department="youth-league",
                name="王静",
                organization=f"第{i + 1}中学",
                county="仁和区",
                certificates=certificate_code("intermediate", date(2010 + i % 8, 6, 20))
                if i % 3 == 0
                else None,
            )
        )
    linker.add(hrss("1", "王静", WANG))
    certify(linker, "hrss:1", "assistant", EXAM, "S2021510000123")
    # The level and the year only, the name that common: they meet, and a clerk decides.
    linker.add(listed("1", "王静", certificates=certificate_code("assistant", date(2021, 1, 1))))
    assert linker.in_queue(("civil-affairs:1", "hrss:1")) is not None
    # The certificate's number as well: one person.
    number = certificate_code("assistant", EXAM, "S2021510000123")
    linker.add(listed("2", "王静", certificates=number))
    assert linker.person_of("hrss:1") == linker.person_of("civil-affairs:2")
    assert all(
        linker.person_of(f"youth-league:{i}") != linker.person_of("hrss:1") for i in range(40)
    )
