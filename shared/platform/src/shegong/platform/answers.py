"""What a service answered, as the ``shegong`` command reads and shows it (round 12).

A node the command is pointed at (``--url``: a department's own, or anything between)
chooses every byte of its answers: their escape sequences reached the user's terminal as
sent, and an answer of any length was read whole into memory. ``Response.text`` and
``Response.json()`` give what a terminal shows; ``content`` keeps the bytes for a file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

# What a terminal acts on rather than shows (round 12): C0 controls but tab and line feed,
# a carriage return not ending a line, DEL and C1, the bidi embeddings, overrides and
# isolates. An answer's ESC sequences reached the user's terminal as sent — a node (or
# anything between) answering ``{"error": {"message": "\u001b]52;c;…\u0007"}}`` set the
# clipboard, ``\u001b[2J`` cleared the screen, a lone CR wrote over what the line said.
_TERMINAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _escaped(char: re.Match[str]) -> str:
    code = ord(char.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` with what a terminal would act on written as escapes (``\\x1b``), as the
    services' logs write it; a CSV's CR LF line ends stay."""
    return _TERMINAL.sub(_escaped, text)


def _shown_all(value: Any) -> Any:
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown(k): _shown_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown_all(v) for v in value]
    return value


# How much of an answer is read (round 12): a node answering 3 GB to ``shegong auth
# whoami`` took the command to 9.3 GB of memory and 32 s before it printed the first 500
# characters. A refusal is a few hundred bytes; the largest answer, the census export,
# some 400 bytes a person.
ERROR_BYTES = 16 << 20


def _setting(name: str, default: float) -> float:
    try:
        return max(float(os.environ.get(name, "")), 0.001)
    except ValueError:
        return default


def answer_limit() -> int:
    """``SHEGONG_MAX_ANSWER_BYTES`` (default 256 MiB)."""
    return max(int(_setting("SHEGONG_MAX_ANSWER_BYTES", 256 << 20)), 1)


# How long a request may take, whole (round 12b): the timeout was per read, so a node
# dripping its answer a byte every few seconds kept the command waiting for ever. An
# import's upload may be large and slow to send; waiting for a job or the census is many
# short requests (each with this deadline), not one long one.
REQUEST_SECONDS, UPLOAD_SECONDS = "SHEGONG_REQUEST_SECONDS", "SHEGONG_UPLOAD_SECONDS"


def answer_deadline(upload: bool) -> tuple[float, str]:
    """Seconds a request may take from its first byte sent to its answer's last byte read,
    and the setting that says so: ``SHEGONG_REQUEST_SECONDS`` (default 300), for one that
    sends a file ``SHEGONG_UPLOAD_SECONDS`` (default 1800)."""
    name = UPLOAD_SECONDS if upload else REQUEST_SECONDS
    return _setting(name, 1800.0 if upload else 300.0), name


@dataclass
class Response:
    """What a service answered (the little of ``httpx.Response`` the commands use). Its
    ``text`` and ``json()`` are what a terminal shows (``shown``); ``content`` the bytes
    as sent, for a file."""

    status_code: int
    content: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return shown(self.content.decode("utf-8", errors="replace"))

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        try:
            return _shown_all(json.loads(self.content))
        except RecursionError:  # nested past what the parser follows: not an answer
            raise ValueError("JSON nested too deep") from None
