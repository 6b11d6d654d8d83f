"""A passport's or a permit's number (回乡证, 台胞证, 外国人永久居留身份证) links the records
that carry it, by its keyed digest — never the number — and a different passport does
not split records that otherwise agree (passports are renewed)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from typing import Any

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.adapters.listed_numbers import DOCUMENTS_PER_NAME, DOCUMENTS_PER_RUN
from shegong.registry.census.comparison import Features, compare_levels
from shegong.registry.census.features import census_document
from shegong.registry.census.linkage import CensusRecord, Linker

from .test_census import census_events, import_roster, persons, settled
from .test_linkage import BIRTH, HASHER, same_person

HEADER = ["记录编号", "姓名", "证件类型", "证件号码", "出生日期", "手机号", "工作单位"]


def roster(*lines: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *lines])
    return out.getvalue().encode("utf-8-sig")


async def registered(client: Any) -> list[dict[str, Any]]:
    page = (await client.get("/events", params={"after": 0, "limit": 1000})).json()
    return [e["data"] for e in page["events"] if e["type"] == "WorkerRegistered"]


async def test_one_home_return_permit_on_two_lists_links_them(city) -> None:
    # 人社's certificate list gives the name and the 回乡证 with its renewal count
    # (H1234567801); civil affairs' the permit without it, a birth date and a unit.
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                "MZ1",
                "陈嘉欣",
                "港澳居民来往内地通行证",
                "H12345678",
                "1990-03-04",
                "",
                "鹭江社工站",
            ],
            ["MZ2", "林志豪", "台湾居民来往大陆通行证", "12345678(B)", "", "", "思明区社工站"],
        ),
    )
    await import_roster(
        c,
        "hrss",
        roster(
            ["RS1", "陈嘉欣", "回乡证", "H1234567801", "", "", ""],
            ["RS2", "林志豪", "台胞证", "1234567801", "", "", ""],
            ["RS3", "陈嘉欣", "回乡证", "M87654321", "", "", ""],  # another permit
        ),
    )
    await settled(c)
    found = sorted(sorted(p["records"]) for p in await persons(c))
    assert ["civil-affairs:MZ1", "hrss:RS1"] in found
    assert ["civil-affairs:MZ2", "hrss:RS2"] in found
    assert ["hrss:RS3"] in found
    (link, *_) = [
        e["data"]
        for e in await census_events(c)
        if e["type"] == "RecordsLinked" and "hrss:RS1" in str(e["data"])
    ]
    assert link["evidence"]["id"]["level"] == "exact"
    # The events carry the document's kind and digest, never its number.
    data = await registered(c)
    kinds = {d["record_id"]: (d["document_type"], d["document_hash"]) for d in data}
    assert kinds["MZ1"][0] == "hkmo_permit" and kinds["MZ1"][1] == kinds["RS1"][1]
    assert kinds["MZ2"][0] == "taiwan_permit" and kinds["MZ2"][1] == kinds["RS2"][1]
    assert kinds["RS3"][1] not in (None, kinds["RS1"][1])
    assert all("12345678" not in str(d) and "87654321" not in str(d) for d in data)


async def test_guessed_permit_numbers_are_bounded(city) -> None:
    """Nothing of a permit's number is shown, and the same permit links records alone,
    whatever their names: a department listing guess after guess at 陈嘉欣's 回乡证 would
    learn it from the one the census links. Past ``DOCUMENTS_PER_NAME`` numbers of one
    kind behind one name (as it sounds: 陳嘉欣 too), or ``DOCUMENTS_PER_RUN`` alike but for
    three neighbouring characters under any names, the row is kept without its number, a
    warning naming row and field; others' permits, and her passport, are kept."""
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster(["MZ1", "陈嘉欣", "回乡证", "H12345678", "1990-03-04", "", "鹭江社工站"]),
    )
    guesses = [f"H1234{n:04d}" for n in range(5670, 5678)] + ["H12345678"]
    assert guesses.index("H12345678") == DOCUMENTS_PER_RUN
    names = ("陈嘉欣", "陳嘉欣")
    rows = [[f"G{i}", names[i % 2], "回乡证", g, "", "", ""] for i, g in enumerate(guesses)]
    rows += [[f"W{i}", f"王{i}华", "回乡证", g, "", "", ""] for i, g in enumerate(guesses)]
    honest = [f"M{(i * 7919 + 1234) * 9973 % 10**8:08d}" for i in range(30)]
    rows += [[f"K{i}", f"李{i}明", "回乡证", n, "", "", ""] for i, n in enumerate(honest)]
    rows.append(["P1", "陈嘉欣", "护照", "E12345678", "", "", ""])
    report = await import_roster(c, "hrss", roster(*rows))
    await settled(c)
    assert report["new"] == len(rows) and report["rejected"] == []
    left = [w for w in report["warnings"] if "is not stored" in w["warning"]]
    # Her name's first 4 guesses are kept; the same guesses under other names: those
    # listed already are kept, the next fill the run to 8, the right one is not stored.
    n = len(guesses)
    past = [*range(DOCUMENTS_PER_NAME, n), 2 * n - 1]
    assert [w["row"] for w in left] == [2 + i for i in past]
    assert all(w["warning"].startswith("id_number:") and "证件号码：" in w["warning"] for w in left)
    (hers,) = [p for p in await persons(c) if "civil-affairs:MZ1" in p["records"]]
    assert hers["records"] == ["civil-affairs:MZ1"]  # the right guess is not put beside her
    digests = {d["record_id"]: d["document_hash"] for d in await registered(c)}
    assert [r[0] for r in rows if digests[r[0]]] == [
        *(f"G{i}" for i in range(DOCUMENTS_PER_NAME)),
        *(f"W{i}" for i in range(DOCUMENTS_PER_RUN)),
        *(f"K{i}" for i in range(len(honest))),
        "P1",
    ]
    assert "12345678" not in str(report)


async def test_a_permit_or_passport_number_without_its_type_is_read_by_its_shape(city) -> None:
    """A list with 证件号码 but no 证件类型 column: H12345678 (and its renewal count) is
    plainly a 回乡证's number, E12345678 / EA7654321 a Chinese passport's — read as that
    document, with a clear note, not as a broken resident ID number. A bare 8 digits
    could be a 台胞证's or anything: still an ID number that is not one."""
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster(
            ["MZ1", "陈嘉欣", "回乡证", "H12345678", "1990-03-04", "", "鹭江社工站"],
            ["MZ2", "周伟", "护照", "E12345678", "1985-07-08", "", "思明区社工站"],
        ),
    )
    untyped = io.StringIO()
    csv.writer(untyped).writerows(
        [
            ["记录编号", "姓名", "证件号码"],
            ["RS1", "陈嘉欣", "H1234567801"],
            ["RS2", "周伟", "e 1234 5678"],
            ["RS3", "王芳", "EA7654321"],
            ["RS4", "林志豪", "12345678"],
        ]
    )
    report = await import_roster(c, "hrss", untyped.getvalue().encode("utf-8-sig"))
    await settled(c)
    assert report["new"] == 4 and report["rejected"] == []
    notes = {w["row"]: w["warning"] for w in report["warnings"] if "id_number" in w["warning"]}
    assert "回乡证" in notes[2] and "by its shape" in notes[2] and "按号码格式" in notes[2]
    assert "passport" in notes[3] and "护照" in notes[4]
    assert "by its shape" not in notes.get(5, "")  # 8 digits alone say nothing
    found = sorted(sorted(p["records"]) for p in await persons(c))
    assert ["civil-affairs:MZ1", "hrss:RS1"] in found
    assert ["civil-affairs:MZ2", "hrss:RS2"] in found
    kinds = {d["record_id"]: d.get("document_type") for d in await registered(c)}
    assert (kinds["RS1"], kinds["RS2"], kinds["RS3"]) == ("hkmo_permit", "passport", "passport")
    assert kinds["RS4"] is None


def passport_record(key: str, number: str, hasher: PersonalDataHasher) -> CensusRecord:
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name="Maria Santos",
        birth_date=BIRTH,
        sex="female",
        phone_hash=hasher.phone("13812345678"),
        phone_parts=hasher.phone_parts("13812345678"),
        organization="鹭江社工服务中心",
        county="思明区",
        document=census_document("passport", hasher.document("passport", number)),
    )


def test_another_passport_does_not_split_records_that_otherwise_agree() -> None:
    """A passport renewed between two lists gives two numbers: no evidence either way
    (never a veto, as two valid ID numbers are), the name, birth date, phone and unit
    link the records. The same passport is as strong as the same ID number."""
    linker = Linker()
    linker.add(passport_record("mz:1", "E12345678", HASHER))
    linker.add(passport_record("rs:1", "EA7654321", HASHER))
    assert same_person(linker, "mz:1", "rs:1")
    a, b = (Features(passport_record(k, n, HASHER)) for k, n in (("a:1", "E1"), ("b:1", "E2")))
    assert compare_levels(a, b)[0] == 0
    same = Features(passport_record("c:1", "E1", HASHER))
    assert compare_levels(a, same)[0] == 1


def test_one_passport_links_records_with_nothing_else_in_common() -> None:
    """The same passport number: one person, as the same ID number is, though one list
    gives the name in Latin letters and the other nothing but the name."""
    digest = census_document("passport", HASHER.document("passport", "E12345678"))
    linker = Linker()
    linker.add(CensusRecord(key="mz:1", department="mz", name="陈嘉欣", document=digest))
    linker.add(
        CensusRecord(
            key="rs:1", department="rs", name="陈嘉欣", birth_date=date(1990, 3, 4), document=digest
        )
    )
    linker.add(CensusRecord(key="ws:1", department="ws", name="陈嘉欣"))
    assert same_person(linker, "mz:1", "rs:1")


def test_one_passport_under_a_name_in_another_script_links() -> None:
    """The same passport (or permit) under the name in Latin letters on one list and its
    transcription on another (WILSON THOMAS / 托马斯·威尔逊, CHAN CHUN SZE / 陳俊思): the
    census cannot compare the names ("names differ", a clerk's question), but the
    document says one person — the model links it as it links one name. Twins' names
    beside their household's phone and birth date, each with their own passport, still
    wait for a clerk."""
    linker = Linker()
    linker.add(replace(passport_record("mz:1", "P9557700", HASHER), name="托马斯·威尔逊"))
    linker.add(replace(passport_record("ws:1", "P9557700", HASHER), name="WILSON THOMAS"))
    assert same_person(linker, "mz:1", "ws:1")
    permit = census_document("hkmo_permit", HASHER.document("hkmo_permit", "H91128793"))
    linker.add(CensusRecord(key="rs:2", department="rs", name="陳俊思", document=permit))
    linker.add(
        CensusRecord(
            key="qs:2", department="qs", name="CHAN CHUN SZE", birth_date=BIRTH, document=permit
        )
    )
    assert same_person(linker, "rs:2", "qs:2")
    linker.add(replace(passport_record("mz:3", "E11111111", HASHER), name="陈子涵"))
    linker.add(replace(passport_record("ws:3", "E22222222", HASHER), name="陈子轩"))
    assert not same_person(linker, "mz:3", "ws:3")
    # One permit's number under two names in characters that differ: a mistyped number or a
    # guess under another name — never linked without a clerk.
    linker.add(replace(passport_record("mz:4", "E33333333", HASHER), name="王华"))
    linker.add(replace(passport_record("ws:4", "E33333333", HASHER), name="陈嘉欣"))
    assert not same_person(linker, "mz:4", "ws:4")
