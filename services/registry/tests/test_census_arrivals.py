"""A certified row enters the census once: its ``WorkerRegistered`` and the
``WorkerCertified`` after it, in one batch, make one record scored once with its
certificate on it (``census.arrivals``) — not a record added, then updated and scored
again. The persons are those the two steps made; a certificate arriving in a later batch
still updates the record in the census."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from shegong.kernel.testing import eventually
from shegong.registry.census.linkage import Linker

from .test_census import import_roster
from .test_census_certificates import WANG, csv_roster


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the census's linker added and updated a record (in this process)."""
    counted: Counter[str] = Counter()
    for name in ("add", "update"):
        original = getattr(Linker, name)

        def counting(self: Linker, record: Any, _name: str = name, _f: Any = original) -> Any:
            counted[_name] += 1
            return _f(self, record)

        monkeypatch.setattr(Linker, name, counting)
    return counted


async def test_a_certified_row_enters_the_census_once_with_its_certificate(
    database_url: str, start_node: Any, calls: Counter[str]
) -> None:
    city = await start_node(database_url, census=True, registry_census_process=False)
    c = city.client
    # 人社's list (the ID number, the certificate) and civil-affairs' (the same certificate
    # and its number, no ID number: one person by the certificate; another day: apart).
    await import_roster(
        c,
        "hrss",
        csv_roster(
            ("H1", "王静", WANG, "", "", "助理社会工作师", "2021-10-16", "S2021510000123"),
            ("H2", "李娜", "", "第一中学", "东区", "社会工作师", "2020-06-20", ""),
        ),
    )
    await import_roster(
        c,
        "civil-affairs",
        csv_roster(
            (
                "C1",
                "王静",
                "",
                "东区社工站",
                "东区",
                "助理社会工作师",
                "2021-10-16",
                "S2021510000123",
            ),
            ("C2", "王静", "", "第二中学", "仁和区", "助理社会工作师", "2019-06-22", ""),
        ),
    )

    async def groups() -> set[frozenset[str]] | None:
        found = (await c.get("/census/persons", params={"limit": 50})).json()["persons"]
        out = {frozenset(p["records"]) for p in found}
        return out if sum(map(len, out)) == 4 else None

    async def linked() -> bool:
        return frozenset({"hrss:H1", "civil-affairs:C1"}) in (await groups() or set())

    await eventually(linked, timeout=60)
    assert await groups() == {
        frozenset({"hrss:H1", "civil-affairs:C1"}),
        frozenset({"hrss:H2"}),
        frozenset({"civil-affairs:C2"}),
    }
    # Each record added once, its certificate on it: no second scoring for the certificate.
    assert calls == Counter({"add": 4})
    # A certificate for a record already in the census (a later import of its row) still
    # re-scores it: an update.
    await import_roster(
        c,
        "hrss",
        csv_roster(("H2", "李娜", "", "第一中学", "东区", "高级社会工作师", "2024-06-20", "")),
    )

    async def updated() -> bool:
        return calls["update"] >= 1

    await eventually(updated, timeout=60)
    assert calls["add"] == 4
