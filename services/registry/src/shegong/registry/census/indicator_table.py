"""The workforce indicators as the reports print them (bilingual labels, ``1,699``,
``+51.3 %``, ``34.4 %``, ``18.2``): the plain-text table of ``/indicators/workforce``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shegong.contracts.registry import CertificateLevel

_LABELS: dict[str, tuple[str, str]] = {
    "professionals": ("社会工作专业人才（年末）", "professionals, end of year"),
    "professionals_prev": ("上年末专业人才", "professionals, end of last year"),
    "professionals_yoy": ("专业人才同比增长", "professionals, YoY"),
    "certified": ("持证社会工作者", "certified professionals"),
    "certified_prev": ("上年末持证社会工作者", "certified, end of last year"),
    "certified_yoy": ("持证社会工作者同比增长", "certified, YoY"),
    "new_professionals": ("本年新增专业人才", "new professionals in the year"),
    "newly_certified": ("本年新增持证", "newly certified in the year"),
    "conversion_rate": ("持证转化率", "certification conversion rate"),
    "community_workers": ("社区工作者", "community workers"),
    "new_community_workers": ("本年新增社区工作者", "new community workers"),
    "urban_population": ("城镇常住人口", "urban resident population"),
    "community_workers_per_10k": ("每万城镇常住人口社区工作者", "community workers per 10k"),
    "senior": ("高级社会工作师", "senior social workers"),
    "expert_pool": ("专家库人数", "expert pool"),
    "certified_in_community": ("社区持证社会工作者", "certified community social workers"),
}
_RATES = {"professionals_yoy", "certified_yoy", "conversion_rate"}


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in _RATES:
        return f"{value * 100:+.1f} %" if key.endswith("_yoy") else f"{value * 100:.1f} %"
    if key == "community_workers_per_10k":
        return f"{value:,.1f}"
    return f"{value:,}"


def basis_line(ind: Mapping[str, Any]) -> str | None:
    """What the figures count while pairs wait for a clerk (None when none waits)."""
    review = ind.get("review") or {}
    waiting = review.get("queued_pairs", 0)
    if not waiting:
        return None
    if ind.get("basis") == "linked":
        return (
            f"口径：已确认链接，待核对 {waiting:,} 对按两人计 · basis: linked only, "
            f"{waiting:,} pairs awaiting a clerk counted as two persons"
        )
    one = review.get("counted_as_one", 0)
    return (
        f"口径：最佳估计，待核对 {waiting:,} 对中 {one:,} 对按一人计（匹配概率 ≥ 0.5）· "
        f"basis: best estimate, {one:,} of {waiting:,} pairs awaiting a clerk counted as "
        "one person (match probability ≥ 0.5)"
    )


def format_table(ind: Mapping[str, Any]) -> str:
    """The indicators as the reports print them: ``1,699``, ``+51.3 %``, ``34.4 %``, ``18.2``;
    a first line says the basis while pairs wait for a clerk."""
    rows = [(f"{zh} {en}", _fmt(key, ind.get(key))) for key, (zh, en) in _LABELS.items()]
    levels = ind.get("by_level") or {}
    rows.append(("证书等级 certificate levels", ""))
    for lvl in CertificateLevel:
        rows.append((f"  {lvl.zh} {lvl.value}", _fmt("by_level", levels.get(lvl.value, 0))))
    width = max(_width(label) for label, _ in rows)
    lines = [f"{label}{' ' * (width - _width(label))}  {val:>10}" for label, val in rows]
    notes = [line for line in (basis_line(ind), employment_line(ind)) if line]
    return "\n".join([*notes, *lines])


def employment_line(ind: Mapping[str, Any]) -> str | None:
    """Why persons are missing from every figure: no roster says they work (None if none)."""
    without = ind.get("without_employment") or 0
    if not without:
        return None
    who = "1 person has" if without == 1 else f"{without:,} persons have"
    return (
        f"注意：{without:,} 人没有同时填写工作单位和入职日期的记录，不计为在岗 · note: {who} "
        "no record with both an organisation and a hire date, so not counted active "
        "(add 入职日期 to the rosters)"
    )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
