"""Workforce indicators (DOMAIN.md §10) on hand-built cities with known truth, plus
properties on random small cities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shegong.contracts.registry import CertificateLevel, OrgType, Post
from shegong.registry.census.indicator_table import format_table
from shegong.registry.census.indicators import (
    INDICATOR_KEYS,
    ExpertAdmission,
    Person,
    RecordFacts,
    RegionNode,
    person_on,
    workforce_indicators,
)

A_, I_, S_ = CertificateLevel.ASSISTANT, CertificateLevel.INTERMEDIATE, CertificateLevel.SENIOR
SWP, CW, OTHER = Post.SOCIAL_WORK_POST, Post.COMMUNITY_WORKER, Post.OTHER

# City: county A (no own figure) = A1 (30,000) + A2 (none; its community A2c 10,000) = 40,000;
# county B (own figure 20,000 wins over B1's 5,000; B2 knows nothing). City = 60,000.
REGIONS = (
    RegionNode("A", "安定区", None, "county"),
    RegionNode("A1", "中华路街道", "A", "township", 30_000),
    RegionNode("A2", "永定路街道", "A", "township"),
    RegionNode("A2c", "东关社区", "A2", "community", 10_000),
    RegionNode("B", "陇西县", None, "county", 20_000),
    RegionNode("B1", "巩昌镇", "B", "township", 5_000),
    RegionNode("B2", "文峰镇", "B", "township"),
)


def rec(dept: str = "mz", **kw: object) -> RecordFacts:
    return RecordFacts(department=dept, **kw)  # type: ignore[arg-type]


# P1: social-work post since 2020, no certificate            -> professional 2023 and 2024.
# P2: three departments. mz: community worker at a community since 2024-03-01 (names the
#     region by *name*); rs: same job, no post, 2024-03-05; tw: certificate list (no org)
#     with an assistant certificate of 2023-06-01.
#     -> 2024: active, community worker hired 2024 (new CW), holds a certificate -> professional,
#        certified, certified-in-community; new professional (not active in 2023); first
#        certificate 2023 -> NOT newly certified. 2023: not active.
# P3: other post at a hospital in B since 2019; intermediate 2024-05-01, senior 2024-11-01
#     -> 2024 professional (certified), senior, new, newly certified. 2023: no cert -> not prof.
# P4: social-work post in B since 2018, left 2024-12-31 -> professional 2023, not 2024.
# P5: certificate list only (intermediate 2020) -> never active, never counted.
# P6: community worker in A/A2/A2c since 2015 -> community worker, not new, not professional.
# P7: social-work post naming only township A2 (resolved by unique code), since 2023-06-01,
#     intermediate 2022 -> professional + certified both years.
PERSONS = (
    Person("P1", (rec(organization="X", org_type=OrgType.SOCIAL_WORK_ORG, post=SWP,
                      county="A", township="A1", hired_on=date(2020, 1, 1)),)),
    Person("P2", (
        rec("mz", organization="Y社区", org_type=OrgType.COMMUNITY, post=CW,
            county="安定区", township="中华路街道", hired_on=date(2024, 3, 1)),
        rec("rs", organization="Y社区", county="A", hired_on=date(2024, 3, 5)),
        rec("tw", certificates=((A_, date(2023, 6, 1)),)),
    )),
    Person("P3", (rec(organization="Z", org_type=OrgType.HOSPITAL, post=OTHER, county="B",
                      hired_on=date(2019, 5, 1),
                      certificates=((I_, date(2024, 5, 1)), (S_, date(2024, 11, 1)))),)),
    Person("P4", (rec(organization="W", post=SWP, county="B", township="B1",
                      hired_on=date(2018, 1, 1), left_on=date(2024, 12, 31)),)),
    Person("P5", (rec("rs", certificates=((I_, date(2020, 1, 1)),)),)),
    Person("P6", (rec(organization="V", org_type=OrgType.COMMUNITY, post=CW, county="A",
                      township="A2", community="A2c", hired_on=date(2015, 1, 1)),)),
    Person("P7", (rec(organization="U", post=SWP, township="A2", hired_on=date(2023, 6, 1),
                      certificates=((I_, date(2022, 1, 1)),)),)),
)  # fmt: skip
EXPERTS = (
    ExpertAdmission("P3", date(2024, 11, 15)),
    ExpertAdmission("P7", date(2023, 1, 1)),
    ExpertAdmission("P5", date(2025, 1, 1)),  # after 31 Dec 2024: not counted
)
ADDITIVE = (
    "professionals",
    "professionals_prev",
    "certified",
    "certified_prev",
    "new_professionals",
    "newly_certified",
    "new_community_workers",
    "community_workers",
    "senior",
    "certified_in_community",
)


def ind(region: str | None = None, persons=PERSONS, year: int = 2024) -> dict:
    return workforce_indicators(persons, REGIONS, EXPERTS, year, region)


def test_city_every_indicator_by_hand() -> None:
    got = ind()
    assert tuple(got) == INDICATOR_KEYS
    assert got == {
        "professionals": 4,  # P1 P2 P3 P7
        "professionals_prev": 3,  # P1 P4 P7
        "professionals_yoy": pytest.approx(1 / 3),
        "certified": 3,  # P2 P3 P7
        "certified_prev": 1,  # P7
        "certified_yoy": pytest.approx(2.0),
        "new_professionals": 2,  # P2 P3
        "newly_certified": 1,  # P3
        "conversion_rate": pytest.approx(0.5),
        "new_community_workers": 1,  # P2
        "community_workers": 2,  # P2 P6
        "urban_population": 60_000,
        "community_workers_per_10k": pytest.approx(2 / 6),
        "senior": 1,  # P3
        "expert_pool": 2,  # P3 P7
        "certified_in_community": 1,  # P2
        "by_level": {"assistant": 1, "intermediate": 1, "senior": 1},
    }


def test_counties_by_hand_and_yoy_none_on_zero() -> None:
    a, b = ind("A"), ind("B")
    assert (a["professionals"], a["professionals_prev"], a["certified"]) == (3, 2, 2)
    assert (a["new_professionals"], a["newly_certified"], a["conversion_rate"]) == (1, 0, 0.0)
    assert (a["community_workers"], a["new_community_workers"]) == (2, 1)
    assert a["urban_population"] == 40_000 and a["community_workers_per_10k"] == 0.5
    assert a["expert_pool"] == 1 and a["certified_in_community"] == 1
    assert a["by_level"] == {"assistant": 1, "intermediate": 1, "senior": 0}
    assert (b["professionals"], b["professionals_prev"], b["professionals_yoy"]) == (1, 1, 0.0)
    assert (b["certified"], b["certified_prev"], b["certified_yoy"]) == (1, 0, None)
    assert b["urban_population"] == 20_000 and b["community_workers_per_10k"] == 0.0
    assert (b["senior"], b["expert_pool"], b["conversion_rate"]) == (1, 1, 1.0)


def test_zero_denominators_are_none() -> None:
    empty = workforce_indicators([], REGIONS, [], 2024)
    assert empty["professionals_yoy"] is None and empty["certified_yoy"] is None
    assert empty["conversion_rate"] is None
    assert empty["community_workers_per_10k"] == 0.0  # population known
    b2 = ind("B2")
    assert b2["urban_population"] is None and b2["community_workers_per_10k"] is None
    no_pop = workforce_indicators(PERSONS, [replace(r, urban_population=None) for r in REGIONS],
                                  [], 2024)  # fmt: skip
    assert no_pop["urban_population"] is None and no_pop["community_workers_per_10k"] is None


def test_roll_up_sums_consistently() -> None:
    city, a, b = ind(), ind("A"), ind("B")
    a1, a2, a2c = ind("A1"), ind("A2"), ind("A2c")
    for key in ADDITIVE:
        assert city[key] == a[key] + b[key], key
        assert a[key] == a1[key] + a2[key], key  # every A person resolves to a township
    assert (a2c["community_workers"], a2["community_workers"]) == (1, 1)  # P6 under A2
    assert a2["professionals"] == 1  # P7 names only its township
    for lvl in CertificateLevel:
        assert city["by_level"][lvl] == a["by_level"][lvl] + b["by_level"][lvl]
    assert a["urban_population"] == a1["urban_population"] + a2["urban_population"]
    assert a2["urban_population"] == a2c["urban_population"] == 10_000
    assert a1["community_workers_per_10k"] == pytest.approx(1 / 3)  # P2 in A1
    assert a2c["community_workers_per_10k"] == pytest.approx(1.0)  # P6 in A2c


def test_unknown_region_raises() -> None:
    with pytest.raises(ValueError):
        ind("nowhere")


def test_person_in_three_departments_counts_once() -> None:
    p = Person("Q", tuple(
        rec(d, organization="X", post=SWP, county="A", hired_on=date(2021, 1, 1))
        for d in ("mz", "rs", "tw")
    ))  # fmt: skip
    got = workforce_indicators([p], REGIONS, [], 2024)
    assert got["professionals"] == 1 and got["professionals_prev"] == 1
    assert ind("A", persons=[p])["professionals"] == 1


def test_certificate_list_never_activates_but_its_certificate_counts() -> None:
    only_list = Person("L", (rec(certificates=((S_, date(2020, 1, 1)),)),))
    got = workforce_indicators([only_list], REGIONS, [], 2024)
    assert got["professionals"] == got["certified"] == got["senior"] == 0
    assert not person_on(only_list, date(2024, 12, 31)).active
    elsewhere = replace(only_list, records=(
        *only_list.records, rec("rs", organization="H", post=OTHER, hired_on=date(2024, 2, 1)),
    ))  # fmt: skip
    got = workforce_indicators([elsewhere], REGIONS, [], 2024)
    assert (got["professionals"], got["certified"], got["senior"]) == (1, 1, 1)
    # an organisation without a hire date cannot make anyone active either
    undated = Person("U", (rec(organization="H", post=SWP),))
    assert workforce_indicators([undated], REGIONS, [], 2024)["professionals"] == 0
    # a record with a hire date but no (or a blank) organisation tells nothing either
    for org in (None, "  "):
        orgless = Person("O", (rec(organization=org, post=SWP, hired_on=date(2020, 1, 1)),))
        assert workforce_indicators([orgless], REGIONS, [], 2024)["professionals"] == 0


def test_departure_on_31_december_means_not_active() -> None:
    p4 = PERSONS[3]
    assert person_on(p4, date(2024, 12, 30), REGIONS).professional
    assert not person_on(p4, date(2024, 12, 31), REGIONS).active
    # one department's departure does not end another department's open record
    other = replace(p4, records=(*p4.records, rec("rs", organization="W", post=SWP,
                                                  hired_on=date(2018, 1, 1))))  # fmt: skip
    assert person_on(other, date(2024, 12, 31), REGIONS).professional


def test_late_correction_changes_last_years_figures() -> None:
    before = ind(year=2023)
    assert before["professionals"] == 3  # P1 P4 P7
    # a department corrects P2's hire date from 2024-03-01 to 2023-03-01
    p2 = PERSONS[1]
    fixed = replace(p2, records=(replace(p2.records[0], hired_on=date(2023, 3, 1)),
                                 *p2.records[1:]))  # fmt: skip
    persons = (PERSONS[0], fixed, *PERSONS[2:])
    after23, after24 = ind(persons=persons, year=2023), ind(persons=persons, year=2024)
    # P2 now active at end of 2023 with its 2023 certificate: professional, certified, CW
    assert (after23["professionals"], after23["certified"]) == (4, 2)
    assert (after23["community_workers"], after23["new_community_workers"]) == (2, 1)
    assert after23["newly_certified"] == 1  # P2's first certificate is of 2023
    assert (after24["professionals_prev"], after24["new_professionals"]) == (4, 1)
    assert after24["new_community_workers"] == 0


def test_first_certificate_in_the_year_vs_earlier() -> None:
    def person(pid: str, *certs: tuple[CertificateLevel, date]) -> Person:
        return Person(pid, (rec(organization="X", post=OTHER, hired_on=date(2010, 1, 1),
                                certificates=certs),))  # fmt: skip

    persons = [
        person("new", (A_, date(2024, 1, 1))),
        person("upgraded", (A_, date(2022, 1, 1)), (I_, date(2024, 6, 1))),
        # holds a certificate dated next year only: not a professional yet
        person("future", (A_, date(2025, 1, 1))),
        # a certificate dated on 31 December counts that day
        person("eve", (I_, date(2024, 12, 31))),
    ]
    got = workforce_indicators(persons, REGIONS, [], 2024)
    assert (got["professionals"], got["newly_certified"], got["new_professionals"]) == (3, 2, 2)
    assert got["conversion_rate"] == 1.0
    assert got["by_level"] == {"assistant": 1, "intermediate": 2, "senior": 0}
    # a professional by post whose first certificate is next year: not (newly) certified
    post_only = Person("p", (rec(organization="X", post=SWP, hired_on=date(2010, 1, 1),
                                 certificates=((A_, date(2025, 2, 1)),)),))  # fmt: skip
    got = workforce_indicators([post_only], REGIONS, [], 2024)
    assert (got["professionals"], got["certified"], got["newly_certified"]) == (1, 0, 0)


def test_by_level_counts_by_highest_level_on_31_december() -> None:
    def person(pid: str, *certs: tuple[CertificateLevel, date]) -> Person:
        return Person(pid, (rec(organization="X", post=SWP, hired_on=date(2010, 1, 1),
                                certificates=certs),))  # fmt: skip

    persons = [
        person("s", (A_, date(2020, 1, 1)), (S_, date(2024, 1, 1)), (I_, date(2022, 1, 1))),
        person("i", (I_, date(2020, 1, 1)), (S_, date(2025, 3, 1))),  # senior only in 2025
        person("a", (A_, date(2020, 1, 1)), (A_, date(2020, 1, 1))),  # duplicate rows
        person("none"),  # professional by post, no certificate
    ]
    got = workforce_indicators(persons, REGIONS, [], 2024)
    assert got["by_level"] == {"assistant": 1, "intermediate": 1, "senior": 1}
    assert (got["professionals"], got["certified"], got["senior"]) == (4, 3, 1)


def test_merge_rules_post_region_org_type() -> None:
    p = Person("M", (
        rec("a", organization="C社区", post=CW, county="A", hired_on=date(2022, 1, 1)),
        rec("b", organization="C社区", org_type=OrgType.COMMUNITY, post=CW, county="A",
            township="A2", community="东关社区", hired_on=date(2021, 1, 1)),
        rec("c", organization="Old", post=SWP, county="B", hired_on=date(2010, 1, 1),
            left_on=date(2019, 1, 1)),
    ))  # fmt: skip
    snap = person_on(p, date(2024, 12, 31), REGIONS)
    assert snap.post is CW and snap.region == "A2c" and snap.org_type is OrgType.COMMUNITY
    # the most specific region wins over the newer record; hire = earliest active record
    assert snap.hired_on == date(2021, 1, 1)
    # a social-work post anywhere among the active records wins
    both = replace(p, records=(*p.records, rec("d", organization="S", post=SWP, county="B",
                                               hired_on=date(2022, 1, 1))))  # fmt: skip
    snap = person_on(both, date(2024, 12, 31), REGIONS)
    assert snap.post is SWP and snap.region == "B" and snap.organization == "S"
    assert not snap.community_worker
    # equal post and region depth: the newest job gives organisation and region
    newest = rec("e", organization="T", post=SWP, county="A", hired_on=date(2023, 1, 1))
    snap = person_on(replace(both, records=(*both.records, newest)), date(2024, 12, 31), REGIONS)
    assert (snap.organization, snap.region, snap.hired_on) == ("T", "A", date(2021, 1, 1))


def test_format_table_prints_like_the_reports() -> None:
    sample = dict(ind(), professionals=1699, professionals_yoy=0.513, conversion_rate=0.344)
    table = format_table(sample)
    assert "1,699" in table and "+51.3 %" in table and "34.4 %" in table
    assert "持证社会工作者" in table and "certified professionals" in table
    assert "高级社会工作师 senior" in table
    assert "—" in format_table(workforce_indicators([], REGIONS, [], 2024))


# ---------------------------------------------------------------- properties

COUNTIES = ("A", "B")
TOWNSHIPS = {"A": ("A1", "A2"), "B": ("B1", "B2")}
DAYS = st.dates(date(2021, 1, 1), date(2025, 6, 30))


@st.composite
def records(draw: st.DrawFn) -> RecordFacts:
    county = draw(st.sampled_from(COUNTIES))
    hired = draw(st.one_of(st.none(), DAYS))
    left = draw(st.one_of(st.none(), DAYS)) if hired else None
    certs = draw(st.lists(st.tuples(st.sampled_from(list(CertificateLevel)), DAYS), max_size=2))
    return RecordFacts(
        department=draw(st.sampled_from(("mz", "rs", "tw"))),
        organization=draw(st.sampled_from((None, "X", "Y"))),
        org_type=draw(st.sampled_from((None, OrgType.COMMUNITY, OrgType.SCHOOL))),
        post=draw(st.sampled_from((None, *Post))),
        county=county,
        township=draw(st.one_of(st.none(), st.sampled_from(TOWNSHIPS[county]))),
        hired_on=hired,
        left_on=left,
        certificates=tuple(certs),
    )


cities = st.lists(st.lists(records(), min_size=1, max_size=3), max_size=12).map(
    lambda rs: [Person(f"p{i}", tuple(r)) for i, r in enumerate(rs)]
)


@pytest.mark.slow
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(cities, st.sampled_from((2022, 2023, 2024)))
def test_properties_on_random_cities(persons: list[Person], year: int) -> None:
    experts = [ExpertAdmission(p.person_id, date(2022, 6, 1)) for p in persons[::3]]
    city = workforce_indicators(persons, REGIONS, experts, year)
    parts = [workforce_indicators(persons, REGIONS, experts, year, c) for c in COUNTIES]
    for got in (city, *parts):
        assert got["professionals"] >= got["certified"] >= got["senior"] >= 0
        assert got["new_professionals"] <= got["professionals"]
        assert got["newly_certified"] <= got["certified"]
        assert got["certified_in_community"] <= got["certified"]
        assert got["new_community_workers"] <= got["community_workers"]
        assert sum(got["by_level"].values()) == got["certified"]
        assert got["by_level"]["senior"] == got["senior"]
    for key in ADDITIVE:
        assert city[key] == sum(p[key] for p in parts), key
    for lvl in CertificateLevel:
        assert city["by_level"][lvl] == sum(p["by_level"][lvl] for p in parts)
    assert city["expert_pool"] >= sum(p["expert_pool"] for p in parts)


@settings(max_examples=300)
@given(records(), DAYS)
def test_one_record_is_merged_as_the_rules_merge_many(record: RecordFacts, day: date) -> None:
    """person_on takes a short way for one active record: it must say what the merge rules
    say for that record twice (which goes the long way)."""
    alone = person_on(Person("p", (record,)), day, REGIONS)
    assert alone == person_on(Person("p", (record, record)), day, REGIONS)
    assert alone == person_on(Person("p", (record, replace(record, hired_on=None))), day, REGIONS)


def test_as_of_a_day_of_the_year() -> None:
    """Mid-year figures: those on the day, YoY against the same day a year before, "new"
    for the year so far (against 31 Dec of the year before); the expert pool on the day."""

    def person(pid: str, post: Post, hired: date, *certs: tuple[CertificateLevel, date]) -> Person:
        return Person(pid, (rec(organization="X", post=post, hired_on=hired,
                                certificates=certs),))  # fmt: skip

    persons = [
        person("h1", SWP, date(2023, 5, 1)),  # a professional on both days
        person("h2", SWP, date(2023, 9, 1)),  # not on 2023-06-30, already on 2023-12-31
        person("h3", SWP, date(2024, 3, 1)),  # new this year
        person("h4", SWP, date(2024, 8, 1)),  # not yet on 2024-06-30
        person("h5", OTHER, date(2010, 1, 1), (I_, date(2024, 6, 30))),  # certified that day
        person("h6", OTHER, date(2010, 1, 1), (A_, date(2024, 7, 1))),  # the day after
    ]
    experts = [ExpertAdmission("h5", date(2024, 6, 30)), ExpertAdmission("h1", date(2024, 7, 1))]
    mid = workforce_indicators(persons, REGIONS, experts, 2024, as_of=date(2024, 6, 30))
    assert (mid["professionals"], mid["professionals_prev"]) == (4, 1)  # h1 h2 h3 h5 / h1
    assert mid["professionals_yoy"] == pytest.approx(3.0)
    assert (mid["new_professionals"], mid["newly_certified"]) == (2, 1)  # h3 h5 / h5
    assert (mid["certified"], mid["certified_prev"], mid["certified_yoy"]) == (1, 0, None)
    assert mid["expert_pool"] == 1
    end = workforce_indicators(persons, REGIONS, experts, 2024)
    assert end == workforce_indicators(persons, REGIONS, experts, 2024, as_of=date(2024, 12, 31))
    assert (end["professionals"], end["professionals_prev"], end["new_professionals"]) == (6, 2, 4)
    with pytest.raises(ValueError, match="not a day of 2024"):
        workforce_indicators(persons, REGIONS, experts, 2024, as_of=date(2025, 1, 1))


def test_a_committee_without_its_unit_type_is_a_community() -> None:
    """city15: no roster of the district had a 单位类型 column, and certified community
    social workers were 0 — every committee named as the employer is a community's."""
    day = date(2024, 12, 31)
    cert = ((A_, date(2023, 6, 20)),)
    unit = "郫都区郫筒街道南大街社区居民委员会"
    committee = rec(organization=unit, post=CW, hired_on=date(2020, 1, 1), certificates=cert)
    assert person_on(Person("C1", (committee,)), day).org_type is OrgType.COMMUNITY
    village = rec("ny", organization="青杠树村村委会", hired_on=date(2021, 1, 1))
    grid = rec("zf", organization="青杠树村村委会", post=CW, hired_on=date(2022, 1, 1))
    assert person_on(Person("C2", (village, grid)), day).org_type is OrgType.COMMUNITY
    given = replace(committee, org_type=OrgType.SOCIAL_WORK_STATION)  # as given, it stands
    assert person_on(Person("C3", (given,)), day).org_type is OrgType.SOCIAL_WORK_STATION
    agency = replace(committee, organization="郫都区益民社会工作服务中心")
    assert person_on(Person("C4", (agency,)), day).org_type is None
    got = workforce_indicators([Person("C1", (committee,))], [], [], 2024)
    assert got["certified_in_community"] == 1


def test_a_communitys_staff_listed_by_community_work_for_it() -> None:
    """city15: 社区工作者 and 网格员 rosters name the 社区 and a hire date, no 工作单位 — their
    2,807 people were never active and the city had no community workers. A record with a
    community but no hire date (a volunteer's place of residence) still employs no one."""
    day = date(2024, 12, 31)
    staff = rec(community="东街社区", post=CW, hired_on=date(2022, 7, 1))
    now = person_on(Person("S1", (staff,)), day)
    assert now.active and now.organization == "东街社区" and now.org_type is OrgType.COMMUNITY
    resident = rec("vol", community="东街社区")
    assert not person_on(Person("V1", (resident,)), day).active
    typed = rec(community="东街社区", hired_on=date(2022, 7, 1), org_type=OrgType.OTHER)
    assert person_on(Person("T1", (typed,)), day).org_type is OrgType.OTHER
