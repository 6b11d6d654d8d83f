"""The report's sentences: each figure written the way the seed report writes it.

"截至2024年年底，全市社会工作专业人员总量达 1699 人，其中持证专业人员达 535 人，同比分别
增长 51.3% 和 58.8%。" — numbers as the reports print them (no thousands separator,
percentages to one decimal), an unknown figure said to be unknown, never invented.
"""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = [
    "STAFFING_STANDARD",
    "day_phrase",
    "num",
    "pct",
    "sections",
    "title",
]

STAFFING_STANDARD = 18  # community workers per 10,000 urban residents (每万城镇常住人口18人)


def num(value: float | int | None, digits: int = 1) -> str:
    """``1699``, ``32``, ``2.5`` (integers without a decimal point); ``—`` when unknown."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    """A fraction as the reports print it: ``51.3%``; ``—`` when unknown."""
    return "—" if value is None else f"{value * 100:.1f}%"


def share(value: Any) -> float | None:
    """Training's shares come as ``{"value", "numerator", "denominator"}``."""
    return value.get("value") if isinstance(value, dict) else value


def day_phrase(as_of: str) -> str:
    """``截至2024年年底`` on 31 December, else ``截至2024年6月30日``."""
    day = date.fromisoformat(as_of)
    if (day.month, day.day) == (12, 31):
        return f"截至{day.year}年年底"
    return f"截至{day.year}年{day.month}月{day.day}日"


def title(figures: dict[str, Any]) -> str:
    return f"{figures['region_name']}{figures['year']}年度社会工作人才队伍建设与服务情况报告"


def _growth(a: float | None, b: float | None) -> str:
    """``同比分别增长 51.3% 和 58.8%`` (or 下降, or mixed; unknown when last year had none)."""
    if a is None or b is None:
        return "上年同期无可比数据，不计同比"

    def word(x: float) -> str:
        return "增长" if x >= 0 else "下降"

    if word(a) == word(b):
        return f"同比分别{word(a)} {pct(abs(a))} 和 {pct(abs(b))}"
    return f"同比分别{word(a)} {pct(abs(a))} 和{word(b)} {pct(abs(b))}"


def workforce(f: dict[str, Any]) -> list[str]:
    w, who, y = f["workforce"], f["region_name"], f["year"]
    so_far = "" if f["as_of_date"].endswith("12-31") else "以来"
    per_10k = w.get("community_workers_per_10k")
    if per_10k is None:
        staffing = "城镇常住人口未录入，每万人配备数暂无法计算"
    elif per_10k >= STAFFING_STANDARD:
        staffing = (
            f"每万城镇常住人口配备 {num(per_10k)} 人，"
            f"实现每万城镇常住人口 {STAFFING_STANDARD} 人的配备标准"
        )
    else:
        staffing = (
            f"每万城镇常住人口配备 {num(per_10k)} 人，"
            f"距每万城镇常住人口 {STAFFING_STANDARD} 人的配备标准尚有差距"
        )
    levels = w.get("by_level") or {}
    return [
        f"{day_phrase(f['as_of_date'])}，{who}社会工作专业人员总量达 {w['professionals']} 人，"
        f"其中持证专业人员达 {w['certified']} 人，"
        f"{_growth(w.get('professionals_yoy'), w.get('certified_yoy'))}。",
        f"{y}年{so_far}新增社会工作专业人员 {w['new_professionals']} 名，"
        f"考取社会工作职业资格证书 {w['newly_certified']} 人、"
        f"持证专业人员转化率达 {pct(w.get('conversion_rate'))}。",
        f"{y}年{so_far}新配备社区工作者 {w['new_community_workers']} 人，"
        f"现有社区工作者 {w['community_workers']} 人，{staffing}。",
        f"持证专业人员中，助理社会工作师 {levels.get('assistant', 0)} 人、"
        f"社会工作师 {levels.get('intermediate', 0)} 人、"
        f"高级社会工作师 {w['senior']} 人。",
        f"建设市级社会工作专业人员专家库，由 {w['expert_pool']} 名取得社会工作师以上资格人员"
        f"组成市级社会工作专业人员专家库成员。",
        f"{who} {w['certified_in_community']} 名社区持证社工发挥专业优势，"
        f"为“专业社工+志愿服务”联动融合提供支撑。",
    ]


def training(f: dict[str, Any]) -> list[str]:
    t, y = f["training"], f["year"]
    so_far = "" if f["as_of_date"].endswith("12-31") else "以来"
    kinds = "、".join(
        f"{k['label_zh']} {k['sessions']} 期" for k in t["by_kind"].values() if k["sessions"]
    )
    tiers = "、".join(
        f"{k['label_zh']} {k['sessions']} 期" for k in t["by_tier"].values() if k["sessions"]
    )
    prejob, prep = t["prejob_coverage"], t["examprep_pass_rate"]
    return [
        f"{y} 年{so_far}累计开展各类专题培训 {t['sessions']} 期，覆盖 {t['person_times']} 人次"
        f"（{t['trainees']} 人），完成培训学时 {num(t['hours'])} 学时。",
        f"分层分类培训中，{kinds or '尚无培训'}；培训网络中，{tiers or '尚无培训'}。",
        f"新入职人员 {prejob['denominator']} 人，其中 {prejob['numerator']} 人在入职后 "
        f"{prejob.get('window_days', 90)} 天内完成岗前培训，岗前培训覆盖率 {pct(share(prejob))}。",
        f"参加考前冲刺培训并参加当年职业资格考试 {prep['denominator']} 人，"
        f"通过 {prep['numerator']} 人，通过率 {pct(share(prep))}。",
    ]


def services(f: dict[str, Any]) -> list[str]:
    s, y = f["services"], f["year"]
    so_far = "" if f["as_of_date"].endswith("12-31") else "以来"
    median = s["time_to_accept_s"].get("median")
    if median is None:
        waited = "接单时长暂无数据"
    elif median < 60:
        waited = f"接单时长中位数 {num(median)} 秒"
    else:
        waited = f"接单时长中位数 {num(median / 60)} 分钟"
    groups = "、".join(f"{g['label_zh']} {g['requests']} 件" for g in s["by_target_group"].values())
    progs = s["programme_attendance"]
    return [
        f"{y} 年{so_far}“居民点单、社工接单、社区响应”累计受理居民点单 {s['requests']} 件"
        f"（{groups}），接单 {s['accepted']} 件，接单率 {pct(s.get('acceptance_rate'))}，"
        f"{waited}。",
        f"无人接单升级至社区响应的占 {pct(s['escalation_rate'].get('community'))}，"
        f"升级至街道的占 {pct(s['escalation_rate'].get('street'))}。",
        f"完成服务 {s['completed']} 件，回访率 {pct(s.get('follow_up_coverage'))}，"
        f"回访满意度平均 {num(s.get('mean_satisfaction'), 2)} 分（满分 5 分）。",
        f"累计服务时长 {num(s['hours']['total'])} 小时，其中志愿服务时长 "
        f"{num(s['hours']['volunteer'])} 小时。",
        f"{progs['programmes']} 个常态化项目开展活动 {progs['occurrences']} 次，"
        f"打卡 {progs['check_ins']} 人次。",
    ]


def sections(f: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The report's sections, in order: (heading, paragraphs)."""
    return [
        ("一、社会工作专业人员队伍建设", workforce(f)),
        ("二、分层分类培训", training(f)),
        ("三、“社工+志愿”服务", services(f)),
    ]
