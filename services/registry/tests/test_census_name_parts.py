"""A name written by one of its words (卓玛 for 扎西卓玛, 拉哈 for 吉克拉哈): the census links
it where the rest of the evidence is as sure as for one name, and otherwise asks a clerk as
it asks about two names."""

from __future__ import annotations

from datetime import date

import pytest

from shegong.registry.census.comparison import Features
from shegong.registry.census.linkage import Link, Linker
from shegong.registry.census.scoring import name_part

from .test_linkage import rec, same_person

BORN = date(1976, 12, 26)
HOME = {"birth": BORN, "sex": "female", "phone": "13910879629", "community": "其宗村"}


@pytest.mark.parametrize(
    ("long", "short"),
    [("扎西卓玛", "卓玛"), ("吉克拉哈", "拉哈"), ("瓦扎阿呷", "阿呷"), ("曲珍央宗", "曲珍")],
)
def test_a_word_of_a_name_beside_its_phone_and_birth_date_is_the_person(
    long: str, short: str
) -> None:
    # A Tibetan called by one word of a name without a surname, a Yi written without the
    # 家支's name: with one mobile and one birth date, the person, not a clerk's question.
    linker = Linker()
    linker.add(rec("mz:1", long, **HOME))  # type: ignore[arg-type]
    out = linker.add(rec("zy:1", short, **HOME))  # type: ignore[arg-type]
    assert same_person(linker, "mz:1", "zy:1")
    assert any(isinstance(d, Link) for d in out)
    assert linker.review_queue() == []


def test_other_names_beside_one_household_stay_a_clerks_question() -> None:
    # Twins' names, and a name sharing a character only, still wait for a clerk however
    # sure the household's phone and birth date make the rest.
    for other in ("次仁卓玛", "扎西拉姆", "西卓"):
        linker = Linker()
        linker.add(rec("mz:1", "扎西卓玛", **HOME))  # type: ignore[arg-type]
        linker.add(rec("zy:1", other, **HOME))  # type: ignore[arg-type]
        assert not same_person(linker, "mz:1", "zy:1"), other
        (review,) = linker.review_queue()
        assert review.reason == "names differ", other


def test_a_word_of_a_name_with_little_else_is_not_linked() -> None:
    # 卓玛 in the same community with no phone or birth date: many are called so.
    linker = Linker()
    linker.add(rec("mz:1", "扎西卓玛", **HOME))  # type: ignore[arg-type]
    linker.add(rec("zy:1", "卓玛", community="其宗村"))
    assert not same_person(linker, "mz:1", "zy:1")


def _part(a: str, b: str) -> bool:
    return name_part(Features(rec("a:1", a)), Features(rec("b:1", b)))


def test_what_is_a_word_of_a_name() -> None:
    assert _part("扎西卓玛", "卓玛") and _part("阿呷", "瓦扎阿呷") and _part("达瓦 曲珍", "曲珍")
    assert _part("卓玛多吉此里", "卓玛多吉")
    assert not _part("张晓明", "晓明")  # a given name alone: given_name_alike's
    assert not _part("扎西卓玛", "西卓")  # inside, not a word
    assert not _part("扎西卓玛", "卓")  # one character
    assert not _part("伊力哈木·艾山", "艾山")  # the father's name
