"""The ladder's rules file: an operator's own file (REGISTRY_LADDER_RULES) changes the
decisions of a running registry without a release; a file with a mistake is refused at
start, naming the line and the reason in English and Chinese."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shegong.registry.ladder.config import LadderRulesError, load_ladder, load_ladder_file
from shegong.registry.main import RegistrySettings, build

from .conftest import StartNode
from .test_registry_api import certify, register

GOOD_RULE = """[steps.expert_pool]
label = "City expert pool"
label_zh = "市级专家库"

[[steps.expert_pool.rules]]
key = "senior_certificate"
kind = "certificate_held"
level = "{level}"
years = {years}
label = "holds 高级社会工作师 (senior)"
label_zh = "持有高级社会工作师证书"
"""
SENIOR_ONLY = GOOD_RULE.format(level="senior", years=0)


@pytest.mark.parametrize(
    ("text", "line", "reason", "reason_zh"),
    [
        (GOOD_RULE.format(level="expert", years=0), 8, "level must be one of", "level 应为"),
        (GOOD_RULE.format(level="senior", years=-1), 9, "years must be a whole number", "整数"),
        (GOOD_RULE.format(level="senior", years='"5"'), 9, "years must be", "years 应为"),
        (
            SENIOR_ONLY.replace("kind = ", "knd = "),
            5,
            "kind is missing",
            "缺少 kind",
        ),
        (
            GOOD_RULE.format(level="senior", years=0).replace("years = 0", "hours = 90"),
            9,
            "certificate_held takes no 'hours'",
            "没有参数 'hours'",
        ),
        (
            GOOD_RULE.format(level="senior", years=0).replace("expert_pool", "experts"),
            1,
            "unknown step 'experts'",
            "未知步骤",
        ),
        (GOOD_RULE.format(level="senior", years=0) + "\n[steps.x\n", 13, "not valid TOML", "TOML"),
        (
            GOOD_RULE.format(level="senior", years=0)
            + GOOD_RULE.format(level="senior", years=1).split("\n\n", 1)[1],
            13,
            "defined twice",
            "重复定义",
        ),
        ('title = "no steps"\n', None, "defines no step", "未定义任何步骤"),
    ],
)
def test_a_mistake_is_refused_with_its_line_and_reason(
    text: str, line: int | None, reason: str, reason_zh: str
) -> None:
    with pytest.raises(LadderRulesError) as raised:
        load_ladder(text, "mine.toml")
    err = raised.value
    assert err.line == line, str(err)
    assert reason in err.reason and reason_zh in err.reason_zh, str(err)
    where = f"mine.toml line {line}" if line else "mine.toml"
    assert str(err).startswith(where) and (f"第{line}行" if line else "文件") in str(err)


def test_the_shipped_file_loads_and_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert [s.key for s in load_ladder_file(None)] == [s.key for s in load_ladder()]
    with pytest.raises(LadderRulesError, match="cannot read the file"):
        load_ladder_file(tmp_path / "nowhere.toml")


def test_a_bad_rules_file_stops_the_registry_before_it_serves(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(GOOD_RULE.format(level="expert", years=0), "utf-8")
    with pytest.raises(LadderRulesError, match="line 8"):
        build(
            RegistrySettings(
                database_url=f"sqlite:///{tmp_path}/r.db", registry_ladder_rules=str(bad)
            )
        )
    # The command an operator runs refuses to start, saying where and why.
    env = {
        **os.environ,
        "REGISTRY_LADDER_RULES": str(bad),
        "DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
        "DATA_DIR": str(tmp_path),
        "PORT": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "shegong.registry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert f"{bad} line 8: rule 'senior_certificate': level must be one of" in done.stderr
    assert "第8行" in done.stderr


async def test_an_operators_rules_file_changes_the_decision(
    database_url: str, start_node: StartNode, tmp_path: Path
) -> None:
    mine = tmp_path / "rules.toml"
    mine.write_text(SENIOR_ONLY, "utf-8")
    shipped = await start_node(database_url, department="civil-affairs")
    own = await start_node(
        f"sqlite:///{tmp_path}/own.db", department="hrss", registry_ladder_rules=str(mine)
    )
    decisions: dict[str, Any] = {}
    for node in (shipped, own):
        worker = (await register(node.client, name="张伟", post="社区工作者"))["worker"]
        await certify(
            node.client, worker["worker_id"], level="intermediate", certified_on="2019-06-01"
        )
        resp = await node.client.get(f"/ladder/{worker['worker_id']}")
        assert resp.status_code == 200, resp.text
        decisions[node.settings.department] = {s["step"]: s for s in resp.json()["steps"]}
    # The shipped rules ask for 社会工作师 and an appraisal; the operator's, for 高级社会工作师.
    assert set(decisions["civil-affairs"]) == {
        "assistant",
        "intermediate",
        "senior_review",
        "expert_pool",
    }
    assert set(decisions["hrss"]) == {"expert_pool"}
    pool = decisions["hrss"]["expert_pool"]
    assert pool["eligible"] is False
    assert [(r["rule"], r["met"]) for r in pool["rules"]] == [("senior_certificate", False)]
    shipped_rules = {
        r["rule"]: r["met"] for r in decisions["civil-affairs"]["expert_pool"]["rules"]
    }
    assert shipped_rules["intermediate_certificate"] is True
