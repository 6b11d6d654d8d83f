"""A masked ID number cannot be moved behind a person's name by renaming its record.

The census links a masked ID number (``621126********0351``, a volunteer platform's) by
the digits it shows and the name beside it, so a department may list
``MASKED_PER_NAME`` masks behind one name and region (``test_census_oracle``). The count
was taken under the name a record had when it was new: on ``shegong up`` (round 17)
``hrss`` imported 12 masks behind 岷县's region under 12 other names — each alone in its
bucket — and then the same file with every name 陈建国; the 12th, the right one, was
linked to civil-affairs's 陈建国 and told ``hrss`` his order and check digits. A rename
now counts the record's masked number under the new name: past the limit a roster row
keeps the record's name (a warning naming row and field, both languages) and
``PATCH /workers/{id}`` is a 422 naming ``name``. Honest renames (a name corrected)
pass.

Real components: the city's registry with the census, its keys file, real Redis and
SQLite, over HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx

from shegong.kernel.testing import RoleKeys, eventually
from shegong.registry.adapters.listed_numbers import MASKED_PER_NAME

from .conftest import StartNode, as_
from .test_census import import_roster, roster, settled
from .test_census_oracle import CHEN, chen_records, city_with_chen

# Masks behind his region and the digits the census links by; the right one past the limit.
TAILS = [f"{n:03d}{c}" for n in range(1, 4, 2) for c in "0123456789"][: 2 * MASKED_PER_NAME]
TAILS.append(CHEN[-4:])
MASKS = [f"{CHEN[:6]}{'*' * 8}{t}" for t in TAILS]


def rows(name: str | None = None) -> list[dict[str, str]]:
    """One record per mask, each under a name of its own — or all under ``name``."""
    return [
        {"记录编号": f"M{i}", "姓名": name or f"探{i}", "身份证号": m, "所属区县": "岷县"}
        for i, m in enumerate(MASKS)
    ]


async def test_renaming_records_in_a_roster_counts_their_masks_under_the_new_name(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        first = await import_roster(hrss, "hrss", roster(rows()))
        assert first["new"] == len(MASKS) and not _renames_kept(first)
        renamed = await import_roster(hrss, "hrss", roster(rows("陈建国")))
        await settled(service)
        assert await chen_records(hrss) == set()  # hrss:M16 (the right one) before
        assert renamed["changed"] == len(MASKS)
        kept = _renames_kept(renamed)
        assert kept == list(range(2 + MASKED_PER_NAME, 2 + len(MASKS))), kept
        note = next(w["warning"] for w in renamed["warnings"] if w["warning"].startswith("name:"))
        assert "姓名" in note and "不改名" in note and CHEN not in str(renamed)
        # The records past the limit keep their names; the first ones took his.
        expected = ["陈建国"] * MASKED_PER_NAME
        expected += [f"探{i}" for i in range(MASKED_PER_NAME, len(MASKS))]

        async def names() -> list[str | None]:
            workers = {w["record_id"]: w["name"] for w in await hrss_workers(hrss)}
            return [workers.get(f"M{i}") for i in range(len(MASKS))]

        await eventually(lambda: _same(names(), expected))


async def test_renaming_a_record_over_the_api_counts_its_mask_under_the_new_name(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        await import_roster(hrss, "hrss", roster(rows()))
        await settled(service)

        async def listed() -> dict[str, str] | None:  # once the read model has them all
            ids = {w["record_id"]: w["worker_id"] for w in await hrss_workers(hrss)}
            return ids if len(ids) == len(MASKS) else None

        ids = await eventually(listed)
        assert ids is not None
        codes = []
        for i in range(len(MASKS)):
            resp = await hrss.patch(f"/workers/{ids[f'M{i}']}", json={"name": "陈建国"})
            codes.append(resp.status_code)
        assert codes == [200] * MASKED_PER_NAME + [422] * (len(MASKS) - MASKED_PER_NAME), codes
        error = resp.json()["error"]
        assert error["field"] == "name" and "不改名" in error["message_zh"], error
        assert CHEN not in resp.text
        await settled(service)
        assert await chen_records(hrss) == set()  # hrss:M16 before
        # A name corrected back is no new guess.
        back = await hrss.patch(f"/workers/{ids['M0']}", json={"name": "探0"})
        assert back.status_code == 200, back.text


async def test_masks_showing_part_of_the_region_count_as_one_region(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    """A mask that shows its region in part (``6211**********0351``, ``62…``, none) links
    to 陈建国 of 岷县 by the digits after it — the census cannot tell such regions apart —
    yet the limit counted each prefix as a region of its own: 8 guesses behind each of
    six prefixes. They are one unknown region now."""
    city = await city_with_chen(start_node, sqlite_url, keys)
    prefixes = ["", CHEN[:1], CHEN[:2], CHEN[:3], CHEN[:4], CHEN[:5]]
    tails = [f"{n:03d}2" for n in range(1, 2 * MASKED_PER_NAME + 1)]  # not his: his is …1
    masks = [p + "*" * (14 - len(p)) + t for p, t in zip(prefixes * 3, tails, strict=False)]
    masks.append(CHEN[:3] + "*" * 11 + CHEN[-4:])  # his, the 17th
    rows = [
        {"记录编号": f"P{i}", "姓名": "陈建国", "性别": "男", "身份证号": m,
         "工作单位": "岷县民政局", "所属区县": "岷县"}
        for i, m in enumerate(masks)
    ]  # fmt: skip
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        assert await chen_records(hrss) == set()  # hrss:P16 (his) before
        assert report["new"] == len(masks)
        refused = [
            w["row"]
            for w in report["warnings"]
            if w["warning"].startswith("id_number:") and "is not stored" in w["warning"]
        ]
        assert refused == list(range(2 + MASKED_PER_NAME, 2 + len(masks))), refused
        assert CHEN not in str(report)


async def hrss_workers(hrss: httpx.AsyncClient) -> list[dict[str, Any]]:
    resp = await hrss.get("/workers", params={"department": "hrss", "limit": 100})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


async def _same(got: Awaitable[list[str | None]], expected: list[str]) -> bool:
    return await got == expected


def _renames_kept(report: dict[str, object]) -> list[int]:
    warnings = report["warnings"]
    assert isinstance(warnings, list)
    return [
        w["row"] for w in warnings if w["warning"].startswith("name:") and "不改名" in w["warning"]
    ]
