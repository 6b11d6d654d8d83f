"""The mobile pages' HTML: one small layout, phone first (a 390 px screen is the design
width; ``@media (min-width: 640px)`` centres a card on a desktop). No script is needed:
every step is a plain form, so the pages work on any phone browser (WeChat's included)."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
  background:#f3f5f7;color:#1d2733}
header{background:#c8102e;color:#fff;padding:14px 16px}
header h1{margin:0;font-size:19px}
header p{margin:2px 0 0;font-size:13px;opacity:.9}
main{padding:12px}
.card{background:#fff;border-radius:10px;padding:14px;margin:0 0 12px;
  box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card h2{font-size:17px;margin:0 0 8px}
label{display:block;margin:10px 0 4px;font-weight:600;font-size:15px}
input,select,textarea{width:100%;font:inherit;padding:10px;border:1px solid #c9d1d9;
  border-radius:8px;background:#fff}
textarea{min-height:84px}
button,.button{display:block;width:100%;margin:12px 0 0;padding:12px;border:1px solid #c8102e;
  border-radius:8px;background:#c8102e;color:#fff;font:inherit;font-weight:600;
  text-align:center;text-decoration:none}
button.secondary{background:#fff;color:#c8102e;border:1px solid #c8102e}
.row{display:flex;gap:8px;align-items:flex-end}.row>*{flex:1}
.choices{display:flex;flex-wrap:wrap;gap:8px}
.choices label{flex:1 1 calc(50% - 8px);margin:0;font-weight:400;border:1px solid #c9d1d9;
  border-radius:8px;padding:10px;display:flex;gap:8px;align-items:center}
.choices input{width:auto;margin:0}
.stars{display:flex;gap:6px}.stars label{flex:1;text-align:center;border:1px solid #c9d1d9;
  border-radius:8px;padding:8px 0;margin:0;font-weight:400}
.stars input{display:block;margin:0 auto 2px;width:auto}
.notice{background:#fff4e5;border-left:4px solid #f0a020;padding:10px;border-radius:6px}
.error{background:#fdecee;border-left:4px solid #c8102e;padding:10px;border-radius:6px}
.ok{background:#e8f6ee;border-left:4px solid #1f8a4c;padding:10px;border-radius:6px}
ol.steps{list-style:none;margin:0;padding:0;display:flex;justify-content:space-between}
ol.steps li{flex:1;text-align:center;font-size:12px;color:#8a96a3;position:relative}
ol.steps li::before{content:"";display:block;width:14px;height:14px;margin:0 auto 4px;
  border-radius:50%;background:#d5dbe1}
ol.steps li.done{color:#1f8a4c}ol.steps li.done::before{background:#1f8a4c}
ol.steps li.now{color:#c8102e;font-weight:600}ol.steps li.now::before{background:#c8102e}
dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:4px 12px;font-size:15px}
dt{color:#5b6873}dd{margin:0}
.muted{color:#5b6873;font-size:13px}
ul.plain{list-style:none;margin:0;padding:0}ul.plain li{padding:8px 0;border-top:1px solid #eef1f4}
ul.plain li:first-child{border-top:0}
@media (min-width:640px){main{max-width:480px;margin:0 auto}
  header{text-align:center}}
@media (max-width:359px){body{font-size:15px}.choices label{flex-basis:100%}}
"""


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, subtitle: str = "") -> str:
    sub = f"<p>{e(subtitle)}</p>" if subtitle else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">'
        # A link (an order's signature, a worker's seal) is never sent to another origin;
        # these pages' own POSTs keep their Origin (no-referrer made it "null"), which
        # app.from_these_pages checks.
        '<meta name="referrer" content="same-origin">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{e(title)}</h1>{sub}</header><main>{body}</main></body></html>"
    )


def card(inner: str, title: str = "", test_id: str = "") -> str:
    head = f"<h2>{e(title)}</h2>" if title else ""
    tid = f' data-testid="{e(test_id)}"' if test_id else ""
    return f'<section class="card"{tid}>{head}{inner}</section>'


def box(kind: str, text: str, test_id: str = "") -> str:
    tid = f' data-testid="{e(test_id)}"' if test_id else ""
    return f'<p class="{e(kind)}" role="status"{tid}>{e(text)}</p>'


def hidden(name: str, value: Any) -> str:
    return f'<input type="hidden" name="{e(name)}" value="{e(value)}">'


def options(choices: list[tuple[str, str]], selected: str | None) -> str:
    return "".join(
        f'<option value="{e(v)}"{" selected" if v == selected else ""}>{e(label)}</option>'
        for v, label in choices
    )


def steps(labels: list[str], reached: int) -> str:
    """A progress line: steps before ``reached`` done, ``reached`` the current one."""
    items = []
    for i, label in enumerate(labels):
        cls = "done" if i < reached else "now" if i == reached else ""
        items.append(f'<li class="{cls}">{e(label)}</li>')
    return f'<ol class="steps" data-testid="steps">{"".join(items)}</ol>'
