"""The sample annual report in docs/: a fresh platform (``shegong up``'s, SQLite + a local
Redis), the Dingxi-like demo city put in over HTTP (``shegong.testkit.democity``), and the
report written by the real command, as any user would:

    shegong report annual --year YEAR --format docx -o 报告.docx   (and xlsx, pdf, --publish)

then the PDF's pages rendered to PNG with pdftoppm (poppler-utils).

    uv run python shared/report/make_sample.py [--out docs] [--persons 600]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import httpx

from shegong.platform.launcher import Platform
from shegong.testkit.democity import populate, settle


async def _populate(platform: Platform, year: int, persons: int) -> None:
    headers = {"Authorization": f"Bearer {platform.admin_key}"}

    def client(name: str) -> httpx.AsyncClient:
        url = platform.service(name).url
        return httpx.AsyncClient(base_url=url, headers=headers, timeout=300)

    async with client("registry") as r, client("training") as t, client("matching") as m:
        await populate(r, t, m, year, persons=persons)


def _run(year: int, extra: list[str], env: dict[str, str]) -> None:
    cmd = ["shegong", "report", "annual", "--year", str(year), *extra]
    print("$", " ".join(cmd))
    subprocess.run(cmd, check=True, env=env)


async def _late_roster(platform: Platform, year: int) -> None:
    roster = (
        "记录编号,姓名,身份证号,工作单位,单位类型,岗位类别,所属区县,入职日期\n"
        f"LATE-1,迟报员,,安定区晚报社工中心,社会工作服务机构,社会工作岗位,安定区,{year}-02-01\n"
    )
    headers = {"Authorization": f"Bearer {platform.admin_key}"}
    url = platform.service("registry").url
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as registry:
        files = {"file": ("late.csv", roster.encode())}
        resp = await registry.post("/imports/roster", files=files, data={"department": "hrss"})
        resp.raise_for_status()
        await settle(registry)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--persons", type=int, default=600)
    args = parser.parse_args()
    year = date.today().year
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shegong-sample-") as tmp:
        platform = Platform(data_dir=Path(tmp) / "data", log_level="WARNING")
        platform.start(progress=lambda line: print(" ", line))
        try:
            asyncio.run(_populate(platform, year, args.persons))
            env = {
                **os.environ,
                "REGISTRY_URL": platform.service("registry").url,
                "TRAINING_URL": platform.service("training").url,
                "MATCHING_URL": platform.service("matching").url,
                "SHEGONG_API_KEY": platform.admin_key,
            }
            work = Path(tmp)
            for extra in (
                [
                    "--format",
                    "docx",
                    "-o",
                    str(work / "报告.docx"),
                    "--publish",
                    str(work / "published.json"),
                ],
                ["--format", "xlsx", "-o", str(work / "报表.xlsx")],
                ["--format", "pdf", "-o", str(work / "报告.pdf")],
                ["--as-of", f"{year}-06-30", "--format", "docx", "-o", str(work / "半年.docx")],
            ):
                _run(year, extra, env)
            # A correction after publication: the published report stays as it was, and
            # "what changed" names the figures it moved and the events that did.
            asyncio.run(_late_roster(platform, year))
            _run(
                year,
                [
                    "--changes-since",
                    str(work / "published.json"),
                    "-o",
                    str(args.out / "annual-report-changes.json"),
                ],
                env,
            )
            _run(
                year,
                ["--from-published", str(work / "published.json"), "-o", str(work / "again.docx")],
                env,
            )
            same = (work / "again.docx").read_bytes() == (work / "报告.docx").read_bytes()
            print("regenerated from the published file: identical bytes" if same else "DIFFERS")
        finally:
            platform.stop()
        stem = args.out / "annual-report"
        pdf = str(work / "报告.pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "80", pdf, str(stem)], check=True)
        for page in sorted(args.out.glob("annual-report-*.png")):
            print("wrote", page)
        (args.out / "annual-report.xlsx").write_bytes((work / "报表.xlsx").read_bytes())
        (args.out / "annual-report.docx").write_bytes((work / "报告.docx").read_bytes())


if __name__ == "__main__":
    main()
