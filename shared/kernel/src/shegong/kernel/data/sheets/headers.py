"""How a header is recognised: its key (NFKC, no spaces or markers, case-folded), the
fields' aliases, and the last resorts of :mod:`.headed` (a qualifier in front, a compound
header by its parts, a role or kind before the field's word)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from shegong.kernel.data.names import to_simplified

Fields = Mapping[str, Sequence[str]]

_HEADER_DROP = re.compile(r"[\s*_\-:]+")
_BRACKET_NOTE = re.compile(r"\([^()]*\)$")
# A header's last resorts: a qualifier in front of the field's own word (所属区县, 现工作单位,
# 本人手机, 服务社区), and the parts of a compound header (手机/电话, 单位及职务, 镇(街道),
# 村(居)委会).
_QUALIFIER = re.compile(
    r"^(?:所属|所在|现在|现任|现|目前|当前|本人|个人|常用|服务|工作|请填写|请输入|您的|你的"
    # what the person obtained or holds: 取得证书等级, 已获得证书编号, 所持证书等级
    r"|已?取得|已?获得|所获|所持|持有)"
)
# A questionnaire's question number in front (问卷星: "1、您的姓名：", "2. 身份证号", "Q3 手机")
# — never a month and day (3.10, 3.10上午: a course's day), a digit after the point
_QUESTION = re.compile(r"^\s*(?:[qQ]\d{1,3}|\d{1,3}(?=[、)\s]|\.(?!\d)))[、.)\s]*")
_PARTS = re.compile(r"[/\\、|,，;；&＆()及和与或]+")
# where Latin letters meet Chinese characters in a header's key (checkout签退)
_SCRIPTS = re.compile(r"(?<=[a-z.])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[a-z])")
# A title beside a unit in one header (工作单位及职务, 单位/职务, 工作单位和职称): the cell
# names the unit, the title written after it — the unit is the field the header gives.
_TITLE_PART = re.compile(r"(?:现任|现|所任)?(?:职务|职位|职称|职级|岗位)(?:名称)?")


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """A header as compared: NFKC, no question number in front, no spaces, ``*``, ``_``,
    ``-``, ``:``; case-folded; in simplified characters (工作單位, 簽到時間 as a sheet typed
    in traditional characters heads them)."""
    text = _QUESTION.sub("", unicodedata.normalize("NFKC", text), count=1)
    return to_simplified(_HEADER_DROP.sub("", text).casefold())


# Whose name a "…姓名" header holds when it is not the row's own person's: a contact, a
# guardian, a relative, whoever filled in the form (联系人姓名, 监护人姓名, 填表人姓名) —
# but the holder, the applicant or the person themself is the row's own (持证人姓名, 本人姓名).
_OTHER_PERSON = re.compile(
    r"(?<!人员)(?<!用)(?<!持证)(?<!申请)(?<!报名)(?<!当事)(?<!本)人$|父|母|配偶|家属|亲属|紧急|子女"
)


@dataclass(frozen=True, slots=True)
class Suffix:
    """A field's last resort: any header ending with ``word`` (网格员姓名, 医疗机构名称)
    whose head before it matches ``head`` (a regular expression; any head if None), does
    not match ``not_head`` and names nobody else (联系人单位, 监护人姓名). Without a word,
    a header (as compared, :func:`header_key`) that ``head`` matches whole: a course's day
    written as a date (3月10日, 2025-03-10)."""

    word: str
    head: str | None = None
    not_head: str | None = None

    def matches(self, key: str) -> bool:
        if not self.word:
            return self.head is not None and re.fullmatch(self.head, key) is not None
        head = key.removesuffix(header_key(self.word))
        return (
            head != key
            and bool(head)
            and not _OTHER_PERSON.search(head)
            and (self.head is None or re.search(self.head, head) is not None)
            and (self.not_head is None or re.search(self.not_head, head) is None)
        )


Suffixes = Mapping[str, "str | Sequence[Suffix]"]


class HeaderLookup:
    def __init__(self, fields: Fields, suffixes: Suffixes | None = None) -> None:
        # longest word first: 机构名称 before 机构
        self.suffixes = sorted(
            (
                (rule, name)
                for name, rules in (suffixes or {}).items()
                if name in fields  # one service's rules serve several column sets
                for rule in ((Suffix(rules),) if isinstance(rules, str) else rules)
            ),
            key=lambda pair: -len(pair[0].word),
        )
        self.label = {name: aliases[0] for name, aliases in fields.items()}
        self.last_rank = {name: len(aliases) + 1 for name, aliases in fields.items()}
        # header key → (field, rank): the rank is the alias's place in its list, so that
        # of two columns meaning one field the better-named one is read first.
        self.keys: dict[str, tuple[str, int]] = {}
        for name, aliases in fields.items():
            for rank, alias in enumerate((*aliases, name)):
                self.keys.setdefault(header_key(alias), (name, rank))

    def field(self, text: str) -> tuple[str | None, str | None]:
        """(field, the trailing bracketed note it was written with)."""
        name, _, note = self.ranked(text)
        return name, note

    def ranked(self, text: str) -> tuple[str | None, int, str | None]:
        """(field, its alias's rank, the trailing bracketed note)."""
        key = header_key(text)
        found = self.keys.get(key)
        if found is None and key.endswith(")"):
            note = _BRACKET_NOTE.search(key)
            found = self.keys.get(_BRACKET_NOTE.sub("", key))
            if found:
                return found[0], found[1], note.group() if note else None
        if found is None and key[-1:].isdigit() and not key.isdigit():
            # 手机号码1, 手机号码2: numbered columns of one field (the first fills blanks)
            found = self.keys.get(key.rstrip("0123456789"))
            if found:
                return found[0], self.last_rank[found[0]], None
        if found is None and (loose := self._loose(key)) is not None:
            return loose, self.last_rank[loose], None
        if found is None:
            # 网格员姓名, 医疗机构名称: a role and the field's suffix (the last resort)
            for rule, name in self.suffixes:
                if rule.matches(key):
                    return name, self.last_rank[name], None
        return (found[0], found[1], None) if found else (None, 0, None)

    def _bare(self, key: str) -> str | None:
        """The field of ``key`` as it is, or without a trailing note or leading qualifier."""
        for candidate in (key, _BRACKET_NOTE.sub("", key)):
            for form in (candidate, *_unqualified(candidate)):
                found = self.keys.get(form)
                if found is not None:
                    return found[0]
        return None

    def _loose(self, key: str) -> str | None:
        """A header's field found without its qualifier, or from its parts when every
        part that names a field names the same one and no part names another person."""
        for bare in _unqualified(key):
            if (found := self.keys.get(bare)) is not None:
                return found[0]
        # and a header in two languages (Check-out 签退, 工作单位 Organisation): each
        # language's words a part
        parts = [bit for part in _PARTS.split(key) for bit in _SCRIPTS.split(part) if bit]
        if len(parts) < 2 or any(_OTHER_PERSON.search(part) for part in parts):
            return None
        named = {known for part in parts if (known := self._bare(part)) is not None}
        if len(named) > 1:  # a title beside the unit does not make it two fields
            kept = [part for part in parts if not _TITLE_PART.fullmatch(part)]
            named = {known for part in kept if (known := self._bare(part)) is not None}
        return named.pop() if len(named) == 1 else None


def _unqualified(key: str) -> list[str]:
    """``key`` without its leading qualifiers, one at a time: 现工作单位 → 工作单位 → 单位."""
    forms = []
    while (bare := _QUALIFIER.sub("", key, count=1)) != key and bare:
        forms.append(key := bare)
    return forms
