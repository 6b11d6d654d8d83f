"""The ``shegong`` command as a clerk types it: a client of the running platform's HTTP APIs.

Real processes against one real ``shegong up`` (``conftest.py``): imports go in as jobs,
through the service, with the key (the actor is the key's name, a department key is held
to its department); partial imports exit 0 and name the rejected rows; reports are the
API's own figures; with no platform the command says so and how to start it; a second
platform never takes the first one's key. What a command loads: ``test_fast_start.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import openpyxl

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "examples" / "data"
Up = Any  # conftest.Up: a running `shegong up` (its fixtures: platform, start_platform)


def api(up: Up, service: str, path: str, key: str | None = None) -> Any:
    req = urllib.request.Request(
        up.services[service] + path, headers={"Authorization": f"Bearer {key or up.key}"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def events(up: Up, service: str = "registry") -> list[dict[str, Any]]:
    return list(api(up, service, "/events?after=0&limit=5000")["events"])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ROSTER_HEAD = "记录编号,姓名,身份证号,岗位类别,入职日期\n"


def test_no_platform_running_says_so_in_chinese_and_english(tmp_path: Path, user_env: Any) -> None:
    env = user_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run(
        [sys.executable, "-m", "shegong.platform.cli", "report", "workforce", "--year", "2024"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "没有正在运行的 shegong 平台" in result.stderr
    assert "no running shegong platform" in result.stderr
    assert "uv run shegong up" in result.stderr
    gone = subprocess.run(
        [*_shegong(), "census", "status", "--url", "http://127.0.0.1:9"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gone.returncode == 1 and "服务无应答 does not answer" in gone.stderr


def _shegong() -> list[str]:
    return [sys.executable, "-m", "shegong.platform.cli"]


def test_imports_go_through_the_service_as_jobs_with_the_keys_actor(
    platform: Up, tmp_path: Path
) -> None:
    up = platform
    regions = up.shegong("registry", "import-regions", str(DATA / "regions.csv"))
    assert regions.returncode == 0, regions.stderr
    assert "regions 7" in regions.stdout

    # Every row with a name stored; the values left out named with their row, exit 0.
    first = up.shegong(
        "registry",
        "import-roster",
        "--department",
        "civil-affairs",
        "--name",
        "民政局",
        str(DATA / "花名册-民政局.csv"),
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "rows read 4 · new 4" in first.stdout or "unchanged 4" in first.stdout, first.stdout
    assert "rejected rows 0" in first.stdout and "row 5: post:" in first.stdout
    assert "岗位类别" in first.stdout and "job " in first.stderr  # the job's progress
    # The job, whole on stdout (not cut to a terminal's width): its full report is there.
    job_id = first.stdout.split("import job ", 1)[1].split()[0]
    assert api(up, "registry", f"/imports/{job_id}")["status"] == "done"
    assert "PII_HASH_KEY" not in first.stdout + first.stderr
    registered = [e for e in events(up) if e["type"] == "WorkerRegistered"]
    assert registered and {e["actor"] for e in registered} == {"local-admin"}, "the key's name"

    # A department's key: its own department only; the actor is that key's name.
    issued = up.shegong(
        "auth", "issue", "--role", "department", "--department", "hrss", "--name", "人社-王科员"
    )
    assert issued.returncode == 0, issued.stderr
    hrss = issued.stdout.strip()
    other = up.shegong(
        "registry",
        "import-roster",
        "--department",
        "civil-affairs",
        "--key",
        hrss,
        str(DATA / "花名册-民政局.csv"),
    )
    assert other.returncode == 1 and "HTTP 403" in other.stderr, other.stderr
    own = up.shegong(
        "registry",
        "import-roster",
        "--department",
        "hrss",
        "--key",
        hrss,
        str(DATA / "花名册-人社局.csv"),
    )
    assert own.returncode == 0, own.stderr
    kinds = ("DepartmentRegistered", "WorkerRegistered")
    hrss_events = [e for e in events(up) if e["department"] == "hrss" and e["type"] in kinds]
    assert hrss_events and {e["actor"] for e in hrss_events} == {"人社-王科员"}

    # A workbook with a sheet per district: every sheet read, the others listed.
    book = openpyxl.Workbook()
    book.active.title = "填表说明"
    book.active.append(["每人一行"])
    for district, person in (("双清区", "周一"), ("大祥区", "吴二")):
        sheet = book.create_sheet(district)
        sheet.append(["姓名", "工作单位"])
        sheet.append([person, f"{district}社工站"])
    book["大祥区"].append(["张" * 65, None])  # refused: named by its sheet and row
    book.save(tmp_path / "分区花名册.xlsx")
    multi = up.shegong(
        "registry",
        "import-roster",
        "--department",
        "hrss",
        "--key",
        hrss,
        "--no-wait",
        str(tmp_path / "分区花名册.xlsx"),
    )
    assert multi.returncode == 0, multi.stdout + multi.stderr
    assert "rows read 3 · new 2" in multi.stdout, multi.stdout
    assert "sheets read 已读取工作表: 双清区、大祥区" in multi.stdout, multi.stdout
    assert "sheets skipped" in multi.stdout and "填表说明" in multi.stdout
    assert "大祥区 3" in multi.stdout  # the refused row, by sheet and row

    # Every row refused: a failure (exit 1); a file that is no table: refused (exit 1).
    bad = write(tmp_path / "bad.csv", ROSTER_HEAD + "X-1,,,社工大师,2024-02-30\n")  # no name
    failed = up.shegong("registry", "import-roster", "--department", "hrss", str(bad))
    assert failed.returncode == 1 and "every row was refused" in failed.stderr, failed.stderr
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02")
    refused = up.shegong("registry", "import-roster", "--department", "hrss", str(junk))
    assert refused.returncode == 1 and "导入失败" in refused.stderr, refused.stderr


def test_reports_and_census_are_the_apis_own_figures(platform: Up, tmp_path: Path) -> None:
    up = platform
    for file, dept in (("花名册-民政局.csv", "civil-affairs"), ("花名册-人社局.csv", "hrss")):
        done = up.shegong("registry", "import-roster", "--department", dept, str(DATA / file))
        assert done.returncode == 0, done.stderr
        # The import returns once the census has linked the file: asked at once, it counts it.
        assert "census 人员库: records" in done.stdout
        merged = api(up, "registry", "/census/export?format=json")
        records = {r for person in merged for r in person["records"]}
        assert any(r.startswith(f"{dept}:") for r in records)
    as_json = up.shegong("report", "workforce", "--year", "2024", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    direct = api(up, "registry", "/indicators/workforce?year=2024")
    assert {k: v for k, v in figures.items() if k != "as_of"} == {
        k: v for k, v in direct.items() if k != "as_of"
    }
    table = up.shegong("report", "workforce", "--year", "2024")
    assert "professionals, end of year" in table.stdout and "as of event positions" in table.stdout
    csv_out = up.shegong("report", "workforce", "--year", "2024", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "indicator,value"
    assert f"professionals,{direct['professionals']}" in csv_out.stdout
    mars = up.shegong("report", "workforce", "--year", "2024", "--region", "火星")
    assert mars.returncode == 2 and "未知区划 unknown region" in mars.stderr

    out = tmp_path / "census.csv"
    export = up.shegong("census", "export", "--format", "csv", "-o", str(out))
    assert export.returncode == 0, export.stderr
    lines = out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("人员编号 person_id,姓名 name")
    assert any("civil-affairs:MZ-01" in line for line in lines)
    status = up.shegong("census", "status")
    assert status.returncode == 0 and "persons" in status.stdout

    training = up.shegong("report", "training", "--year", "2025", "--format", "json")
    assert training.returncode == 0 and json.loads(training.stdout)["year"] == 2025
    services = up.shegong("report", "services", "--year", "2026", "--format", "csv")
    assert services.returncode == 0 and services.stdout.startswith("indicator,value")
    hours = up.shegong("matching", "export-hours", "--year", "2026", "--out", str(tmp_path / "h"))
    assert hours.returncode == 0 and (tmp_path / "h").exists()
    # The command a user once found in the README and not in the CLI is gone for good.
    assert up.shegong("training", "report", "--year", "2025").returncode == 2


def test_training_imports_through_the_service(platform: Up, tmp_path: Path) -> None:
    up = platform
    done = up.shegong(
        "registry",
        "import-roster",
        "--department",
        "civil-affairs",
        str(DATA / "花名册-民政局.csv"),
    )
    assert done.returncode == 0, done.stderr
    body = json.dumps(
        {"kind": "岗前培训", "title": "岗前培训", "held_on": "2025-03-01", "hours": 16}
    ).encode()
    req = urllib.request.Request(
        up.services["training"] + "/sessions",
        data=body,
        headers={"Authorization": f"Bearer {up.key}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        session = json.loads(resp.read())["session"]["session_id"]
    # Training learns the workers from the registry's events: wait until it has read as
    # far as the census (which import-roster waited for), then import once — a retried
    # import could record part of the sheet before training knew every worker.
    import time

    def get(service: str, path: str) -> Any:
        req = urllib.request.Request(
            up.services[service] + path, headers={"Authorization": f"Bearer {up.key}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    census = get("registry", "/census/status")["as_of"]["positions"]
    deadline = time.monotonic() + 60
    while True:
        seen = get("training", "/indicators/training?year=2025")["as_of"]["training_workforce"]
        if all(seen.get(feed, 0) >= at for feed, at in census.items()):
            break
        assert time.monotonic() < deadline, (seen, census)
        time.sleep(0.5)
    signin = up.shegong("training", "import-signin", "--session", session, str(DATA / "签到表.csv"))
    assert signin.returncode == 0, signin.stdout + signin.stderr
    assert "recorded 2 · repeated 1 · rejected 0" in signin.stdout, signin.stdout
    exams = up.shegong("training", "import-exams", str(DATA / "考试成绩.csv"))
    assert exams.returncode == 0 and "recorded 2" in exams.stdout, exams.stdout + exams.stderr
    # A list that says no year anywhere: refused, saying how to give it; then given.
    lines = (DATA / "考试成绩.csv").read_text(encoding="utf-8-sig").splitlines()
    head = lines[0].split(",")
    year_at = head.index("考试年度")
    no_year = tmp_path / "合格名单.csv"
    no_year.write_text(
        "\n".join(
            ",".join(c for i, c in enumerate(line.split(",")) if i != year_at) for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    refused = up.shegong("training", "import-exams", str(no_year))
    assert refused.returncode == 1 and "--year" in refused.stdout + refused.stderr
    given = up.shegong("training", "import-exams", "--year", "2023", str(no_year))
    assert given.returncode == 0 and "recorded" in given.stdout, given.stdout + given.stderr
    nope = up.shegong("training", "import-signin", "--session", "nope", str(DATA / "签到表.csv"))
    assert nope.returncode == 1


def test_a_second_platform_gets_other_ports_and_never_takes_the_first_ones_key(
    platform: Up, start_platform: Any, tmp_path: Path
) -> None:
    second = start_platform(tmp_path / "checkout-2", platform.config)
    try:
        defaults = {"console": 8100, "registry": 8101, "training": 8102, "matching": 8103}
        for name, url in second.services.items():  # the first one holds its ports
            if not url.endswith(f":{defaults[name]}"):
                assert f"port {defaults[name]} is taken: {name} listens on" in second.output
        assert set(second.services.values()).isdisjoint(platform.services.values())
        creds = json.loads((platform.config / "shegong" / "credentials.json").read_text())
        keys = {home: entry["api_key"] for home, entry in creds["platforms"].items()}
        assert keys[str(platform.data_dir.resolve())] == platform.key
        assert keys[str(second.data_dir.resolve())] == second.key != platform.key
        # Each checkout's commands find their own platform (./.shegong), with its key.
        for up in (platform, second):
            token = up.shegong("auth", "token", cwd=up.home)
            assert token.stdout.strip() == up.key
            state = up.shegong("status", cwd=up.home)
            assert up.services["registry"] in state.stdout, state.stdout
    finally:
        rest = second.stop()
    assert "nothing left running" in rest
    assert not (second.data_dir / "platform.json").exists(), "a stopped platform is not found"
    gone = platform.shegong("census", "status", "--data-dir", str(second.data_dir))
    assert gone.returncode == 1 and "no running shegong platform" in gone.stderr
    still = platform.shegong("auth", "whoami")  # the first one's key still works
    assert still.returncode == 0 and "local-admin: admin" in still.stdout
