"""The kernel's spreadsheet reader against hostile files: every declared limit is checked
before the parser can be hurt, and a refusal names the limit in English and Chinese."""

from __future__ import annotations

import time

import pytest

from shegong.kernel.data import hostile_files as hostile
from shegong.kernel.data.tabular import FileLimitError, Limits, TabularFileError, read_table

pytestmark = pytest.mark.process


@pytest.mark.parametrize(
    ("data", "limit"),
    [
        # One cell at A1 and one at XFD1048576: python-calamine alone asks for 512 GiB
        # and aborts the process.
        (hostile.far_cell(), "max_rows"),
        (hostile.cells_at("A1", "XFD1"), "max_columns"),
        (hostile.cells_at("A1", "IP20000"), "max_cells"),
        (hostile.no_positions(300), "max_columns"),
        # A cell longer than Excel allows (32,767 characters): 100 million in 99 KB.
        (hostile.long_cell(), "max_cell_chars"),
    ],
    ids=["far-cell", "far-column", "area", "implied-positions", "long-cell"],
)
def test_a_sheet_over_its_dimensions_is_refused_before_parsing(data: bytes, limit: str) -> None:
    started = time.monotonic()
    with pytest.raises(FileLimitError) as err:
        read_table(data, "hostile.xlsx")
    assert err.value.limit == limit
    assert limit in err.value.message and limit in err.value.message_zh
    assert "hostile.xlsx" in err.value.message
    assert time.monotonic() - started < 10


def test_a_zip_bomb_is_refused_by_its_directory_without_inflating_it() -> None:
    data = hostile.zip_bomb(350)  # ~1.4 MB expanding to 350 MiB of sheet XML
    assert len(data) < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(FileLimitError) as err:
        read_table(data, "bomb.xlsx")
    assert err.value.limit == "max_uncompressed"
    assert "350 MiB" in err.value.message and "解压后" in err.value.message_zh
    assert time.monotonic() - started < 1


def test_a_zip_bomb_that_lies_about_its_size_is_refused_as_damaged() -> None:
    with pytest.raises(TabularFileError) as err:
        read_table(hostile.lying_zip_bomb(350), "lying.xlsx")
    assert "cannot be opened" in err.value.message


def test_a_bomb_within_the_size_limit_is_refused_at_the_row_limit() -> None:
    started = time.monotonic()
    with pytest.raises(FileLimitError) as err:
        read_table(hostile.zip_bomb(150), "rows.xlsx")
    assert err.value.limit == "max_rows"
    assert time.monotonic() - started < 20


def test_entity_expansion_is_refused() -> None:
    with pytest.raises(TabularFileError):
        read_table(hostile.entity_expansion(), "laughs.xlsx")


def test_a_workbook_that_needs_more_memory_than_the_ceiling_kills_only_the_child() -> None:
    # Within the dimension limits, but the ceiling is set below what reading it takes.
    data = hostile.cells_at("A1", "IV3000")
    with pytest.raises(FileLimitError) as err:
        read_table(data, "big.xlsx", Limits(memory_mb=40))
    assert err.value.limit == "memory_mb"
    assert [n for n, _ in read_table(data, "big.xlsx").rows] == [1, 3000]


def test_bytes_rows_and_columns_of_a_csv_are_limited() -> None:
    with pytest.raises(FileLimitError) as err:
        read_table(b"a,b\n" * 100, "big.csv", Limits(max_bytes=200))
    assert err.value.limit == "max_bytes" and err.value.status == 413
    with pytest.raises(FileLimitError) as err:
        read_table(b"a,b\n" * 100, "rows.csv", Limits(max_rows=50))
    assert err.value.limit == "max_rows"
    with pytest.raises(FileLimitError) as err:
        read_table(b"," * 300 + b"x\n", "wide.csv")
    assert err.value.limit == "max_columns"


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEET_MAX_ROWS", "10")
    monkeypatch.setenv("SHEET_TIMEOUT_S", "2.5")
    limits = Limits.from_env()
    assert limits.max_rows == 10 and limits.timeout_s == 2.5
    with pytest.raises(FileLimitError) as err:
        read_table(hostile.cells_at("A1", "A11"), "rows.xlsx")
    assert err.value.limit == "max_rows"


def test_an_ordinary_workbook_still_reads() -> None:
    rows = list(read_table(hostile.cells_at("A1", "C3"), "ok.xlsx").rows)
    assert rows == [(1, ["x", "", ""]), (3, ["", "", "x"])]


def test_long_numbers_are_cut_in_quoted_text() -> None:
    from shegong.kernel.data.redact import redact_numbers

    assert redact_numbers("date '620102198805061231' is not a date") == (
        "date '620***' is not a date"
    )
    assert redact_numbers("签到时间“62010219880506123X”格式不对") == "签到时间“620***”格式不对"
    assert redact_numbers("138-1234-5678 and 138 1234 5678") == "138*** and 138***"
    assert redact_numbers("row 933, year 2024, 6.20102198805061e+17") == (
        "row 933, year 2024, 6.201***e+17"
    )
    assert redact_numbers(None) is None
    # an entry's id is no number, though its hex groups join into 13 digits (the access
    # log's path of a programme had been cut to …-9***a4/occurrences, one id in 60 or so)
    path = "/programmes/0ca8d7cf-37d8-4de0-9138-123456789aa4/occurrences"
    assert redact_numbers(path) == path
    assert redact_numbers(f"{path}?phone=13812345678") == f"{path}?phone=138***"
    for date in ("hired_on: 2021-2-30 does not exist", "签到时间“2025-03-01 08:55”", "20210230"):
        assert redact_numbers(date) == date
