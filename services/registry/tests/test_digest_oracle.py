"""A department key cannot rebuild another department's ID numbers and phones by making the
registry hash its guesses (a chosen-input oracle on the keyed digests).

The keyed hash (HMAC) of an ID number or phone cannot be reversed without ``PII_HASH_KEY``
— but a department may register any worker it likes and read back the digest the service
computed. When it could also read the digests of other departments' workers (on
``/workers``, ``/workers/{id}`` and the feed ``/events``), 45 guessed rows were enough:
the mask shows the first and last character, the birth date, the sex and the county are
published, so an ID number is one of ~45, and the guess whose digest matched was the
number (probed against ``shegong up``: 陈建国's 621126197501180351 from a 45-row roster).
A phone is one of 10,000 behind ``139****0002``. Now only ``admin`` and ``service`` keys
see digests; this test plays the department that tries, over every surface it can read.

Real components: the registry app with its keys file, real Redis and SQLite, over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.testing import RoleKeys, eventually

from .conftest import Node, as_

TARGET_ID = "621126197501180351"  # a man born 1975-01-18 in 岷县 (621126)
TARGET_PHONE = "13909310002"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def id_candidates(region: str, birth: str, male: bool, last: str) -> list[str]:
    """Every ID number that fits what is published: region, birth date, sex, last char."""
    found = []
    for order in range(1000):
        if (order % 2 == 1) != male:
            continue
        first17 = region + birth.replace("-", "") + f"{order:03d}"
        if check_character(first17) == last:
            found.append(first17 + last)
    return found


def digests(value: Any) -> Iterable[str]:
    """Every value of a digest field (``*_hash``, ``id_number_parts``) at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            if (k.endswith("_hash") or k == "id_number_parts") and isinstance(v, str):
                yield v
            else:
                yield from digests(v)
    elif isinstance(value, list):
        for v in value:
            yield from digests(v)


async def listed(client: httpx.AsyncClient, count: int) -> bool:
    resp = await client.get("/workers", params={"department": "hrss", "limit": 1})
    return bool(resp.json()["total"] >= count)


async def everything_readable(client: httpx.AsyncClient, worker_id: str) -> list[Any]:
    """What a key can read about workers: the list, one worker, the feed."""
    answers = []
    for path, params in (
        ("/workers", {"limit": 1000}),
        (f"/workers/{worker_id}", {}),
        ("/events", {"limit": 5000}),
    ):
        resp = await client.get(path, params=params)
        assert resp.status_code == 200, (path, resp.text)
        answers.append(resp.json())
    return answers


async def test_a_department_cannot_rebuild_numbers_from_digests_of_its_guesses(
    node: Node, keys: RoleKeys
) -> None:
    async with as_(node, keys.civil) as civil:
        resp = await civil.post(
            "/workers",
            json={
                "name": "陈建国",
                "id_number": TARGET_ID,
                "phone": TARGET_PHONE,
                "region": {"county": "岷县"},
            },
        )
        assert resp.status_code == 201, resp.text
        target = resp.json()["worker"]["worker_id"]

    async with as_(node, keys.hrss) as hrss:

        async def projected() -> dict[str, Any] | None:
            resp = await hrss.get(f"/workers/{target}")
            return resp.json() if resp.status_code == 200 else None

        seen = await eventually(projected)
        masked = seen["id_number_masked"]
        # The year only is shown (test_birth_dates.py); the day may be known elsewhere.
        assert seen["birth_date"] is None and seen["birth_year"] == 1975
        ids = id_candidates("621126", "1975-01-18", seen["gender"] == "male", masked[-1])
        assert TARGET_ID in ids and len(ids) < 50  # the mask alone narrows it this far
        phone_mask = seen["phone_masked"]
        phones = [f"{phone_mask[:3]}{n:04d}{phone_mask[-4:]}" for n in range(900, 940)]
        assert TARGET_PHONE in phones
        rows = ["记录编号,姓名,身份证号,手机号"]
        rows += [f"G{i},探{i},{guess},{phones[i % len(phones)]}" for i, guess in enumerate(ids)]
        rows += [f"P{i},探P{i},,{guess}" for i, guess in enumerate(phones)]
        # The guesses, one by one over POST /workers and all at once as a roster.
        single = await hrss.post("/workers", json={"name": "探", "id_number": TARGET_ID})
        assert single.status_code == 201, single.text
        resp = await hrss.post(
            "/imports/roster",
            data={"department": "hrss"},
            files={"file": ("guesses.csv", "\n".join(rows).encode())},
        )
        assert resp.status_code == 200, resp.text
        await eventually(lambda: listed(hrss, len(rows)))
        readable = [single.json(), resp.json(), *await everything_readable(hrss, target)]
        # Every digest the department can see, whoever's it is: were any equal, a guess
        # would name the number (its own guesses' digests and the target's side by side).
        visible = list(digests(readable))
        assert visible == [], f"a department key sees {len(visible)} keyed digests"

    async with as_(node, keys.auditor) as auditor:
        assert list(digests(await everything_readable(auditor, target))) == []

    # The services that link records with them, and the administrator, still get them.
    client = httpx.AsyncClient(transport=node.client._transport)
    async with client:
        feed = await HttpFeed(str(node.client.base_url), client, api_key=keys.service).read_after(
            0, 5000
        )
    registered = next(e for e in feed if e.data.get("worker_id") == target)
    assert registered.data["id_number_hash"] and registered.data["phone_hash"]
    assert registered.data["id_number_parts"]
    async with as_(node, keys.admin) as admin:
        assert (await admin.get(f"/workers/{target}")).json()["id_number_hash"]
