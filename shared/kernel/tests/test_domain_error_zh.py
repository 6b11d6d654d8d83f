"""A rule refused without Chinese words of its own still answers a Chinese line."""

from __future__ import annotations

from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.web.app import _zh_of


def test_a_rule_without_chinese_words_says_its_kind_field_and_english() -> None:
    err = DomainError("no request nope", field="request_id", code="not_found")
    assert _zh_of(err) == "未找到（字段 request_id）：no request nope"


def test_a_bilingual_message_is_its_own_chinese_line_whole() -> None:
    err = DomainError("session s1 is full (名额已满：30 人)", field="session_id", code="conflict")
    assert _zh_of(err) == "session s1 is full (名额已满：30 人)"


def test_an_unknown_kind_reads_as_a_business_rule() -> None:
    assert _zh_of(DomainError("odd")) == "不符合业务规则：odd"
