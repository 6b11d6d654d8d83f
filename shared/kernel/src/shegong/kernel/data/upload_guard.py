"""What an upload may not bring in with it, beyond the sheet limits of ``tabular.py``.

- **Its name** (:func:`upload_name`). The client chooses it: ``../../x``, an escape
  sequence, a bidi override, a person's ID number and phone (a clerk names a file after
  the person in it) were all kept as sent — on the import job, in its report, in every
  refusal that names the file, shown by the console. Now the name is its last path part,
  without control or bidi characters, with long numbers cut as reports cut them
  (``redact_numbers``), at most ``NAME_MAX`` characters.
- **Its sheets' names** (:func:`sheet_name`, round 6). A crafted ``workbook.xml`` names a
  sheet with character references Excel never writes (``&#x1b;``, ``&#x202E;``), a person's
  ID number, or thousands of characters; the name was kept as written in the report's
  ``sheets`` and beside every row of that sheet. Now it is cleaned as an upload's name
  is, at most ``SHEET_NAME_MAX`` characters.
- **A CSV row wider than any sheet** (:func:`bounded_lines`). Python's CSV reader builds a
  whole row in one call, holding the GIL: one 30 MiB line of commas became a list of 31
  million cells — 0.75 s of CPU in one call, every service of the process stalled, peak
  memory +449 MiB — and then skipped it as a blank row (all its cells empty). Lines are
  handed to the reader one by one, and a line with more than
  ``LINE_SEPARATORS_PER_COLUMN`` × ``max_columns`` separators is refused before it is
  parsed (a quoted cell may hold separators, so the bound is generous; the exact column
  count is still checked on every row). A text of more than ``LINES_PER_ROW`` ×
  ``max_rows`` line breaks is refused before any line is read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote

from shegong.kernel.data.controls import CONTROL
from shegong.kernel.data.redact import redact_numbers

if TYPE_CHECKING:
    from shegong.kernel.data.tabular import Limits

NAME_MAX = 120
SHEET_NAME_MAX = 64  # Excel's own limit is 31
LINE_SEPARATORS_PER_COLUMN = 16
LINES_PER_ROW = 50  # a CSV padded with empty lines still reads (3 million: tests/faults)
_BREAKS = re.compile(r"[\t\r\n]+")


def upload_name(raw: str | None, default: str) -> str:
    """The name an uploaded file goes by in jobs, reports and messages. A name sent
    percent-encoded (httpx writes 考试成绩.csv as %E8%80%83…) is read back as written."""
    name = PurePosixPath(_percent_decoded(raw or "").replace("\\", "/")).name
    name = _BREAKS.sub(" ", CONTROL.sub("", name)).strip()
    name = redact_numbers(name) or ""
    if len(name) > NAME_MAX:
        _stem, dot, suffix = name.rpartition(".")
        keep = f".{suffix}" if dot and len(suffix) <= 8 else ""
        name = name[: NAME_MAX - len(keep) - 1] + "…" + keep
    return name if name.strip(". ") else default


def _percent_decoded(raw: str) -> str:
    """``raw`` with its %XX escapes decoded when they spell UTF-8 text beyond ASCII (what
    a client's encoding of a Chinese name looks like); otherwise as sent (100%25.csv)."""
    if "%" not in raw:
        return raw
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return raw
    return decoded if not decoded.isascii() else raw


def sheet_name(raw: str, index: int) -> str:
    """The name a workbook's sheet goes by in reports: as :func:`upload_name` cleans a
    file's, at most ``SHEET_NAME_MAX`` characters; ``Sheet<n>`` when nothing is left."""
    name = _BREAKS.sub(" ", CONTROL.sub("", raw)).strip()
    name = redact_numbers(name) or ""
    if len(name) > SHEET_NAME_MAX:
        name = name[: SHEET_NAME_MAX - 1] + "…"
    return name or f"Sheet{index + 1}"


def bounded_lines(text: str, delimiter: str, filename: str, limits: Limits) -> Iterator[str]:
    """``text``'s physical lines for ``csv.reader``, refused (``max_columns``) at a line
    with more separators than any row of ``max_columns`` columns could need — and
    (``max_rows``) at once when the text has more than ``LINES_PER_ROW`` × ``max_rows``
    line breaks: 30 million empty lines took seconds of a service's CPU to skip."""
    from shegong.kernel.data.tabular import FileLimitError  # it imports this module

    if text.count("\n") + text.count("\r") > LINES_PER_ROW * limits.max_rows:
        raise FileLimitError(
            "max_rows",
            f"{filename} has more than {limits.max_rows} rows",
            f"文件“{filename}”超过 {limits.max_rows} 行",
        )
    most = LINE_SEPARATORS_PER_COLUMN * max(limits.max_columns, 1)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > most and line.count(delimiter) > most:
            raise FileLimitError(
                "max_columns",
                f"{filename}: line {number} has more than {most} separators, more than "
                f"{limits.max_columns} columns need",
                f"文件“{filename}”第{number}行的分隔符超过 {most} 个，"
                f"远超 {limits.max_columns} 列所需",
            )
        yield line
