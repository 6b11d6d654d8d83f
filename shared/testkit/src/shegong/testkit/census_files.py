"""A synthetic city's rows as the departments' roster files (one CSV each, UTF-8 with BOM
as Excel saves it), with each human's job facts the same in every department."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shegong.testkit.census_city import RosterRow

__all__ = ["ROSTER_HEADER", "employment", "roster_files"]


ROSTER_HEADER = (
    *("记录编号", "姓名", "身份证号", "性别", "出生日期", "手机号", "工作单位", "单位类型"),
    *("岗位类别", "所属区县", "乡镇街道", "社区村", "入职日期", "证书等级", "取证日期"),
)
_LEVELS_ZH = ("助理社会工作师", "社会工作师", "高级社会工作师")


def _org_type(org: str | None) -> str:
    if not org:
        return ""
    for marker, label in (
        ("居民委员会", "社区"),
        ("社区", "社区"),
        ("服务站", "社工站"),
        ("中学", "学校"),
        ("小学", "学校"),
        ("医院", "医院"),
        ("服务中心", "社会工作服务机构"),
    ):
        if marker in org:
            return label
    return "其他"


def employment(human: str, seed: int = 0) -> dict[str, str]:
    """A human's job facts (post, hire date, certificate), the same in every department
    that reports them: drawn from the human id, so they don't disturb the roster noise."""
    rng = random.Random(f"{seed}:{human}")
    post = rng.choices(("社会工作岗位", "社区工作者", "其他"), weights=(0.55, 0.35, 0.10))[0]
    hired = date(2014, 1, 1) + timedelta(days=rng.randrange(11 * 365))
    facts = {"岗位类别": post, "入职日期": hired.isoformat(), "证书等级": "", "取证日期": ""}
    if rng.random() < 0.4:
        level = rng.choices(_LEVELS_ZH, weights=(0.6, 0.37, 0.03))[0]
        certified = hired + timedelta(days=rng.randrange(30, 3 * 365))
        if certified <= date(2025, 12, 31):
            facts.update({"证书等级": level, "取证日期": certified.isoformat()})
    return facts


def roster_files(
    rows: Iterable[RosterRow],
    truth: Mapping[str, str],
    seed: int = 0,
    *,
    job: Callable[[str], Mapping[str, str]] | None = None,
    extra_columns: Sequence[str] = (),
) -> dict[str, bytes]:
    """One roster CSV (UTF-8 with BOM, as Excel saves it) per department, with the job
    facts of :func:`employment` (or ``job(human)``) so the workforce indicators have
    something to count; ``extra_columns`` are more of the job's facts, after the rest."""
    import csv
    import io

    outs: dict[str, tuple[io.StringIO, Any]] = {}
    for row in rows:
        if row.department not in outs:
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow([*ROSTER_HEADER, *extra_columns])
            outs[row.department] = (buf, writer)
        facts = job(truth[row.key]) if job else employment(truth[row.key], seed)
        outs[row.department][1].writerow(
            [
                row.record_id,
                row.name,
                row.id_number or "",
                row.gender or "",
                row.birth_date.isoformat() if row.birth_date else "",
                row.phone or "",
                row.organization or "",
                _org_type(row.organization),
                facts["岗位类别"],
                row.county or "",
                row.township or "",
                row.community or "",
                facts["入职日期"],
                facts["证书等级"],
                facts["取证日期"],
                *(facts[c] for c in extra_columns),
            ]
        )
    return {dept: ("\ufeff" + buf.getvalue()).encode() for dept, (buf, _) in outs.items()}
