"""A worker's mobile link withdrawn before it lapses (a lost or shared phone): until now a
link was good for ``MATCHING_H5_WORKER_LINK_DAYS`` whatever happened, short of the
worker's departure or rotating ``PII_HASH_KEY`` (which voids every link and cookie)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shegong.kernel.testing import RoleKeys

from .conftest import Matching
from .test_access import as_, events, ok, refused, volunteer


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


async def test_a_withdrawn_link_opens_nothing_and_a_new_one_works(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    m: Matching = await start_matching(database_url, api_keys_file=str(keys.file.path))
    async with as_(m, keys.civil) as mz, as_(m, keys.hrss) as rs, as_(m, keys.auditor) as audit:
        helper = await volunteer(mz, "张志愿")
        old = ok(await mz.post(f"/providers/{helper}/worker-link"))["url"]
        assert (await m.client.get(old)).status_code == 200

        # Another department and the auditor may not withdraw it; it still opens.
        refused(await rs.delete(f"/providers/{helper}/worker-link"))
        assert (await audit.delete(f"/providers/{helper}/worker-link")).status_code == 403
        assert (await m.client.get(old)).status_code == 200
        assert (await mz.delete("/providers/nobody/worker-link")).status_code == 404

        withdrawn = ok(await mz.delete(f"/providers/{helper}/worker-link"))
        assert withdrawn["provider_id"] == helper and withdrawn["revoked_at"]
        gone = await m.client.get(old)
        assert gone.status_code == 404 and "张志愿" not in gone.text
        assert (await m.client.post(f"{old}/any/decline")).status_code == 404

        new = ok(await mz.post(f"/providers/{helper}/worker-link"))["url"]
        assert new != old
        page = await m.client.get(new)
        assert page.status_code == 200 and "张志愿" in page.text
        assert (await m.client.get(old)).status_code == 404, "the old one stays withdrawn"

    revoked = [e for e in await events(m) if e.type == "WorkerLinkRevoked"]
    assert [e.data["provider_id"] for e in revoked] == [helper]
