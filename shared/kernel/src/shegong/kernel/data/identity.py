"""Personal-identity primitives: resident ID numbers, phones, names, masking, keyed hashes.

Departments' rosters carry the same people typed by different hands: ID numbers with stray
or full-width spaces, old 15-digit numbers, phones with separators and country prefixes,
names with spaces between characters. Every service links people through the canonical
forms computed here, so all of them must agree. Raw ID numbers and phones are sensitive
personal information (敏感个人信息, PIPL): they stay in the owning service, events carry
``PersonalDataHasher`` digests for linkage and ``mask_*`` forms for display. Hence error
messages and reprs here never echo a whole raw value. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from stdnum.cn import ric

from shegong.kernel.data.id_slips import part_messages, swap_messages
from shegong.kernel.data.names import INVISIBLE as _INVISIBLE

__all__ = [
    "PersonalDataError",
    "PersonalDataHasher",
    "ResidentId",
    "mask_id_number",
    "mask_phone",
    "normalize_phone",
    "parse_resident_id",
]

# A CN mobile number as libphonenumber's metadata defines it: 11 digits, and nothing else.
_CN_MOBILE = re.compile(
    str(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)  # type: ignore[union-attr]
)


class PersonalDataError(ValueError):
    """Bad personal data, with a reason in English (logs) and Chinese (department staff)."""

    def __init__(self, field: str, reason: str, reason_zh: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.reason_zh = reason_zh


def _compact(raw: str) -> str:
    """NFKC (full-width digits/letters → ASCII), drop all whitespace and invisibles."""
    if raw.isascii() and raw.isalnum():  # already compact: NFKC and the rest change nothing
        return raw
    text = unicodedata.normalize("NFKC", raw).translate(_INVISIBLE)
    return "".join(ch for ch in text if not ch.isspace())


# --- Resident ID number (居民身份证号, GB 11643-1999) ------------------------------------

# The check character X as clerks type it where the keyboard's X is not at hand: the
# multiplication sign (×, an input method's "cheng"), the character 乂 (yi, drawn as an X),
# a box-drawing ╳, the Greek and Cyrillic capitals (Χ, Х). Full-width Ｘ is NFKC's.
_X_LOOKALIKES = str.maketrans(dict.fromkeys("×乂╳ΧХ", "X"))


@dataclass(frozen=True, repr=False)
class ResidentId:
    """A valid PRC resident ID number (居民身份证号, GB 11643-1999), always the 18-char form.

    The repr shows only the masked number so that a logged object does not leak it.
    """

    number: str
    birth_date: datetime.date
    sex: Literal["male", "female"]
    region_code: str
    converted_from_15: bool

    def __repr__(self) -> str:
        return f"ResidentId({mask_id_number(self.number)})"


def parse_resident_id(raw: str, *, field: str = "id_number") -> ResidentId:
    """Validate and canonicalise an ID number as departments type it.

    Old 15-digit numbers (一代身份证) are converted: "19" goes before the 2-digit year and
    the check character (校验码, ISO 7064 MOD 11-2) is computed. The region code (行政区划代码)
    is not checked against a table: codes get retired and renamed, people keep their numbers.
    """

    def fail(reason: str, reason_zh: str) -> PersonalDataError:
        return PersonalDataError(field, reason, reason_zh)

    number = _compact(raw).upper()
    if len(number) == 18 and not number[17].isascii():
        number = number[:17] + number[17].translate(_X_LOOKALIKES)
    if not number:
        raise fail("is empty", "身份证号为空")
    if len(number) not in (15, 18):
        raise fail(
            f"has {len(number)} characters, expected 18 (or 15 for an old number)",
            f"身份证号应为18位（旧号码15位），实际为{len(number)}位",
        )
    digits_part = number if len(number) == 15 else number[:17]
    for pos, ch in enumerate(digits_part, start=1):
        if not ch.isascii() or not ch.isdigit():
            raise fail(
                f"character {pos} is {ch!r}, expected a digit",
                f"第{pos}位“{ch}”不是数字",
            )
    converted = len(number) == 15
    if converted:
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
    elif not (number[17].isdigit() or number[17] == "X"):
        raise fail(
            f"check character is {number[17]!r}, expected a digit or X",
            f"校验码“{number[17]}”无效：应为数字或X",
        )

    date_digits = number[6:14]
    try:
        birth = datetime.date(int(date_digits[:4]), int(date_digits[4:6]), int(date_digits[6:]))
    except ValueError:
        raise fail(
            f"birth date digits {date_digits} are not a real date",
            f"出生日期{date_digits}不是有效日期",
        ) from None
    if birth.year < 1900:
        raise fail(f"birth date {birth} is before 1900", f"出生日期{birth}早于1900年")
    if birth > datetime.date.today():
        raise fail(f"birth date {birth} is in the future", f"出生日期{birth}晚于今天")

    # stdnum's calc_check_digit expects the number with a check character on the end.
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise fail(
            f"check character is {number[17]}, expected {expected}",
            f"校验码错误：应为 {expected}",
        )
    return ResidentId(
        number=number,
        birth_date=birth,
        sex="male" if int(number[16]) % 2 else "female",
        region_code=number[:6],
        converted_from_15=converted,
    )


# --- Phone numbers -----------------------------------------------------------------------


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Canonical phone: 11 digits for a CN mobile (how staff read and dial them), E.164 else.

    Landlines (固定电话) keep their area code in E.164 form, e.g. "+869318123456", so that
    "0931-8123456" and "(0931) 812 3456" compare equal. Validity comes from libphonenumber.
    """

    def fail(reason: str, reason_zh: str) -> PersonalDataError:
        return PersonalDataError(field, reason, reason_zh)

    text = unicodedata.normalize("NFKC", raw).translate(_INVISIBLE).strip()
    if _CN_MOBILE.fullmatch(text):
        # The common case, an 11-digit mobile as written, answered from libphonenumber's own
        # mobile pattern without a full parse (a roster of 100,000 rows spends seconds there);
        # anything else takes the full path below. A test keeps the two in agreement.
        return text
    if not text:
        raise fail("is empty", "电话号码为空")
    if any(ch.isalpha() for ch in text):
        raise fail(
            "contains letters; give one number without an extension or notes",
            "电话号码含有文字，请只填写一个号码，不含分机号或备注",
        )
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise fail("is not a phone number", "不是有效的电话号码") from None
    if parsed.extension:
        raise fail("has an extension; give the number only", "请去掉分机号")
    national = str(parsed.national_number)
    if not phonenumbers.is_valid_number(parsed):
        if parsed.country_code == 86 and national.startswith("1") and 8 <= len(national) != 11:
            raise fail(
                f"mobile number has {len(national)} digits, expected 11",
                f"手机号码应为11位，实际为{len(national)}位",
            )
        raise fail("is not a valid phone number", "不是有效的电话号码")
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if parsed.country_code == 86 and phonenumbers.number_type(parsed) in mobile_types:
        return national
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- Masking and keyed hashes --------------------------------------------------------------


def _mask(value: str, head: int, tail: int) -> str:
    # Short values would be shown almost whole: then hide everything.
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(number: str | ResidentId) -> str:
    """Display form ``6****************X``: the first and last character only. The birth
    date is published on its own (and the region follows from the county), so a mask that
    showed the region and the last four would give the whole number away. A number that
    is not valid shows its first character only (``6****************``). A
    :class:`ResidentId` the caller parsed already is not parsed again."""
    if isinstance(number, ResidentId):
        return _mask(number.number, 1, 1)
    try:
        valid = parse_resident_id(number).number  # an old 15-digit one as its 18 digits
    except PersonalDataError:
        # A mistyped number's last character is not the check character: it may be an
        # order digit of the right number (dropped or swapped check character), which a
        # second department's mask of the right number would add to what is known.
        compact = _compact(number).upper()
        return compact[:1] + "*" * (len(compact) - 1) if len(compact) > 4 else "*" * len(compact)
    return _mask(valid, 1, 1)


def mask_phone(phone: str) -> str:
    """Display form ``138****5678`` for mobiles; first 3 and last 2 kept for other forms."""
    compact = _compact(phone)
    if len(compact) == 11 and compact.isdigit() and compact.startswith("1"):
        return _mask(compact, 3, 4)
    return _mask(compact, 3, 2)


def mask_volunteer_number(number: str) -> str:
    """Display form ``31**********01`` of a national volunteer number: the first and last
    two characters, and only when at least eight stay hidden — a short number (they may
    be 6 characters) is hidden whole, or its mask would be most of it."""
    if len(number) < 12:
        return "*" * len(number)
    return _mask(number, 2, 2)


def _as_typed(raw: str | ResidentId) -> str:
    """A number valid in its canonical 18-char form, else as typed (compacted, upper)."""
    if isinstance(raw, ResidentId):  # parsed by the caller already
        return raw.number
    try:
        return parse_resident_id(raw).number
    except PersonalDataError:
        return _compact(raw).upper()


class PersonalDataHasher:
    """Keyed hash (HMAC-SHA256) for linkage across services without the raw value (PIPL).

    A plain hash of an ID number is reversible by enumeration (region × date × order is a
    small space), so the key (``PII_HASH_KEY``) is secret and shared only by services that
    may link. Values are canonicalised first and domain-prefixed ("id:", "phone:") so an ID
    number and a phone with the same digits never collide. 128 bits of digest are plenty.
    """

    __slots__ = ("_hmac", "_key", "_memo")
    _MEMO_MAX = 200_000  # an import hashes each value several times; keep the last ones

    def __init__(self, key: bytes | str) -> None:
        key_bytes = key.encode() if isinstance(key, str) else bytes(key)
        if len(key_bytes) < 16:
            raise ValueError("PII hash key must be at least 16 bytes")
        self._key = key_bytes
        # The key's HMAC state, copied per digest: building it from the key (two SHA-256
        # states) was most of a digest's cost, and a registration takes ten.
        self._hmac = hmac.new(key_bytes, digestmod=hashlib.sha256)
        self._memo: dict[str, str] = {}

    def __repr__(self) -> str:
        return "PersonalDataHasher(<key hidden>)"

    def __reduce__(self) -> tuple[type[PersonalDataHasher], tuple[bytes]]:
        return PersonalDataHasher, (self._key,)  # to a worker process: the key, not its state

    def _digest(self, message: str) -> str:
        keyed = self._hmac.copy()
        keyed.update(message.encode())
        return keyed.hexdigest()[:32]

    def id_number(self, number: str | ResidentId) -> str:
        """Digest of the canonical 18-char number; raises PersonalDataError if invalid.
        A :class:`ResidentId` the caller parsed already is not parsed again."""
        raw = number.number if isinstance(number, ResidentId) else number
        found = self._memo.get("id:" + raw)
        if found is None:
            canonical = raw if isinstance(number, ResidentId) else parse_resident_id(raw).number
            found = self._remember("id:" + raw, "id:" + canonical)
        return found

    def id_parts(self, raw: str | ResidentId) -> str | None:
        """Keyed digests of an ID number's four parts — region (6), birth date (8), order
        (3) and check character (1) — as ``"r.b.o.c"``, for a number as typed, valid or
        not (a valid one in its canonical 18-char form). A number with one slip shares
        three of them with the right one, so the census can tell a typo from another
        person without seeing either number. None when the text is not an 18-character
        number (or a valid 15-digit one)."""
        text = raw.number if isinstance(raw, ResidentId) else raw
        found = self._memo.get("idp:" + text)  # a person's rows in several departments
        if found is not None:
            return found
        number = _as_typed(raw)
        if len(number) != 18:
            return None
        parts = ".".join(self._digest(m)[:12] if m else "" for m in part_messages(number))
        if len(self._memo) >= self._MEMO_MAX:
            self._memo.clear()
        self._memo["idp:" + text] = parts
        return parts

    def id_swaps(self, raw: str | ResidentId) -> str | None:
        """Keyed digests of an ID number with the two characters at each border of its
        parts put in order — region|birth date (6th|7th), birth date|order (14th|15th),
        order|check (17th|18th) — as ``"a.b.c"``, for a number as :meth:`id_parts` reads
        it. Two neighbours swapped within a part change that part alone (three of
        ``id_parts`` in common); swapped across a border they change two, and share that
        border's digest with the right number — a clerk's slip, not another person. Each
        digest is of the whole number, as the valid number's hash is: no part of it comes
        out. None for what is not 18 digits (the last, or the one before it, may be X): a
        mask hides digits."""
        text = raw.number if isinstance(raw, ResidentId) else raw
        found = self._memo.get("ids:" + text)
        if found is not None:
            return found
        messages = swap_messages(_as_typed(raw))
        if messages is None:
            return None
        swaps = ".".join(self._digest(m)[:12] for m in messages)
        if len(self._memo) >= self._MEMO_MAX:
            self._memo.clear()
        self._memo["ids:" + text] = swaps
        return swaps

    def document(self, kind: str, number: str) -> str:
        """Digest of another document's number (:mod:`.documents`' normal form) by kind."""
        return self._digest(f"doc:{kind}:{number}")

    def phone(self, phone: str) -> str:
        """Digest of ``normalize_phone(phone)``; raises PersonalDataError if invalid."""
        found = self._memo.get("phone:" + phone)
        if found is None:
            found = self._remember("phone:" + phone, "phone:" + normalize_phone(phone))
        return found

    def phone_digits(self, digits: str) -> str:
        """Digest of a well-formed number libphonenumber does not know (``normalize_phone``
        refuses it): not a contact, but the same digits on two records are evidence they
        are one person. A mobile's 11 digits digest as ``phone()`` of the same number."""
        return self._digest("phone:" + digits)

    def phone_parts(self, phone: str) -> str:
        """Keyed digests of a phone's digits with each of four blocks hidden in turn
        (``"a.b.c.d"``, 8 hex characters each), for a number as :func:`normalize_phone`
        or ``phone_digits`` gives it: a number with one digit mistyped, or two neighbours
        swapped within a block, shares three of them with the right one — so the census
        can tell a clerk's slip from another person's phone without seeing either."""
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) > 11 and digits.startswith("86"):  # E.164 as normalize_phone gives
            digits = digits[2:]
        digits = digits.removeprefix("0")  # a landline from its trunk 0 (0816-…)
        found = self._memo.get("phonep:" + digits)
        if found is None:
            cut = [round(i * len(digits) / 4) for i in range(5)]
            found = ".".join(
                self._digest(
                    f"phonep:{i}:{digits[: cut[i]]}{'_' * (cut[i + 1] - cut[i])}"
                    f"{digits[cut[i + 1] :]}"
                )[:8]
                for i in range(4)
            )
            if len(self._memo) >= self._MEMO_MAX:
                self._memo.clear()
            self._memo["phonep:" + digits] = found
        return found

    def name(self, key: str) -> str:
        """Digest of a name as :func:`~shegong.kernel.data.names.name_key` gives it — to
        count what a department lists under one name without keeping the name."""
        return self._digest("name:" + key)

    def volunteer_number(self, number: str) -> str:
        """Digest of a national volunteer number (志愿者编号), upper-cased, spaces removed."""
        return self._digest("volunteer:" + _compact(number).upper())

    def _remember(self, raw: str, canonical: str) -> str:
        if len(self._memo) >= self._MEMO_MAX:
            self._memo.clear()
        digest = self._memo[raw] = self._digest(canonical)
        return digest
