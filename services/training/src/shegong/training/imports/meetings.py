"""A meeting's participant list (腾讯会议, 钉钉会议, 飞书, 企业微信): who a nickname is, and
whether a row's time in the meeting says its person was there.

* **The nickname** (用户昵称 / 入会昵称) gives the name and, written beside it, the unit —
  ``张伟-东关社区``, ``王芳（红叶社工）`` — or is a phone number; it is then looked up as a
  paper sheet's name and unit are (namesakes the unit does not tell apart stay unresolved).
* **The time in the meeting** (参会时长, 入会时长, 在线时长): 0 — ``0``, ``0分钟``,
  ``00:00:00`` — is no attendance, whatever the join time says (:func:`no_time_there`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from shegong.kernel.data.sheets import CellError, cell_text
from shegong.training.imports.sheets import SheetRow

# The words a unit's name has, which a person's name has not.
UNIT_HINT = re.compile(
    r"社区|中心|协会|街道|办事处|社工|服务|机构|基地|学校|医院|公司|委员会|居委|村委|"
    r"[站局委所院校部科组村镇乡区县市省队处室会馆]"
)
_SEPARATORS = re.compile(r"[\s\-—–_·•|/\\@＠、,，:：;；()（）\[\]【】<>《》「」]+")
_CJK_DIGITS = re.compile(r"(?<=[\u4e00-\u9fff])(?=\d)|(?<=\d)(?=[\u4e00-\u9fff])")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


# a meeting's roles written beside a nickname: no one's name
_ROLES = {"主持人", "联席主持人", "嘉宾", "管理员", "老师", "讲师", "组织者", "参会者", "访客"}


# a unit's name ending in its kind's word, then two to four characters: 红叶社工中心王芳
_UNIT_THEN_NAME = re.compile(
    r"(.+(?:社区|中心|协会|街道|办事处|居委会|村委会|社工|服务站|服务社|[局站所院校会部科]))"
    r"([\u4e00-\u9fff]{2,4})"
)


def looks_like_name(part: str) -> bool:
    return (
        2 <= len(part) <= 5
        and all("\u4e00" <= ch <= "\u9fff" for ch in part)
        and not UNIT_HINT.search(part)
        and part not in _ROLES
    )


def from_nickname(nickname: str) -> tuple[str | None, str | None, str | None]:
    """(name, unit, phone) a meeting nickname says: ``张伟-东关社区`` → 张伟, 东关社区;
    ``王芳（红叶社工）`` → 王芳, 红叶社工; ``13909311011`` → the phone; anything else is
    taken as the name it is (``iPhone`` names nobody, and the row says so)."""
    text = unicodedata.normalize("NFKC", nickname).strip()
    digits = re.sub(r"[\s\-]", "", text)
    if _MOBILE.fullmatch(digits):
        return None, None, digits
    spaced = _CJK_DIGITS.sub(" ", text)  # 何丽君13619320007: a name and a phone
    parts = [p for p in _SEPARATORS.split(spaced) if p]
    phones = [p for p in parts if _MOBILE.fullmatch(p)]
    words = [p for p in parts if not _MOBILE.fullmatch(p) and p not in _ROLES]
    names = [p for p in words if looks_like_name(p)]
    for part in words if not names else ():
        glued = _UNIT_THEN_NAME.fullmatch(part)
        if glued and looks_like_name(glued.group(2)):  # 东关社区钱玉兰: unit, then name
            names = [glued.group(2)]
            words = [names[0], *(glued.group(1) if w == part else w for w in words)]
            break
    if not names:
        return (text if not phones else None), None, (phones[0] if phones else None)
    # 张伟 东关: the first name-like word is the name, the rest the unit — which must then
    # be the person's, so a wrong reading is refused, never credited to someone else
    unit = " ".join(p for p in words if p != names[0]) or None
    return names[0], unit, (phones[0] if phones else None)


def apply_nickname(row: SheetRow) -> str | None:
    """A row without a name but with a nickname: the name, unit and phone the nickname
    says, written into the row where its own cells are blank. The nickname used, if any."""
    nickname = row.text("nickname")
    if row.text("name") is not None or nickname is None:
        return None
    name, unit, phone = from_nickname(nickname)
    row.values["name"] = name
    if unit and row.text("organization") is None:
        row.values["organization"] = unit
    if phone and row.text("phone") is None:
        row.values["phone"] = phone
    return nickname


# a time in the meeting of none: 0, 0分钟, 0小时0分, 0h 0m, 00:00:00, 0:00
_NO_TIME = re.compile(
    r"(?:0+(?:\.0+)?\s*(?:小时|时|分钟|分|秒|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)?\s*)+"
    r"|0{1,2}:00(?::00)?",
    re.IGNORECASE,
)


def no_time_there(row: SheetRow) -> str | None:
    """The row's time in the meeting (参会时长, 入会时长) as written when it is none
    (``0``, ``0分钟``, ``00:00:00``, a time cell of 0:00); ``None`` for any other time,
    a blank or no such column."""
    cell = row.values.get("duration")
    if isinstance(cell, dt.timedelta | dt.time):
        zero = cell in (dt.timedelta(0), dt.time(0))
        return str(cell) if zero else None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return "0" if cell == 0 else None
    try:
        text = cell_text(cell)
    except CellError:
        return None
    if text is None:
        return None
    written = unicodedata.normalize("NFKC", text).strip()
    return written if _NO_TIME.fullmatch(written) else None
