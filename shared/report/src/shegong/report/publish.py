"""Publishing freezes a report; "what changed since publication" lists what would move it.

A published report is a JSON file: the figures exactly as the services answered them, the
event positions they were computed at (per service, per producing node), who published it
and when, and the SHA-256 of the documents as published. Regenerating from it asks no
service: the same figures give the same bytes, and :func:`render` checks that they do.

The services keep no history of their read models, so "the figures as of those positions"
cannot be asked of them again later; the figures are frozen in the file instead, and the
positions say exactly which events they include. :func:`changes` asks the services again
(same year, region and day), compares figure by figure, and lists the events recorded after
the published positions (each service's ``GET /events?after=N``) beside the figures their
type can move — the corrections since publication.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shegong.report.figures import Get, collect

__all__ = ["EVENT_MOVES", "LABELS", "changes", "load", "publish", "render"]

KIND = "shegong.annual-report.published"

# Event type → the figures (family.key prefixes) it can move.
# A worker's hire, post or departure also moves training's pre-job coverage (its new hires).
_WORKFORCE_ALL = ("workforce.", "training.prejob_coverage")
EVENT_MOVES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "WorkerRegistered",
            "WorkerProfileUpdated",
            "WorkerLeft",
            "RecordsLinked",
            "RecordsUnlinked",
            "CensusPairDecided",
        ),
        _WORKFORCE_ALL,
    ),
    "WorkerCertified": _WORKFORCE_ALL,
    "RegionDefined": ("workforce.urban_population", "workforce.community_workers_per_10k"),
    "ExpertAdmitted": ("workforce.expert_pool",),
    "ExpertPoolAdmitted": ("workforce.expert_pool",),
    "BaseRegistered": ("training.by_tier",),
    "SessionScheduled": (
        "training.sessions",
        "training.session_hours",
        "training.by_kind",
        "training.by_tier",
    ),
    "AttendanceRecorded": (
        "training.person_times",
        "training.trainees",
        "training.by_kind",
        "training.by_tier",
        "training.examprep_pass_rate",
    ),
    "TrainingCompleted": ("training.hours", "training.prejob_coverage"),
    "ExamResultRecorded": ("training.examprep_pass_rate",),
    "RequestPlaced": ("services.",),
    "OrderAccepted": ("services.accepted", "services.acceptance_rate", "services.time_to_accept"),
    "OrderEscalated": ("services.escalation_rate",),
    "DeliveryFinished": (
        "services.completed",
        "services.completion_rate",
        "services.hours",
        "services.follow_up_coverage",
    ),
    "FollowUpRecorded": (
        "services.follow_up_coverage",
        "services.mean_satisfaction",
        "services.completed",
        "services.completion_rate",
    ),
    "RequestCancelled": ("services.completion_rate",),
    "ProgrammeCreated": ("services.programme_attendance",),
    "CheckedIn": ("services.programme_attendance",),
}

LABELS: dict[str, str] = {
    "workforce.professionals": "社会工作专业人员总量",
    "workforce.certified": "持证专业人员",
    "workforce.professionals_yoy": "专业人员同比增长",
    "workforce.certified_yoy": "持证同比增长",
    "workforce.new_professionals": "新增专业人员",
    "workforce.newly_certified": "新增持证",
    "workforce.conversion_rate": "持证转化率",
    "workforce.community_workers": "社区工作者",
    "workforce.new_community_workers": "新配备社区工作者",
    "workforce.community_workers_per_10k": "每万城镇常住人口社区工作者",
    "workforce.senior": "高级社会工作师",
    "workforce.expert_pool": "专家库",
    "workforce.certified_in_community": "社区持证社工",
    "training.sessions": "培训期数",
    "training.person_times": "培训人次",
    "training.trainees": "参训人数",
    "training.hours": "培训学时",
    "training.prejob_coverage": "岗前培训覆盖",
    "training.examprep_pass_rate": "考前冲刺通过率",
    "services.requests": "居民点单",
    "services.acceptance_rate": "接单率",
    "services.mean_satisfaction": "回访满意度",
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _documents(figures: dict[str, Any]) -> dict[str, bytes]:
    from shegong.report.document import build_docx
    from shegong.report.tables import build_xlsx

    return {"docx": build_docx(figures), "xlsx": build_xlsx(figures)}


def publish(
    figures: dict[str, Any], by: str, path: Path, at: datetime | None = None
) -> dict[str, Any]:
    """Freeze ``figures``: write the published report to ``path`` and return it."""
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    # As it will be read back: what the file holds is what the documents are made from.
    frozen = json.loads(json.dumps({**figures, "published": {"at": stamp, "by": by}}))
    record = {
        "kind": KIND,
        "version": 1,
        "year": frozen["year"],
        "region": frozen["region"],
        "as_of_date": frozen["as_of_date"],
        "positions": frozen["positions"],
        "published": frozen["published"],
        "sha256": {fmt: _digest(data) for fmt, data in _documents(frozen).items()},
        "figures": frozen,
    }
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return record


def load(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text())
    if record.get("kind") != KIND:
        raise ValueError(f"{path} is not a published shegong report")
    return record


def render(record: dict[str, Any], fmt: str) -> bytes:
    """The published report again, byte for byte (raises when it would differ)."""
    figures = record["figures"]
    if fmt == "pdf":
        from shegong.report.pdf import docx_to_pdf

        return docx_to_pdf(render(record, "docx"))
    data = _documents(figures)[fmt]
    expected = record["sha256"].get(fmt)
    if expected is not None and _digest(data) != expected:
        raise RuntimeError(
            f"the {fmt} regenerated from the published figures differs from the one published "
            "(the report's code or a library changed); the figures themselves are unchanged"
        )
    return data


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    """Numeric figures by dotted path (``workforce.by_level.senior``)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, sub in value.items():
            if key in ("as_of", "labels_zh", "label_zh", "year", "region", "as_of_date"):
                continue
            out.update(_leaves(sub, f"{prefix}.{key}" if prefix else str(key)))
    elif (isinstance(value, int | float) and not isinstance(value, bool)) or value is None:
        out[prefix] = value
    return out


def _figures_of(f: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for family in ("workforce", "training", "services"):
        found.update(_leaves(f[family], family))
        for unit in f.get("units", []):
            for key, value in _leaves(unit[family], family).items():
                found[f"{unit['name']}:{key}"] = value
    return found


def _label(figure: str) -> str:
    """``training.prejob_coverage.value`` → 岗前培训覆盖 (value)."""
    for key, label in LABELS.items():
        if figure == key:
            return label
        if figure.startswith(key + "."):
            return f"{label} ({figure.removeprefix(key + '.')})"
    return figure


def _moves(event_type: str, key: str) -> bool:
    figure = key.split(":", 1)[-1]
    return any(figure.startswith(p) for p in EVENT_MOVES.get(event_type, ()))


async def _events_since(get: Get, service: str, source: str, after: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = await get(service, "/events", {"after": after, "limit": 1000})
        if source not in (page["source"], service):
            return []  # another node's events: not served by this service's feed
        found += [e for e in page["events"] if e["type"] in EVENT_MOVES]
        if not page["events"] or page["next_after"] >= page["head"]:
            return found
        after = page["next_after"]


async def changes(get: Get, record: dict[str, Any]) -> dict[str, Any]:
    """Figure by figure, published vs now (same year, region, day), and the events since
    publication that can move each changed figure."""
    from datetime import date

    published = record["figures"]
    now = await collect(
        get, published["year"], published["region"], date.fromisoformat(published["as_of_date"])
    )
    events: list[dict[str, Any]] = []
    for service, found in record["positions"].items():
        for source, position in found.items():
            for e in await _events_since(get, service, source, position):
                events.append(
                    {
                        "service": service,
                        "position": e["sequence"],
                        "type": e["type"],
                        "subject": e["subject"],
                        "time": e["time"],
                        "department": e.get("department"),
                    }
                )
    before, after = _figures_of(published), _figures_of(now)
    moved = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        figure = key.split(":", 1)[-1]
        moved.append(
            {
                "figure": key,
                "label": _label(figure),
                "published": before.get(key),
                "now": after.get(key),
                "events": [e for e in events if _moves(e["type"], key)],
            }
        )
    return {
        "published": record["published"],
        "positions": record["positions"],
        "positions_now": now["positions"],
        "events_since": events,
        "changed": moved,
        "unchanged": len(before) - sum(1 for m in moved if m["figure"] in before),
    }
