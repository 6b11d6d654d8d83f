"""A 结业 column (是否结业, 结业情况, 考核结果) on a continuing-education record: whether the
row's person completed the session. 否, 未结业 or 不合格 is attendance only — the 学时 or
学分 beside it are what the person sat through, not what a course that was not passed
credits; 是 or 结业 with no 学时 given credits the session's hours. Anything else is a
clerk's to read: the row is refused naming the field, never credited on a guess."""

from __future__ import annotations

import unicodedata

from shegong.kernel.data.sheets import CellError, cell_text
from shegong.training.imports.sheets import RowProblem, SheetRow, word_of

DONE = {"是", "结业", "已结业", "准予结业", "予以结业", "合格", "考核合格", "通过", "已通过"}
DONE |= {"完成", "已完成", "√", "✓", "✔", "优秀", "良好", "yes", "y", "completed", "passed"}
NOT_DONE = {"否", "未结业", "不结业", "不予结业", "暂缓结业", "延期结业", "不合格", "考核不合格"}
NOT_DONE |= {"未通过", "不通过", "未完成", "×", "✗", "无", "缺考", "未参加考核", "no", "n"}
NOT_DONE |= {"failed", "not completed"}


def completed(row: SheetRow) -> bool | None:
    """What the row's 结业 column says (``None``: no such column, or blank)."""
    cell = row.values.get("completion")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return None  # a score (考核结果 85): the pass mark is not the sheet's to guess
    try:
        text = cell_text(cell)
    except CellError:
        text = str(cell)
    if text is None:
        return None
    said = unicodedata.normalize("NFKC", text).strip().casefold()
    said = word_of(said)  # 未结业（缺课超1/3）, 结业(优秀): the word
    if said in DONE:
        return True
    if said in NOT_DONE:
        return False
    raise RowProblem(
        "completion",
        f"completion: “{text[:40]}” says neither completed nor not (write 是 / 否): "
        "nothing credited",
        f"结业情况：“{text[:40]}”无法判断是否结业（请填写“是”或“否”），未记学时",
    )
