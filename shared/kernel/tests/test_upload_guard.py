"""What an upload brings besides its cells (redteam round 3): its name, and CSV lines no
sheet could need (``shegong.kernel.data.upload_guard``)."""

from __future__ import annotations

import resource
import time

import pytest
from starlette.datastructures import Headers, UploadFile

from shegong.kernel.data.tabular import FileLimitError, Limits, open_upload, read_table
from shegong.kernel.data.upload_guard import upload_name

HOSTILE_NAME = "../../x\x1b[31m\n\u202e李四110101199003071237_13800138000.csv"


def test_an_upload_name_loses_paths_controls_and_numbers() -> None:
    name = upload_name(HOSTILE_NAME, "roster")
    assert name == "x[31m 李四110***_138***.csv"
    assert upload_name("C:\\Users\\clerk\\花名册.xlsx", "roster") == "花名册.xlsx"
    for empty in (None, "", "..", "../", "\x00\x1b"):
        assert upload_name(empty, "roster") == "roster"
    long = upload_name("名" * 300 + ".xlsx", "roster")
    assert len(long) == 120 and long.endswith("….xlsx")


def test_a_percent_encoded_name_reads_as_written() -> None:
    # httpx (the CLI's client) sends a Chinese file name percent-encoded.
    sent = "G2_%E8%80%83%E8%AF%95%E6%88%90%E7%BB%A9.csv"
    assert upload_name(sent, "exams") == "G2_考试成绩.csv"
    assert upload_name("100%25.csv", "exams") == "100%25.csv"  # ASCII: as sent
    assert upload_name("%FF%FE.csv", "exams") == "%FF%FE.csv"  # not UTF-8: as sent
    assert upload_name("..%2F..%2Fetc%2F%E5%90%8D.csv", "exams") == "名.csv"  # a path: its name


async def test_open_upload_names_the_file_as_guarded() -> None:
    import io

    raw = "姓名,身份证号\n王五,1\n".encode()
    file = UploadFile(io.BytesIO(raw), filename=HOSTILE_NAME, headers=Headers({}))
    _, filename = await open_upload(file, "roster")
    assert filename == upload_name(HOSTILE_NAME, "roster")
    bad = UploadFile(io.BytesIO(b"\x00" * 10), filename=HOSTILE_NAME, headers=Headers({}))
    with pytest.raises(ValueError) as err:
        await open_upload(bad, "roster")
    for raw_part in ("110101199003071237", "13800138000", "\x1b", "\u202e", "../"):
        assert raw_part not in str(err.value)


def test_a_csv_line_wider_than_any_sheet_is_refused_before_it_is_parsed() -> None:
    data = "姓名,身份证号\n".encode() + b"," * (30 * 1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    with pytest.raises(FileLimitError) as err:
        read_table(data, "commas.csv")
    took = time.process_time() - started
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert err.value.limit == "max_columns" and "max_columns" in err.value.message_zh
    assert "line 2" in err.value.message
    # Before: read as one row of 31 million cells (0.75 s of CPU in one call holding the
    # GIL, peak +449 MiB), then skipped as a blank row. After: 0.2 s, +180 MiB (the text
    # decoded and its line reader's copy, as for any 30 MiB CSV).
    assert took < 2.0, took  # CPU time; the refusal itself is what failed before
    assert grown_mib < 300, grown_mib


def test_a_sea_of_empty_lines_is_refused_at_once() -> None:
    data = "姓名,身份证号\n".encode() + b"\n" * (2_000_000)
    started = time.process_time()
    with pytest.raises(FileLimitError) as err:
        read_table(data, "empty.csv", Limits(max_rows=10_000))
    assert err.value.limit == "max_rows"
    assert time.process_time() - started < 0.3


def test_a_header_line_crafted_for_the_delimiter_sniffer_is_read_at_once() -> None:
    """Round 9: ``csv.Sniffer``'s regular expressions are quadratic in the line and hold
    the GIL; a 64 KiB line of ``,'`` kept them 54 s — on ``shegong up`` every service's
    ``/health`` waited 45 s for one department's roster. The delimiter is told from the
    line's first 1,024 characters now (the refusal for the line's width comes at once)."""
    for unit in (",'", ',"', ', "', '"a,'):
        line = (unit * 12_000).encode()  # 24-36 KiB: 7-20 s each before
        started = time.process_time()
        with pytest.raises(FileLimitError) as err:
            read_table(line + b"\n", "sniff.csv")
        assert err.value.limit == "max_columns"
        assert time.process_time() - started < 1.0, unit
    # Delimiters are still told: tab and semicolon rosters read as their columns.
    for sep in ("\t", ";"):
        text = sep.join(["姓名", "身份证号", "手机号码"]) + "\n" + sep.join(["王五", "1", "2"])
        table = read_table(text.encode(), "sep.csv")
        assert table.delimiter == sep and list(table.rows)[1][1] == ["王五", "1", "2"]


def test_real_csv_rows_still_read() -> None:
    # Quoted cells may hold separators and line breaks: neither bound is near a real row.
    cell = '"' + "，".join(["a,b"] * 200) + '"'
    line = ",".join([cell] + ["x"] * 255) + "\r\n"
    rows = list(read_table(("h\r\n" + line * 3).encode(), "ok.csv").rows)
    assert len(rows) == 4 and len(rows[1][1]) == 256
    multi = 'a,"line one\nline two\nline three"\n' * 1000
    assert len(list(read_table(multi.encode(), "multi.csv").rows)) == 1000


def test_a_sheet_name_loses_controls_and_numbers() -> None:
    """Round 6: a crafted workbook's sheet name (``workbook.xml`` takes XML character
    references) came back as written in the import report's ``sheets`` and beside every
    row of that sheet — a bidi override, a terminal escape for whoever prints the job,
    a whole ID number — where an upload's name is cleaned."""
    from shegong.kernel.data import hostile_files
    from shegong.kernel.data.tabular import read_tables

    cells = (
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t>'
        b'</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    hostile = "&#x202E;花名册621126197501180351&#x1b;[31m&#x0A;" + "表" * 200
    data = hostile_files.xlsx(hostile_files._HEAD + cells, sheet_name=hostile)
    (table,) = read_tables(data, "x.xlsx")
    (name,) = table.sheets
    assert name.startswith("花名册621***[31m 表") and len(name) <= 64, name
    assert not any(c in name for c in ("\u202e", "\x1b", "\n", "621126197501180351"))
    # an ordinary workbook's names are kept as they are
    plain = hostile_files.xlsx(hostile_files._HEAD + cells, sheet_name="2024年 签到表")
    assert read_tables(plain, "x.xlsx")[0].sheets == ("2024年 签到表",)


def test_headers_are_quoted_as_cells_are() -> None:
    """Round 6: the columns a sheet's importer ignores, and the headers listed when the
    one it needs is missing, were quoted whole — a roster without its header row (or a
    row of data above the header) gave a person's ID number and phone back in
    ``ignored_columns`` (kept on the job, shown by the console) or in the error."""
    from shegong.kernel.data.sheets.headed import read_headed

    roster = "姓名,621126197501180351,13909310002,备注\n张三,1,2,3\n".encode()
    fields = {"name": ("姓名",)}
    sheet = read_headed(roster, "x.csv", fields, marker="name")
    text = str(sheet.ignored)
    assert "621126197501180351" not in text and "13909310002" not in text, text
    assert "621***" in text and "备注" in text
    with pytest.raises(ValueError) as err:
        read_headed(
            "王五,621126197501180351,13909310002\n".encode(), "x.csv", fields, marker="name"
        )
    assert "621126197501180351" not in str(err.value) and "13909310002" not in str(err.value)
