"""A unit and the title held there in one cell, under one header (工作单位及职务).

A column headed 工作单位及职务, 单位/职务 or 现工作单位及职称 is read as the organisation
(roster_fields), but its cells hold the title after the unit: 东关社区居委会 主任,
西山县人民医院社会工作岗位, 红叶社会工作服务中心/项目主管. The title is cut off the unit —
it is no part of the organisation the census compares and counts — and, where no other
column gives the post, read as the post. A cell whose last part does not end in a title
(临江市 东关社区居委会, 红叶社会工作服务中心) is the unit whole.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from shegong.kernel.data.sheets import CellError
from shegong.registry.imports.roster_fields import CONVERT

# a header naming a title beside the unit (the kernel's headers.py reads it as the unit)
_TITLED_HEADER = re.compile(r"职务|职位|职称|职级|岗位")
# what a title ends with: 主任, 副书记, 站长, 一线社工, 社区工作者, 社会工作岗位, 项目主管
_TITLE = (
    r"(?:主任|书记|委员|干事|站长|所长|院长|校长|主席|部长|科长|主管|督导|专干|网格员|网格长"
    r"|工作者|社工|文书|会计|科员|职员|教师|老师|医生|护士|岗位|工作人员|负责人)"
)
# …written after a space, a slash or a comma; or straight after the unit's own last word
_SEPARATED = re.compile(rf"(.+?)[\s/／、,，;；]+(\S{{0,8}}{_TITLE})")
_JOINED = re.compile(
    rf"(.+(?:委会|中心|站|所|医院|学校|中学|小学|幼儿园|政府|局|办|队|协会|公司))(\S{{0,6}}{_TITLE})"
)


def titled_header(header: str | None) -> bool:
    """Whether the organisation's column, headed ``header``, also names a title."""
    return bool(header) and _TITLED_HEADER.search(header or "") is not None


def unit_and_title(text: str) -> tuple[str, str] | None:
    """(the unit, the title) of a cell holding both, else ``None`` (the unit whole)."""
    text = text.strip()
    found = _SEPARATED.fullmatch(text) or _JOINED.fullmatch(text)
    if found is None:
        return None
    unit, title = found.group(1).strip(), found.group(2)
    return (unit, title) if unit else None


def cut_title(values: dict[str, Any], titled: bool) -> None:
    """In ``values`` (a row's fields as read), under a titled header: the organisation
    without its title, and the title as the post where no other column gives one."""
    unit = values.get("organization")
    cut = unit_and_title(unit) if titled and unit else None
    if cut is None:
        return
    values["organization"] = cut[0]
    if values.get("post") is None:
        with contextlib.suppress(CellError):  # a title the posts do not read: none
            values["post"] = CONVERT["post"]("post", cut[1])
