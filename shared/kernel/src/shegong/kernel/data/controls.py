"""The characters no text the platform keeps may hold: C0 controls but tab, line feed and
carriage return; DEL and the C1 controls; the bidi embeddings, overrides and isolates.

A NUL cannot be stored in a PostgreSQL text column (an accepted row then never reached
a read model), and an override (U+202E) makes 王abc五 show as 王cba五. The API refuses
them (``web/text_guard.py``), the sheet reader drops them from every cell
(``tabular.py``, with the invisible ones below), names lose them (``names.normalize_name``)."""

from __future__ import annotations

import re
import unicodedata

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Characters that show nothing (round 10): Unicode's default-ignorable code points — the
# zero-width space and joiners, the direction marks, the soft hyphen, the word joiner and
# invisible operators, variation selectors, the Hangul fillers, the tag characters — and the
# blank that is a symbol (U+2800 BRAILLE PATTERN BLANK). A provider named U+200B, U+2800 or
# U+3164 stood blank among 派单's candidates, and 马晓燕 followed by one of them beside the real
# 马晓燕, told apart by nothing a clerk sees.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Both, for what arrives in bulk (a sheet's cells — headers, units, places, phones): a unit
# 红叶社工站 + U+200B beside the real one, a header 手机 + U+2060 + 号码 left unread (round 11).
HIDDEN = re.compile("[" + CONTROL.pattern[1:-1] + INVISIBLE.pattern[1:-1] + "]")
# What a reader sees: a letter, a digit, a punctuation mark or a symbol (not a space, a
# combining mark alone, a control or a format character).
_SEEN = frozenset("LNPS")


def shows_something(text: str) -> bool:
    """Whether ``text`` has a character a reader sees once the invisible ones are gone."""
    return any(
        unicodedata.category(ch)[0] in _SEEN for ch in INVISIBLE.sub("", text) if not ch.isspace()
    )
