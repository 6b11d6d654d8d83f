"""Region files (区县, 乡镇街道, 社区村, 城镇常住人口) → the region tree (pure parsing)."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest

from shegong.kernel.data.tabular import TabularFileError
from shegong.registry.imports.regions import (
    RegionLevel,
    RegionNode,
    RegionsParse,
    parse_regions,
    region_code,
)

HEADER = ["区县", "乡镇街道", "社区村", "城镇常住人口"]

ROWS: list[list[Any]] = [
    ["安定区", "", "", "210,000"],
    ["安定区", "永定路街道", "", "4.5万"],
    ["安定区", "永定路街道", "东关社区", "12345"],
    ["安定区", "永定路街道", "西关社区", "8,100"],
    ["安定区", "中华路街道", "新城社区", ""],
    ["通渭县", "平襄镇", "", "30000人"],  # county implied by its township
    ["陇西县", "", "", ""],  # a county without a population
]


def csv_bytes(
    rows: Sequence[Sequence[Any]], encoding: str = "utf-8", header: Sequence[str] = HEADER
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, title: str | None = None
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def assert_consistent_tree(parse: RegionsParse) -> None:
    codes = [n.code for n in parse.nodes]
    assert len(codes) == len(set(codes)), "codes are unique"
    seen: dict[str, RegionNode] = {}
    for node in parse.nodes:
        if node.level is RegionLevel.COUNTY:
            assert node.parent is None
            assert node.code == node.name
        else:
            assert node.parent in seen, f"parent of {node.code} comes first and exists"
            parent = seen[node.parent]
            expected = {
                RegionLevel.TOWNSHIP: RegionLevel.COUNTY,
                RegionLevel.COMMUNITY: RegionLevel.TOWNSHIP,
            }[node.level]
            assert parent.level is expected
            assert node.code == f"{parent.code}/{node.name}"
        assert node.urban_population is None or node.urban_population >= 0
        seen[node.code] = node


def populations(parse: RegionsParse) -> dict[str, int | None]:
    return {n.code: n.urban_population for n in parse.nodes}


EXPECTED = {
    "安定区": 210_000,
    "安定区/永定路街道": 45_000,
    "安定区/永定路街道/东关社区": 12_345,
    "安定区/永定路街道/西关社区": 8_100,
    "安定区/中华路街道": None,
    "安定区/中华路街道/新城社区": None,
    "通渭县": None,
    "通渭县/平襄镇": 30_000,
    "陇西县": None,
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_builds_the_tree(encoding: str) -> None:
    parse = parse_regions(csv_bytes(ROWS, encoding), "regions.csv")
    assert parse.rejections == []
    assert parse.rows_read == len(ROWS)
    assert populations(parse) == EXPECTED
    assert_consistent_tree(parse)
    nodes = parse.by_code()
    assert nodes["安定区/永定路街道/东关社区"].level is RegionLevel.COMMUNITY
    assert nodes["安定区/永定路街道/东关社区"].parent == "安定区/永定路街道"
    assert nodes["安定区/永定路街道/东关社区"].row_number == 4
    assert nodes["通渭县"].declared is False  # implied by 平襄镇
    assert nodes["陇西县"].declared is True
    assert nodes["安定区/中华路街道"].declared is False


def test_xlsx_with_title_line_number_cells_and_english_headers() -> None:
    rows: list[list[Any]] = [
        ["安定区", None, None, 210000],
        ["安定区", "永定路街道", "东关社区", 12345.0],  # Excel number cell
        ["安定区", "永定路街道", "西关社区", "1.2万"],
    ]
    data = xlsx_bytes(
        rows,
        header=["county", "Township", "community", "urban_population"],
        title="定西市区域及城镇常住人口",
    )
    parse = parse_regions(data, "regions.xlsx")
    assert parse.rejections == []
    assert parse.header_row == 2
    assert populations(parse) == {
        "安定区": 210_000,
        "安定区/永定路街道": None,
        "安定区/永定路街道/东关社区": 12_345,
        "安定区/永定路街道/西关社区": 12_000,
    }
    assert parse.by_code()["安定区/永定路街道/东关社区"].row_number == 4
    assert_consistent_tree(parse)


def test_header_variants_and_wan_unit_column() -> None:
    header = ["所属区县", "乡镇（街道）", "社区（村）", "城镇常住人口（万人）", "备注"]
    data = csv_bytes([["安定区", "永定路街道", "", "4.5", "x"]], header=header)
    parse = parse_regions(data, "r.csv")
    assert parse.rejections == []
    assert populations(parse)["安定区/永定路街道"] == 45_000
    assert parse.ignored_columns == ("备注",)
    assert parse.columns["urban_population"] == "城镇常住人口（万人）"


@pytest.mark.parametrize(
    "header",
    [
        ["县（市、区）", "乡镇名称", "村（居）委会", "常住人口数"],
        ["县市区", "街道办事处", "行政村", "城镇常住人口数量"],
        ["区县名称", "所在乡镇（街道）", "村(社区)名称", "城镇常住人口"],
    ],
)
def test_a_region_list_headed_as_rosters_head_a_place(header: list[str]) -> None:
    """A statistics office heads its list as the departments head their rosters: the
    place's columns are read in the words every importer reads."""
    data = csv_bytes([["安定区", "永定路街道", "东关社区", "12000"]], header=header)
    parse = parse_regions(data, "r.csv")
    assert parse.rejections == [] and parse.ignored_columns == ()
    assert populations(parse)["安定区/永定路街道/东关社区"] == 12_000


def test_names_are_normalised_into_codes() -> None:
    data = csv_bytes(
        [[" 安定区 ", "永定路　街道", "东关社区", "1"], ["安定区", "永定路街道", "", ""]]
    )
    parse = parse_regions(data, "r.csv")
    assert [n.code for n in parse.nodes] == [
        "安定区",
        "安定区/永定路街道",
        "安定区/永定路街道/东关社区",
    ]
    assert region_code(" 安定区", "永定路 街道", None) == "安定区/永定路街道"
    assert region_code("安定区", None, "东关社区") is None
    assert region_code(None, None, None) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12345", 12345),
        ("12,345", 12345),
        ("１２，３４５", 12345),  # full-width
        ("1,234,567", 1234567),
        ("1.2万", 12000),
        ("1.2 万人", 12000),
        ("3万", 30000),
        ("0", 0),
        ("12345.0", 12345),
        ("300人", 300),
        ("", None),
        ("-", None),
        ("无", None),
    ],
)
def test_population_forms_accepted(cell: str, expected: int | None) -> None:
    parse = parse_regions(csv_bytes([["安定区", "", "", cell]]), "r.csv")
    assert parse.rejections == []
    assert parse.nodes[0].urban_population == expected


@pytest.mark.parametrize(
    "cell",
    ["-5", "12.5", "1.23456万", "12,34", "1,2345", "abc", "十万", "12 345 x", "1e5", "200000000"],
)
def test_population_forms_rejected(cell: str) -> None:
    parse = parse_regions(csv_bytes([["安定区", "", "", "1"], ["临洮县", "", "", cell]]), "r.csv")
    assert [(r.row_number, r.field) for r in parse.rejections] == [(3, "urban_population")]
    rejection = parse.rejections[0]
    assert rejection.reason.startswith("urban_population:")
    assert rejection.reason_zh.startswith("城镇常住人口：")
    assert [n.code for n in parse.nodes] == ["安定区"]  # the rejected row adds nothing


def test_xlsx_non_whole_and_boolean_cells_are_rejected() -> None:
    data = xlsx_bytes([["安定区", None, None, 12.5], ["临洮县", None, None, True]])
    parse = parse_regions(data, "r.xlsx")
    assert [(r.row_number, r.field) for r in parse.rejections] == [
        (2, "urban_population"),
        (3, "urban_population"),
    ]
    assert parse.nodes == []


def test_structural_rejections_name_row_and_field() -> None:
    rows = [
        ["安定区", "永定路街道", "东关社区", "100"],  # row 2: fine
        ["", "永定路街道", "", "50"],  # row 3: township without county
        ["安定区", "", "西关社区", "60"],  # row 4: community without township
        ["", "", "新城社区", "70"],  # row 5: both missing
        ["", "", "", "80"],  # row 6: population with no region
        ["安定区", "永定路街道", "东关社区", "101"],  # row 7: conflicting population
        ["安定区", "永定路街道", "东关社区", "100"],  # row 8: same again: harmless
        ["安定区", "永定路街道", "东关社区", ""],  # row 9: blank again: harmless
        ["安定区", "a/b", "", ""],  # row 10: slash in a name
        ["安定区" * 30, "", "", ""],  # row 11: name too long
        ["", "永定路街道", "", "-3"],  # row 12: two bad fields, both reported
    ]
    parse = parse_regions(csv_bytes(rows), "r.csv")
    got = [(r.row_number, r.field) for r in parse.rejections]
    assert got == [
        (3, "county"),
        (4, "township"),
        (5, "county"),
        (5, "township"),
        (6, "county"),
        (7, "urban_population"),
        (10, "township"),
        (11, "county"),
        (12, "urban_population"),
        (12, "county"),
    ]
    assert parse.rejected_rows == 8
    for r in parse.rejections:
        assert r.reason.startswith(f"{r.field}:")
        assert r.reason_zh  # a clerk-facing Chinese reason for every rejection
    conflict = next(r for r in parse.rejections if r.row_number == 7)
    assert "row 2" in conflict.reason and "第2行" in conflict.reason_zh
    assert populations(parse) == {
        "安定区": None,
        "安定区/永定路街道": None,
        "安定区/永定路街道/东关社区": 100,
    }
    assert parse.rows_read == len(rows)
    assert_consistent_tree(parse)


def test_population_may_be_filled_by_a_later_row_and_conflict_names_that_row() -> None:
    rows = [
        ["安定区", "永定路街道", "", ""],
        ["安定区", "永定路街道", "东关社区", ""],
        ["安定区", "永定路街道", "", "500"],  # row 4 gives the township's population
        ["安定区", "永定路街道", "", "501"],  # row 5 contradicts row 4
    ]
    parse = parse_regions(csv_bytes(rows), "r.csv")
    assert populations(parse)["安定区/永定路街道"] == 500
    [conflict] = parse.rejections
    assert (conflict.row_number, conflict.field) == (5, "urban_population")
    assert "row 4" in conflict.reason


def test_same_name_under_different_parents_are_different_nodes() -> None:
    rows = [
        ["安定区", "城关镇", "东街社区", "1"],
        ["临洮县", "城关镇", "东街社区", "2"],
    ]
    parse = parse_regions(csv_bytes(rows), "r.csv")
    assert parse.rejections == []
    assert populations(parse)["安定区/城关镇/东街社区"] == 1
    assert populations(parse)["临洮县/城关镇/东街社区"] == 2
    assert_consistent_tree(parse)


def test_file_errors() -> None:
    with pytest.raises(TabularFileError) as missing:
        parse_regions(csv_bytes([["x"]], header=["乡镇街道", "城镇常住人口"]), "r.csv")
    assert "区县" in missing.value.message_zh
    with pytest.raises(TabularFileError) as no_population:
        parse_regions(csv_bytes([["安定区"]], header=["区县", "乡镇街道"]), "r.csv")
    assert "城镇常住人口" in no_population.value.message_zh
    with pytest.raises(TabularFileError) as twice:
        parse_regions(
            csv_bytes([["a", "b", "1"]], header=["区县", "所属区县", "常住人口"]), "r.csv"
        )
    assert "区县" in twice.value.message
    with pytest.raises(TabularFileError):  # the one refusal of every import
        parse_regions(b"", "empty.csv")


def test_random_trees_are_consistent_and_deterministic() -> None:
    rng = random.Random(20261129)
    rows: list[list[str]] = []
    truth: dict[str, int] = {}
    for c in range(3):
        county = f"县{c}"
        for t in range(rng.randint(0, 4)):
            township = f"镇{t}"
            for v in range(rng.randint(0, 5)):
                community = f"村{v}"
                population = rng.randint(0, 20_000)
                truth[f"{county}/{township}/{community}"] = population
                rows.append([county, township, community, f"{population:,}"])
    rows.append(["县9", "", "", "7"])
    truth["县9"] = 7
    rng.shuffle(rows)
    data = csv_bytes(rows, "gbk")
    first = parse_regions(data, "r.csv")
    again = parse_regions(data, "r.csv")
    assert first.rejections == []
    assert first.nodes == again.nodes
    assert_consistent_tree(first)
    got = populations(first)
    assert {code: got[code] for code in truth} == truth
    leaves = {n.code for n in first.nodes if n.level is RegionLevel.COMMUNITY}
    assert leaves == {code for code in truth if code.count("/") == 2}
