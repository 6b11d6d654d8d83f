"""The report's charts (matplotlib, Agg, a CJK font), as PNG bytes.

The same figures give the same bytes (no timestamp or software tag in the PNG), so a
published report regenerates identically. The font is the first CJK font fontconfig
knows (WenQuanYi Micro Hei — Debian ``fonts-wqy-microhei`` — or Noto Sans CJK).
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from shegong.report.text import STAFFING_STANDARD

__all__ = ["charts", "cjk_font"]

_CJK_NAMES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC")
_BLUE, _ORANGE, _RED, _GREY = "#2f6db5", "#e08a2c", "#c0392b", "#888888"


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (then Chinese shows as boxes)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_NAMES:
        if name in installed:
            return name
    for path in font_manager.findSystemFonts():
        if any(k in path.lower() for k in ("wqy", "notosanscjk", "noto-cjk")):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _figure(width: float = 6.4, height: float = 3.2) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=150)  # no pyplot state: safe in a server
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _labels(ax: Any, bars: Any, fmt: str = "{:g}") -> None:
    for bar in bars:
        height = bar.get_height()
        ax.annotate(
            fmt.format(height),
            (bar.get_x() + bar.get_width() / 2, height),
            ha="center",
            va="bottom",
            fontsize=8,
        )


def _font() -> dict[str, Any]:
    font = cjk_font()
    return {"fontfamily": font} if font else {}


def levels(f: dict[str, Any]) -> bytes:
    w = f["workforce"]["by_level"]
    fig, ax = _figure()
    names = ["助理社会工作师", "社会工作师", "高级社会工作师"]
    values = [w.get("assistant", 0), w.get("intermediate", 0), w.get("senior", 0)]
    _labels(ax, ax.bar(names, values, color=_BLUE))
    ax.set_title("持证专业人员证书等级（人）", **_font())
    for label in ax.get_xticklabels():
        label.set(**_font())
    return _png(fig)


def yoy(f: dict[str, Any]) -> bytes:
    w = f["workforce"]
    fig, ax = _figure()
    names = ["社会工作专业人员", "持证专业人员"]
    prev = [w["professionals_prev"], w["certified_prev"]]
    now = [w["professionals"], w["certified"]]
    x = range(len(names))
    _labels(ax, ax.bar([i - 0.2 for i in x], prev, 0.4, color=_GREY, label="上年同期"))
    _labels(ax, ax.bar([i + 0.2 for i in x], now, 0.4, color=_BLUE, label="本期"))
    ax.set_xticks(list(x), names, **_font())
    ax.legend(prop=font_manager.FontProperties(family=cjk_font() or "DejaVu Sans"))
    ax.set_title("专业人员总量与持证人数同比（人）", **_font())
    return _png(fig)


def staffing(f: dict[str, Any]) -> bytes:
    units = [u for u in f["units"] if u["workforce"].get("community_workers_per_10k") is not None]
    fig, ax = _figure(6.4, 3.4)
    names = [u["name"] for u in units] or ["—"]
    values = [u["workforce"]["community_workers_per_10k"] for u in units] or [0]
    colors = [_BLUE if v >= STAFFING_STANDARD else _RED for v in values]
    _labels(ax, ax.bar(names, values, color=colors), "{:.1f}")
    ax.axhline(STAFFING_STANDARD, color=_ORANGE, linestyle="--", linewidth=1)
    ax.annotate(
        f"标准 {STAFFING_STANDARD} 人",
        (len(names) - 0.5, STAFFING_STANDARD),
        color=_ORANGE,
        ha="right",
        va="bottom",
        fontsize=8,
        **_font(),
    )
    ax.set_xticks(range(len(names)), names, **_font())
    ax.set_title("每万城镇常住人口社区工作者配备（人）", **_font())
    return _png(fig)


def training_kinds(f: dict[str, Any]) -> bytes:
    kinds = list(f["training"]["by_kind"].values())
    fig, ax = _figure()
    names = [k["label_zh"] for k in kinds]
    x = range(len(names))
    _labels(
        ax,
        ax.bar(
            [i - 0.2 for i in x], [k["sessions"] for k in kinds], 0.4, color=_ORANGE, label="期数"
        ),
    )
    ax2 = ax.twinx()
    ax2.spines[["top"]].set_visible(False)
    bars = ax2.bar(
        [i + 0.2 for i in x], [k["person_times"] for k in kinds], 0.4, color=_BLUE, label="人次"
    )
    _labels(ax2, bars)
    ax.set_xticks(list(x), names, **_font())
    ax.set_ylabel("期数", **_font())
    ax2.set_ylabel("人次", **_font())
    ax.set_title("培训分类：期数与人次", **_font())
    return _png(fig)


def accept_time(f: dict[str, Any]) -> bytes:
    s = f["services"]["time_to_accept_s"]
    fig, ax = _figure(6.4, 2.6)
    names = ["中位数", "90%分位"]
    seconds = [s.get("median") or 0, s.get("p90") or 0]
    unit, per = ("分钟", 60) if max(seconds) >= 120 else ("秒", 1)  # orders taken at once: seconds
    values = [v / per for v in seconds]
    bars = ax.barh(names, values, color=[_BLUE, _ORANGE])
    ax.set_xlim(0, max(max(values) * 1.25, 1))
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(
            f" {value:.1f} {unit}",
            (value, bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=8,
            **_font(),
        )
    ax.set_yticks(range(len(names)), names, **_font())
    ax.set_title(f"居民点单的接单时长（{unit}）", **_font())
    return _png(fig)


def charts(f: dict[str, Any]) -> dict[str, bytes]:
    """Name → PNG bytes, in the order the report shows them."""
    return {
        "levels": levels(f),
        "yoy": yoy(f),
        "staffing": staffing(f),
        "training": training_kinds(f),
        "accept_time": accept_time(f),
    }
