"""Every label the templates ask for exists in Chinese and in English."""

from __future__ import annotations

import re
from pathlib import Path

import shegong.console
from shegong.console.i18n import LABELS
from shegong.console.pages.audit import AUDITED
from shegong.console.pages.census import SHOWN
from shegong.console.pages.orders import COLUMNS

TEMPLATES = Path(shegong.console.__file__).parent / "templates"


def test_every_literal_label_in_the_templates_is_bilingual() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(['"]([a-z0-9_]+)['"]\)""", template.read_text()))
    used |= {f"col_{c}" for c in COLUMNS}
    used |= {f"level_{lv}" for lv in ("assistant", "intermediate", "senior")}
    used |= {f"lvl_{lv}" for lv in ("community", "street", "district")}
    used |= {f"f_{field}" for field in SHOWN} | {"probe_forbidden", "probe_absent"}
    used |= {"absent", "unauthenticated", "forbidden", "error"}  # UpstreamError.kind
    used |= {"forbidden_write"}  # a refused change (Ctx.problem)
    used |= {f"role_{r}" for r in ("admin", "department", "auditor", "service")}  # /whoami
    steps = ("assistant", "intermediate", "senior_review", "expert_pool")
    used |= {f"step_{s}" for s in steps}  # the ladder's steps
    used |= {f"tta_{k}" for k in ("median", "p90")} | {f"weekday_{d}" for d in range(1, 8)}
    used |= {f"part_{k}" for k in ("proximity", "load", "training", "satisfaction", "fairness")}
    used |= {f"viewed_{s}" for s in AUDITED}  # the access log: what was viewed
    used |= {f"viewed_field_{f}" for f in ("id_number", "phone", "address")}  # and which fields
    missing = sorted(used - set(LABELS))
    assert not missing, f"labels without a translation: {missing}"
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
