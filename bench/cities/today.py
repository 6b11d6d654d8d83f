"""Today's city: the registry's own generator (``shegong.testkit.census_city``),
written out as the roster files its pipeline bench writes (the same 15 columns everywhere).

Imported lazily: if the generator moves or changes its signature, this city says so and
the others still run.
"""

from __future__ import annotations

from .world import City, Roster

_COLUMNS = [
    "记录编号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "工作单位",
    "单位类型",
    "岗位类别",
    "所属区县",
    "乡镇街道",
    "社区村",
    "入职日期",
    "证书等级",
    "取证日期",
]


class Unavailable(RuntimeError):
    pass


def generate(n_persons: int, seed: int = 2024) -> City:
    try:
        from shegong.testkit import census_city as synthetic

        rows, truth = synthetic.generate_city(n_persons, seed=seed)
    except (ImportError, AttributeError, TypeError) as err:  # moved or changed
        raise Unavailable(f"today's generator is not importable: {err}") from err
    org_type = getattr(synthetic, "_org_type", lambda _org: "")
    departments = getattr(synthetic, "DEPARTMENTS", {})
    rosters: dict[str, Roster] = {}
    for row in rows:
        if row.department not in rosters:
            rosters[row.department] = Roster(
                row.department, departments.get(row.department, row.department), list(_COLUMNS)
            )
        job = synthetic.employment(truth[row.key], seed)
        rosters[row.department].rows.append(
            {
                "记录编号": row.record_id,
                "姓名": row.name,
                "身份证号": row.id_number or "",
                "性别": row.gender or "",
                "出生日期": row.birth_date.isoformat() if row.birth_date else "",
                "手机号": row.phone or "",
                "工作单位": row.organization or "",
                "单位类型": org_type(row.organization),
                "岗位类别": job["岗位类别"],
                "所属区县": row.county or "",
                "乡镇街道": row.township or "",
                "社区村": row.community or "",
                "入职日期": job["入职日期"],
                "证书等级": job["证书等级"],
                "取证日期": job["取证日期"],
            }
        )
    return City("today", list(rosters.values()), dict(truth))
