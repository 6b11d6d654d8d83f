"""Text people type must show what it says (round 10).

The edge refuses control and bidi characters (``web/text_guard.py``); what it let through
was text made of characters that show nothing. A department named a provider ``U+200B``,
``U+2800`` or ``U+3164 U+3164`` (201): it stood blank among an order's candidates on
everyone's 派单 list; a worker named ``马晓燕`` + ``U+2800`` was listed beside the real
马晓燕 with nothing to tell them apart; a worker's name of one zero-width space was stored
as the empty name its normalisation left. :data:`VisibleText` drops the invisible
characters (``controls.INVISIBLE``) from what is typed and refuses a value that has
nothing left to see — a 422 naming the field, in English and Chinese
(``web/validation.py`` knows the error's type) — and never quotes it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from shegong.kernel.data.controls import INVISIBLE, shows_something

__all__ = ["NO_VISIBLE_TEXT", "VisibleText", "visible_text"]

NO_VISIBLE_TEXT = "no_visible_text"


def visible_text(text: str) -> str:
    """``text`` without its invisible characters; a text that had characters and shows
    none of them is refused (``PydanticCustomError`` of type ``no_visible_text``)."""
    if not text:
        return text
    if not shows_something(text):
        raise PydanticCustomError(
            NO_VISIBLE_TEXT,
            "holds no character that shows (only blank, invisible or combining characters)",
        )
    return INVISIBLE.sub("", text)


VisibleText = Annotated[str, AfterValidator(visible_text)]
