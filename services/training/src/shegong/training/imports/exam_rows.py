"""National exam result lists (考试成绩, 合格人员名单, 证书发放名单) as rows: the year, the
level and the result as the list says them — in a column, or, when a list is of one year or
one level or of those who passed, in its title or its sheet's name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from itertools import chain

from shegong.kernel.data.sheets import Cell, CellError, TabularFileError, cell_text, parse_date
from shegong.kernel.data.sheets.vocabulary import certificate_level
from shegong.training.imports.exam_tickets import rows_by_ticket
from shegong.training.imports.sheets import EXAM_COLUMNS, RowProblem, SheetRow, read_sheet

YES = {"是", "通过", "合格", "已通过", "及格", "yes", "y", "true", "1", "pass", "passed", "√"}
NO = {"否", "未通过", "不通过", "不合格", "不及格", "no", "n", "false", "0", "fail", "failed", "×"}
# did not sit the exam (缺考, 弃考) or was disqualified (违纪): a result, and no pass
NO |= {"缺考", "缺席", "弃考", "未参考", "未参加", "违纪", "absent"}
# caught cheating, the score voided (作弊, 成绩无效): no pass
NO |= {"作弊", "舞弊", "违规", "成绩无效", "取消成绩", "取消考试成绩", "cheating"}
_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


def read_exam_sheet(data: bytes, filename: str, year: int | None = None) -> Iterator[SheetRow]:
    """An exam list's rows. 考试年度 may be said by the title alone (2024年度…合格人员名单)
    — or, where the sheet says nothing of it, by the file's name (2024年度助理社会工作师合格
    名单.xlsx), else by ``year`` (the uploader's word: ``--year``) —, 是否通过 by a
    certificate's number or date (a certificate issuance list); a file with neither is
    refused as a whole, naming the column. Results keyed by 准考证号 alone are read with
    the workbook's 报名表 (:mod:`~.exam_tickets`)."""
    try:
        return _exam_rows(
            read_sheet(data, filename, EXAM_COLUMNS, ["name", "id_number"]), filename, year
        )
    except TabularFileError:
        # results by 准考证号, their candidates on the workbook's 报名表 sheet
        joined = rows_by_ticket(data, filename)
        if joined is None:
            raise
        return _exam_rows(iter(joined), filename, year)


def _exam_rows(read: Iterator[SheetRow], filename: str, year: int | None) -> Iterator[SheetRow]:
    stem = filename.rpartition(".")[0] or filename
    rows = (_given_year(_named_by_file(row, stem), year) for row in read)
    first = next(rows, None)
    if first is None:
        return iter(())
    missing = []
    if "level" not in first.values and not title_level((*first.title, *_subject(first))):
        missing.append(("level", "级别"))
    if "exam_year" not in first.values and not title_year(first.title):
        missing.append(("exam_year", "考试年度"))
    passed_columns = {"passed", "certificate_no", "certified_on", "score"} & first.values.keys()
    if not passed_columns and not title_says_passed(first.title):
        missing.append(("passed", "是否通过"))
    if missing:
        no_year = any(field == "exam_year" for field, _ in missing)
        raise TabularFileError(
            f"{filename}: missing column(s) {', '.join(f'{m} ({zh})' for m, zh in missing)}"
            + (" — or give the exam's year (--year; the form field exam_year)" if no_year else ""),
            f"文件“{filename}”缺少必填列{'、'.join(f'“{zh}”' for _, zh in missing)}"
            + ("，或在上传时注明考试年度（--year，表单字段 exam_year）" if no_year else ""),
        )
    return chain([first], rows)


def _named_by_file(row: SheetRow, stem: str) -> SheetRow:
    """``row``, the file's name among its title lines when it says the year, the level or
    that the list is of passes where the sheet's title and name do not."""
    said = (
        (title_year(row.title) is None and title_year([stem]) is not None)
        or (title_level(row.title) is None and title_level([stem]) is not None)
        or (not title_says_passed(row.title) and title_says_passed([stem]))
    )
    if said:
        row.title = (*row.title, stem)
    return row


def _given_year(row: SheetRow, year: int | None) -> SheetRow:
    """``row`` with the uploader's year among its title lines where none says one."""
    if year is not None and title_year(row.title) is None:
        row.title = (*row.title, f"{year}年")
    return row


def title_year(title: Sequence[str]) -> int | None:
    """The year a sheet's title names (2024年度全国社会工作者职业水平考试…)."""
    for line in title:
        if match := _TITLE_YEAR.search(line):
            return int(match.group(1))
    return None


_LEVEL_NAMED = re.compile(
    "高级社会工作师|高级社工师|助理社会工作师|助理社工师|初级|中级|高级|社会工作师|社工师"
)


def title_level(title: Sequence[str]) -> str | None:
    """The one level a sheet's title or name names (2024年度助理社会工作师…名单, a sheet
    named 中级); ``None`` when it names none, or more than one."""
    named = {certificate_level(m.group()) for line in title for m in _LEVEL_NAMED.finditer(line)}
    return named.pop() if len(named) == 1 else None


def exam_level(row: SheetRow) -> str:
    """The row's 级别, else the one its sheet's title or name says, else its subject's
    (科目 社会工作实务（中级）, a list of one row per subject) — also where the row's
    column names the qualification and not its level (资格名称: 社会工作者职业资格)."""
    text = row.text("level")
    if text is None or certificate_level(text) is None:
        for said in (row.title, _subject(row)):
            if (level := title_level(said)) is not None:
                return level
    return parse_level(text)


def _subject(row: SheetRow) -> tuple[str, ...]:
    """The row's 科目, as a line that may name the level (社会工作综合能力（初级）)."""
    subject = row.text("subject")
    return (subject,) if subject else ()


def exam_year(row: SheetRow) -> int:
    """The row's 考试年度, else the year its sheet's title names."""
    text = row.text("exam_year")
    if text is None and (year := title_year(row.title)) is not None:
        return year
    return parse_year(text)


# a list of those who passed (合格人员名单, 通过人员名单, 取证人员名册), not of results
_PASSED_LIST = re.compile(r"(?<!不)(?:合格|通过|取证|获证)(?:人员)?(?:名单|名册|公示|情况表)")


def title_says_passed(title: Sequence[str]) -> bool:
    return any(_PASSED_LIST.search(line) for line in title)


def exam_passed(row: SheetRow, subjects: int = 1) -> bool:
    """是否通过 as written; left blank (or no such column) on a list of certificates, a
    certificate's number or date says the exam was passed, and on a list of those who
    passed (2024年度…合格人员名单) the title does."""
    text = row.text("passed")
    if text is None and (row.text("certificate_no") or row.text("certified_on")):
        return True
    if text is None and "passed" not in row.values and title_says_passed(row.title):
        return True
    if text is None and _absent_from_exam(row):
        return False
    if text is None and (scored := _passed_by_scores(row, subjects)) is not None:
        return scored
    if text is None:
        raise RowProblem(
            "passed",
            "passed: no 是否通过, no certificate number or date, and no score of 0–100 in every "
            "subject: the result is unknown",
            "是否通过：未填写，也没有证书编号、取证日期或每科0–100的成绩，无法确定考试结果",
        )
    return parse_passed(text)


# The national exam's line: 60 of 100 in every subject (人社部 合格标准). A score the
# list marks as a resit's (补考 72) or in points (72分) is that score.
PASS_SCORE = 60
_SCORE = re.compile(r"(?:补考|重考)?\s*(\d{1,3}(?:\.\d+)?)\s*分?")


def _passed_by_scores(row: SheetRow, subjects: int) -> bool | None:
    """The result the row's scores say where 是否通过 is blank or absent: 合格 / 不合格 in
    成绩; a subject under :data:`PASS_SCORE` is no pass; a pass needs the score of every
    one of the level's ``subjects`` (or the row is one subject's, on a list of one row per
    subject). ``None`` when the scores do not tell (a blank or unreadable one, a total
    over 100, fewer subjects than the exam has)."""
    if "score" not in row.values:
        return None
    words, scores = [], []
    for cell in row.every("score"):
        try:
            text = (cell_text(cell) or "").strip().lower()
        except CellError:
            return None
        if (match := _SCORE.fullmatch(text)) and float(match.group(1)) <= 100:
            scores.append(float(match.group(1)) >= PASS_SCORE)
        elif text and (text in YES or text in NO):
            words.append(text in YES)
        elif text:  # unreadable: this subject's result is unknown
            return None
    if words:
        return all(words) and all(scores)
    if not all(scores):
        return False
    whole = "subject" in row.values or len(scores) >= subjects
    return True if scores and whole else None


def _absent_from_exam(row: SheetRow) -> bool:
    """Whether a score the row gives says the candidate did not sit (缺考, 弃考) or was
    disqualified (违纪, 作弊)."""
    for cell in row.every("score"):
        try:
            text = cell_text(cell)
        except CellError:
            continue
        if text is not None and text.strip().lower() in NO - {"0", "no", "n", "false"}:
            return True
    return False


def parse_level(text: str | None) -> str:
    level = certificate_level(text)
    if level is None:
        raise RowProblem(
            "level",
            f"level {text!r} is not assistant / intermediate / senior",
            f"级别“{text or ''}”应为 助理社会工作师 / 社会工作师 / 高级社会工作师",
        )
    return level


def parse_passed(text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise RowProblem(
        "passed", f"passed {text!r} is not yes/no", f"是否通过“{text or ''}”应为 是 / 否"
    )


def parse_year(text: str | None) -> int:
    match = re.fullmatch(r"(\d{4})(年|年度)?", (text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise RowProblem(
            "exam_year", f"exam year {text!r} is not a year", f"考试年度“{text or ''}”不是年份"
        )
    return int(match.group(1))


def parse_day(cell: Cell) -> dt.date | None:
    """取证日期: the kernel's one reading of dates; ``None`` for blank."""
    try:
        return parse_date(cell)
    except CellError as err:
        raise RowProblem.of("certified_on", cell, err) from None
