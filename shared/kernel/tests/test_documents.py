"""Other identity documents' numbers in one normal form (shegong.kernel.data.documents)."""

from __future__ import annotations

import pytest

from shegong.kernel.data.documents import document_by_shape, document_kind, document_number
from shegong.kernel.data.identity import PersonalDataHasher, parse_resident_id


@pytest.mark.parametrize(
    ("id_type", "kind"),
    [
        ("港澳居民来往内地通行证", "hkmo_permit"),
        ("回乡证", "hkmo_permit"),
        ("台湾居民来往大陆通行证", "taiwan_permit"),
        ("台胞证", "taiwan_permit"),
        ("外国人永久居留身份证", "foreign_permanent"),
        ("护照", "passport"),
        ("Passport", "passport"),
        ("居民身份证", None),
        ("港澳台居民居住证", None),  # numbered as an ID card, read as one
        ("军官证", None),
        (None, None),
    ],
)
def test_the_kind_a_certificate_type_names(id_type: str | None, kind: str | None) -> None:
    assert document_kind(id_type) == kind


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("H12345678", "hkmo_permit"),
        ("m1234567801", "hkmo_permit"),  # with its renewal count
        ("E12345678", "passport"),
        ("G 1234 5678", "passport"),
        ("EA7654321", "passport"),
        ("12345678", None),  # a 台胞证's, or anything: not without 证件类型
        ("1234567801", None),
        ("H1234567", None),
        ("P9557700", None),  # a foreign passport has no shape
        ("41032219900101001X", None),
        ("4103**********8469", None),
    ],
)
def test_the_kind_a_number_is_by_its_shape_alone(number: str, kind: str | None) -> None:
    assert document_by_shape(number) == kind


@pytest.mark.parametrize(
    ("kind", "written", "normal"),
    [
        ("hkmo_permit", "H12345678", "H12345678"),
        ("hkmo_permit", "H1234567801", "H12345678"),  # the card's renewal count
        ("hkmo_permit", "ｈ１２３４ ５６７８", "H12345678"),
        ("taiwan_permit", "12345678", "12345678"),
        ("taiwan_permit", "1234567802", "12345678"),
        ("taiwan_permit", "12345678(B)", "12345678"),
        ("taiwan_permit", "12345678（B）", "12345678"),
        ("passport", "e 1234-5678", "E12345678"),
        ("passport", "E1234****", None),  # a mask is no number
        ("foreign_permanent", "USA123456789012", "USA123456789012"),
    ],
)
def test_a_documents_number_in_its_normal_form(kind: str, written: str, normal: str) -> None:
    assert document_number(kind, written) == normal


def test_the_digest_is_of_the_kind_and_the_number() -> None:
    hasher = PersonalDataHasher("documents-test-key-0123456789")
    digest = hasher.document("hkmo_permit", "H12345678")
    assert digest == hasher.document("hkmo_permit", "H12345678")
    assert digest != hasher.document("passport", "H12345678")
    assert "12345678" not in digest


def test_a_hong_kong_residence_permit_is_an_id_number() -> None:
    body = "81000019900101123"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    number = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    assert parse_resident_id(number).number == number
