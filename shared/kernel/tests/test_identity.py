from __future__ import annotations

import datetime
import hashlib
import hmac

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from shegong.kernel.data.identity import (
    _CN_MOBILE,
    PersonalDataError,
    PersonalDataHasher,
    ResidentId,
    mask_id_number,
    mask_phone,
    mask_volunteer_number,
    normalize_phone,
    parse_resident_id,
)
from shegong.kernel.data.names import normalize_name

KEY = b"0123456789abcdef-test-key"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]  # GB 11643 table


def check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 written out from the standard, independent of stdnum."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_id(region: str, birth: datetime.date, order: str) -> str:
    body = f"{region}{birth:%Y%m%d}{order}"
    return body + check_char(body)


def test_check_char_helper_matches_gb_examples() -> None:
    # The two worked examples printed in GB 11643-1999.
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


# --- parse_resident_id: valid ----------------------------------------------------------


def test_parses_known_number() -> None:
    rid = parse_resident_id("11010519491231002X")
    assert rid == ResidentId(
        number="11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        sex="female",
        region_code="110105",
        converted_from_15=False,
    )


def test_male_from_odd_17th_digit() -> None:
    number = make_id("620102", datetime.date(1985, 6, 15), "123")
    rid = parse_resident_id(number)
    assert rid.sex == "male"
    assert rid.number == number


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105\u300019491231\u3000002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "\t110105\n19491231002X\u200b",
    ],
)
def test_accepts_noisy_input(raw: str) -> None:
    assert parse_resident_id(raw).number == "11010519491231002X"


@pytest.mark.parametrize("check", ["×", "乂", "╳", "Χ", "χ", "Х", "х"])
def test_accepts_the_check_x_as_clerks_type_it(check: str) -> None:
    """× (the multiplication sign an input method gives for "x"), 乂, and the other X
    look-alikes at the check position are the X (old systems' exports, typed rosters)."""
    assert parse_resident_id(f"11010519491231002{check}").number == "11010519491231002X"


def test_an_x_look_alike_is_no_digit_elsewhere() -> None:
    assert "character 5 is" in _reason("1101×519491231002X").reason


def test_converts_15_digit_number() -> None:
    rid = parse_resident_id("110105491231002")
    assert rid.number == "11010519491231002X"
    assert rid.converted_from_15 is True
    assert rid.birth_date == datetime.date(1949, 12, 31)
    assert rid.sex == "female"


def test_repr_does_not_leak_number() -> None:
    rid = parse_resident_id("11010519491231002X")
    assert "19491231" not in repr(rid)
    assert "1****************X" in repr(rid)


# --- parse_resident_id: every malformed category ------------------------------------------


def _reason(raw: str, field: str = "id_number") -> PersonalDataError:
    with pytest.raises(PersonalDataError) as info:
        parse_resident_id(raw, field=field)
    assert info.value.field == field
    assert str(info.value) == f"{field}: {info.value.reason}"
    assert info.value.reason_zh
    return info.value


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("   \u3000", "empty"),
        ("11010519491231002", "has 17 characters"),
        ("11010519491231002X1", "has 19 characters"),
        ("1101051949123100", "has 16 characters"),
        ("1101051949A231002X", "character 11 is 'A'"),
        ("11010549123100X", "character 15 is 'X'"),
        ("11010519491231002Y", "check character is 'Y'"),
        ("110105-19491231002", "character 7 is '-'"),
    ],
)
def test_rejects_malformed(raw: str, fragment: str) -> None:
    assert fragment in _reason(raw).reason


def test_rejects_impossible_date() -> None:
    body = "11010519900230002"
    err = _reason(body + check_char(body))
    assert "19900230 are not a real date" in err.reason


def test_rejects_month_13() -> None:
    body = "11010519901332002"
    assert "not a real date" in _reason(body + check_char(body)).reason


def test_rejects_before_1900() -> None:
    # GB 11643's own second example is born 1880; the platform's rule refuses it.
    assert "before 1900" in _reason("440524188001010014").reason


def test_rejects_future_birth_date() -> None:
    future = datetime.date.today() + datetime.timedelta(days=400)
    assert "in the future" in _reason(make_id("110105", future, "001")).reason


def test_rejects_wrong_check_char_with_expected_value() -> None:
    err = _reason("110105194912310023")
    assert err.reason == "check character is 3, expected X"
    assert err.reason_zh == "校验码错误：应为 X"


def test_custom_field_name() -> None:
    assert _reason("123", field="guardian_id").field == "guardian_id"


def test_error_is_value_error_without_raw_number() -> None:
    with pytest.raises(ValueError) as info:
        parse_resident_id("110105194912310023")
    assert "110105194912310023" not in str(info.value)


# --- hypothesis properties ---------------------------------------------------------------

regions = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())
orders = st.from_regex(r"[0-9]{3}", fullmatch=True)
valid_ids = st.builds(make_id, regions, births, orders)

_FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789X"}
noise = st.sampled_from([" ", "\u3000", "\t", "\n", "\u200b", ""])


@st.composite
def noisy(draw: st.DrawFn, number: str) -> str:
    out = []
    for ch in number:
        form = draw(st.sampled_from(["plain", "full", "lower"]))
        if form == "full":
            ch = _FULL[ch]
        elif form == "lower":
            ch = ch.lower()
        out.append(draw(noise) + ch)
    return "".join(out) + draw(noise)


@given(st.data(), valid_ids)
def test_valid_number_round_trips_through_noise(data: st.DataObject, number: str) -> None:
    raw = data.draw(noisy(number))
    rid = parse_resident_id(raw)
    assert rid.number == number
    assert rid.region_code == number[:6]
    assert rid.birth_date.strftime("%Y%m%d") == number[6:14]
    assert rid.sex == ("male" if int(number[16]) % 2 else "female")
    assert rid.converted_from_15 is False


@given(valid_ids, st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_single_digit_typo_is_rejected(number: str, pos: int, delta: int) -> None:
    typo = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    with pytest.raises(PersonalDataError):
        parse_resident_id(typo)


@given(regions, st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)), orders)
def test_15_digit_conversion_matches_independent_formula(
    region: str, birth: datetime.date, order: str
) -> None:
    old = f"{region}{birth:%y%m%d}{order}"
    assert parse_resident_id(old).number == make_id(region, birth, order)


@given(valid_ids)
def test_mask_hides_middle_digits(number: str) -> None:
    masked = mask_id_number(number)
    assert masked == number[0] + "*" * 16 + number[17]
    # Beside a published birth date (and a region that follows from the county), what is
    # shown leaves at least the three order digits unknown: the number cannot be rebuilt.
    assert number[6:14] not in masked and number[14:17] not in masked


@given(valid_ids, st.binary(min_size=16, max_size=64), st.binary(min_size=16, max_size=64))
def test_hash_depends_on_key(number: str, key1: bytes, key2: bytes) -> None:
    h1 = PersonalDataHasher(key1).id_number(number)
    assert h1 == PersonalDataHasher(key1).id_number(number)
    assert len(h1) == 32
    int(h1, 16)
    if key1 != key2:
        assert h1 != PersonalDataHasher(key2).id_number(number)


@given(valid_ids, st.data())
def test_hash_is_of_canonical_form(number: str, data: st.DataObject) -> None:
    hasher = PersonalDataHasher(KEY)
    assert hasher.id_number(data.draw(noisy(number))) == hasher.id_number(number)


def _hmac32(message: str) -> str:
    return hmac.new(KEY, message.encode(), hashlib.sha256).hexdigest()[:32]


@given(valid_ids, st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_hashes_are_domain_separated(number: str, phone: str) -> None:
    hasher = PersonalDataHasher(KEY)
    # Known answers computed here, so the prefixes are pinned, not just "some difference".
    assert hasher.id_number(number) == _hmac32("id:" + number)
    assume(phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN")))
    assert hasher.phone(phone) == _hmac32("phone:" + phone)
    # The same digits hashed as an ID and as a phone never coincide.
    assert _hmac32("id:" + phone) != hasher.phone(phone)
    assert _hmac32("phone:" + number) != hasher.id_number(number)


# --- hasher ------------------------------------------------------------------------------


def test_hasher_refuses_short_key() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        PersonalDataHasher(b"short")
    with pytest.raises(ValueError):
        PersonalDataHasher("x" * 15)
    PersonalDataHasher("x" * 16)


def test_hasher_str_and_bytes_keys_agree() -> None:
    assert PersonalDataHasher("k" * 20).phone("13812345678") == PersonalDataHasher(b"k" * 20).phone(
        "138 1234 5678"
    )


def test_hasher_repr_hides_key() -> None:
    assert "k" * 20 not in repr(PersonalDataHasher("k" * 20))


def test_hasher_rejects_invalid_values() -> None:
    hasher = PersonalDataHasher(KEY)
    with pytest.raises(PersonalDataError):
        hasher.id_number("110105194912310023")
    with pytest.raises(PersonalDataError):
        hasher.phone("12345")


# --- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("１３８－１２３４－５６７８", "13812345678"),
        ("\u3000138\u30001234\u30005678 ", "13812345678"),
        ("0931-8123456", "+869318123456"),
        ("(0931) 812 3456", "+869318123456"),
        ("09318123456", "+869318123456"),
        ("010-12345678", "+861012345678"),
        ("+86 10 1234 5678", "+861012345678"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("1381234567", "has 10 digits, expected 11"),
        ("138123456789", "has 12 digits, expected 11"),
        ("12345", "not a valid phone number"),
        ("0931-8123456转12", "letters"),
        ("13812345678 (home)", "letters"),
        ("0931-8123456#12", "extension"),
        ("13812345678 13987654321", "not a phone number"),
    ],
)
def test_normalize_phone_rejects(raw: str, fragment: str) -> None:
    with pytest.raises(PersonalDataError) as info:
        normalize_phone(raw, field="contact_phone")
    assert info.value.field == "contact_phone"
    assert fragment in info.value.reason
    assert str(info.value).startswith("contact_phone: ")


# --- masks -------------------------------------------------------------------------------


def test_mask_examples() -> None:
    assert mask_id_number("11010519491231002X") == "1****************X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+869318123456") == "+86********56"
    assert mask_phone("123") == "***"


@given(st.from_regex(r"[0-9A-Z\-]{6,32}", fullmatch=True))
def test_a_volunteer_numbers_mask_hides_at_least_eight_characters(number: str) -> None:
    """A national volunteer number may be 6 characters: ``AB1234`` was masked
    ``AB****34`` — four of six shown, 100 guesses (each one a PUT answering 409 when
    the number is another volunteer's) from the whole number."""
    masked = mask_volunteer_number(number)
    assert len(masked) == len(number)
    if masked != "*" * len(number):
        assert masked.count("*") >= 8 and masked == number[:2] + masked[2:-2] + number[-2:]


def test_a_mistyped_numbers_mask_shows_no_character_of_the_right_one() -> None:
    """The right number's mask shows its check character; a mistyped copy of it on
    another department's roster showed its own last character — with the check
    character dropped, the third order digit (``6***************2``), with the last two
    swapped, the same digit again. Both masks beside the birth date, sex and county
    left about 9 numbers, not 45. A number that is not a valid one shows its first
    character only; a valid old 15-digit one is masked as the 18-digit number it is."""
    right = "11010519491231002X"
    assert mask_id_number(right) == "1****************X"
    for typo in (right[:17], right[:16] + "X2", right[:17] + "5", right + "1", "1101054912310"):
        assert mask_id_number(typo) == "1" + "*" * (len(typo) - 1)
    old = "110105491231002"  # the same person's old number
    assert mask_id_number(old) == "1****************X"
    assert mask_id_number("5301**********21") == "5***************"


def test_volunteer_number_mask_examples() -> None:
    assert mask_volunteer_number("31010119900101") == "31**********01"
    assert mask_volunteer_number("AB1234") == "******"
    assert mask_volunteer_number("31-0101-99") == "**********"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mask_phone_hides_middle(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[7:]


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("张 三", "张三"),
        ("\u3000张\t三 ", "张三"),
        ("王\u200b小\u200d明", "王小明"),
        ("欧阳　娜娜", "欧阳娜娜"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽 • 买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽･买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依达纳?别克", "阿依达纳·别克"),  # a ‧ a GBK CSV could not hold
        ("阿依达纳？别克", "阿依达纳·别克"),
        ("阿依达纳\ufffd别克", "阿依达纳·别克"),
        ("Who?", "Who?"),
        ("John   Smith", "John Smith"),
        (" J. R. R.  Tolkien ", "J. R. R. Tolkien"),
        ("ｚｈａｎｇ\u3000ｓａｎ", "zhang san"),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@given(st.text())
def test_normalize_name_is_idempotent(raw: str) -> None:
    once = normalize_name(raw)
    assert normalize_name(once) == once
    assert once == once.strip()


@pytest.mark.slow
def test_the_mobile_fast_path_agrees_with_libphonenumber_everywhere() -> None:
    """Every 11-digit number starting with 1 — each 5-digit prefix, a sample of endings —
    is answered alike with and without the fast path (valid: the same canonical form;
    invalid: refused)."""

    def full_path(text: str) -> str | None:
        parsed = phonenumbers.parse(text, "CN")
        if not phonenumbers.is_valid_number(parsed):
            return None
        kinds = (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        if phonenumbers.number_type(parsed) in kinds:
            return str(parsed.national_number)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    fast = 0
    for prefix in range(10_000):
        for ending in ("000000", "123456", "999999"):
            text = f"1{prefix:04d}{ending}"
            expected = full_path(text)
            try:
                got: str | None = normalize_phone(text)
            except PersonalDataError:
                got = None
            assert got == expected, text
            fast += bool(_CN_MOBILE.fullmatch(text))
    assert fast > 10_000  # the fast path answers most of them


@given(valid_ids)
def test_a_published_mask_with_birth_date_sex_and_region_does_not_rebuild_the_number(
    number: str,
) -> None:
    """As an attacker would: everything published beside a masked number (the birth date,
    the sex, the region the county gives away) and the mask itself; every 18-character
    number that fits is a candidate. Far too many remain to name the person's number."""
    masked = mask_id_number(number)
    resident = parse_resident_id(number)
    region, birth = resident.region_code, f"{resident.birth_date:%Y%m%d}"
    candidates = []
    for order in range(1000):
        body = f"{region}{birth}{order:03d}"
        if (order % 2 == 1) != (resident.sex == "male"):
            continue
        full = body + ric.calc_check_digit(body + "0")
        if full[0] == masked[0] and full[-1] == masked[-1]:
            candidates.append(full)
    assert number in candidates
    assert len(candidates) >= 20  # ≈ 1000 orders ÷ 2 (sex) ÷ 11 (check character)


def test_a_parsed_number_digests_as_its_text_does() -> None:
    """The registration parses an ID number once and hands the hasher the result: the
    digests must be those of the number as text (the census and the duplicate check
    compare them with digests made from text)."""
    hasher = PersonalDataHasher("k" * 32)
    for typed in ("11010519491231002x", "110105491231002"):
        parsed = parse_resident_id(typed)
        fresh = PersonalDataHasher("k" * 32)
        assert hasher.id_number(parsed) == fresh.id_number(typed)
        assert hasher.id_parts(parsed) == PersonalDataHasher("k" * 32).id_parts(parsed.number)


def test_a_masked_number_digests_only_the_parts_it_shows() -> None:
    """A published list's 530102********0021 shows its region, order and check: those
    parts digest as the full number's do, the hidden one is left empty (it agrees with
    nothing — two masks are not one birth date)."""
    hasher = PersonalDataHasher("k" * 32)
    full = hasher.id_parts("11010519491231002X")
    assert full is not None and "" not in full.split(".")
    for masked in ("110105********002X", "110105XXXXXXXX002X", "110105＊＊＊＊＊＊＊＊002x"):
        parts = hasher.id_parts(masked)
        assert parts is not None
        region, birth, order, check = parts.split(".")
        assert birth == "" and [region, order, check] == [full.split(".")[i] for i in (0, 2, 3)]


def test_a_parsed_number_is_masked_without_parsing_it_again(monkeypatch) -> None:
    """The registration masks the number it parsed: the same mask as from the text, and
    no second parse (it was one in each registration)."""
    from shegong.kernel.data import identity

    parsed = parse_resident_id("110105491231002")
    calls = []
    monkeypatch.setattr(identity, "parse_resident_id", lambda *a, **k: calls.append(a))
    assert mask_id_number(parsed) == "1****************X" and calls == []
    monkeypatch.undo()
    assert mask_id_number(parsed) == mask_id_number("110105491231002")


def test_the_hasher_builds_its_keyed_state_once(monkeypatch) -> None:
    """Each digest continues a copy of the key's HMAC state instead of building it from
    the key (a registration takes ten digests); the answers are HMAC-SHA256's, and a
    hasher sent to another process (pickled) digests as this one does."""
    import pickle

    hasher = PersonalDataHasher(KEY)
    built = []
    real = hmac.new
    monkeypatch.setattr(hmac, "new", lambda *a, **k: built.append(a) or real(*a, **k))
    digests = [hasher.name(f"张三{i}") for i in range(5)] + [hasher.phone_digits("13812345678")]
    assert built == []
    monkeypatch.undo()
    expected = [_hmac32(f"name:张三{i}") for i in range(5)] + [_hmac32("phone:13812345678")]
    assert digests == expected
    copy = pickle.loads(pickle.dumps(hasher))
    assert copy.name("张三0") == expected[0] and "0123456789abcdef" not in repr(copy)


def test_neighbours_swapped_across_a_border_share_that_borders_digest() -> None:
    """Two digits swapped across a border of the parts (region|birth date, birth
    date|order, order|check) change two parts; the number with that border's two
    characters put in order digests alike, the other borders' do not. A mask, or a
    number otherwise different in the same two places, has none in common."""
    hasher = PersonalDataHasher("k" * 32)
    right = "110105194912310118"
    swaps = hasher.id_swaps(right)
    assert swaps is not None and len(swaps.split(".")) == 3
    for border, at in enumerate((5, 13, 16)):
        typo = right[:at] + right[at + 1] + right[at] + right[at + 2 :]
        assert typo != right
        typed = hasher.id_swaps(typo)
        assert typed is not None
        agree = [a == b for a, b in zip(swaps.split("."), typed.split("."), strict=True)]
        assert agree == [i == border for i in range(3)]
        other = typo[:at] + str((int(typo[at]) + 1) % 10) + typo[at + 1 :]
        assert not set(hasher.id_swaps(other).split(".")) & set(swaps.split("."))  # type: ignore[union-attr]
    assert hasher.id_swaps("110105********0021") is None
    assert (
        hasher.id_swaps(parse_resident_id(right))
        == swaps
        == hasher.id_swaps(right[:6] + " " + right[6:])
    )
    assert PersonalDataHasher("j" * 32).id_swaps(right) != swaps  # keyed


def test_a_check_character_x_typed_one_place_early_is_not_a_mask() -> None:
    """…311X typed …31X1 hides nothing: its order part digests as typed (agreeing with no
    right number's), and its last two characters put in order agree with the right one's."""
    hasher = PersonalDataHasher("k" * 32)
    right, typo = "11010519491231031X", "1101051949123103X1"
    parts = hasher.id_parts(typo)
    assert parts is not None and "" not in parts.split(".")
    assert parts.split(".")[2] != hasher.id_parts(right).split(".")[2]  # type: ignore[union-attr]
    assert hasher.id_swaps(typo).split(".")[2] == hasher.id_swaps(right).split(".")[2]  # type: ignore[union-attr]
    assert hasher.id_swaps("110105194912310XX1") is None
