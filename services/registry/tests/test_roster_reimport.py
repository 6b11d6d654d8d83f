"""A department's roster sent again a year later (issue 13, "continuous"): a row that
names neither 记录编号 nor ID number is keyed by what it says of the person, so the same
person with a new phone or unit must stay one record, not become a second one beside a
stale copy that the census would go on counting as listed."""

from __future__ import annotations

import csv
import io

from .conftest import Node
from .test_roster_import import events_after, import_roster

HEADER = ["姓名", "出生日期", "手机号", "工作单位"]


def roster(*lines: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *lines])
    return out.getvalue().encode()


async def test_a_row_with_a_new_phone_or_unit_a_year_later_is_its_record_again(
    registry: Node,
) -> None:
    c = registry.client
    first = roster(
        ["张伟", "1988-05-06", "13912345678", "东关社区居委会"],
        ["李娜", "", "13912345679", "东关社区居委会"],
        ["王芳", "", "13912345670", "西关社区居委会"],  # two namesakes, no birth date
        ["王芳", "", "13912345671", "南街社区居委会"],
    )
    assert (await import_roster(c, first))["new"] == 4
    later = roster(
        ["赵敏", "1990-01-01", "13912345672", "东关社区居委会"],  # a new hire
        ["李娜", "", "13800000001", "东关社区居委会"],  # a new phone
        ["王芳", "", "13800000002", "西关社区居委会"],  # which 王芳 is which: nothing says
        ["王芳", "", "13800000003", "南街社区居委会"],
        ["张伟", "1988-05-06", "13912345678", "西关社区居委会"],  # moved, rows re-ordered
    )
    report = await import_roster(c, later)
    assert (report["new"], report["changed"], report["rejected"]) == (3, 2, [])
    registered = [e for e in await events_after(c) if e["type"] == "WorkerRegistered"]
    assert sorted(e["data"]["name"] for e in registered) == [
        "张伟", "李娜", "王芳", "王芳", "王芳", "王芳", "赵敏"
    ]  # fmt: skip
    # the change is the record's own: its worker now says the new unit, the new phone
    worker = {e["data"]["name"]: e["subject"] for e in registered}
    said = {
        name: [e["data"] for e in await events_after(c) if e["subject"] == worker[name]]
        for name in ("张伟", "李娜")
    }
    assert said["张伟"][-1].get("organization") == "西关社区居委会"
    assert said["李娜"][-1].get("phone_masked") == "138****0001"
    # the same file again changes nothing: the records are known under their new keys
    again = await import_roster(c, later)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 5)


async def test_a_namesake_on_the_departments_other_file_is_not_its_record_sent_again(
    registry: Node,
) -> None:
    """A department sending its list as a file a district: the second district's 王伟,
    with another phone and another unit, is a person of their own — the first district's
    王伟, whom this file does not list, is not "their record with a new phone"."""
    c = registry.client
    east = roster(
        ["王伟", "", "13912345678", "东关社区居委会"],
        ["李娜", "", "13912345679", "东关社区居委会"],
    )
    west = roster(
        ["王伟", "", "13700000001", "西关社区居委会"],
        ["赵敏", "", "13700000002", "西关社区居委会"],
    )
    assert (await import_roster(c, east))["new"] == 2
    report = await import_roster(c, west)
    assert (report["new"], report["changed"]) == (2, 0)
    registered = [e for e in await events_after(c) if e["type"] == "WorkerRegistered"]
    assert sorted(e["data"]["name"] for e in registered) == ["李娜", "王伟", "王伟", "赵敏"]
    # and the first district's list sent again is still its own two records, unchanged
    again = await import_roster(c, east)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 2)
