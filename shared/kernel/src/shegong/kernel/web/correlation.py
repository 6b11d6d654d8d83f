"""The correlation id (关联号) of the conversation this code is working for.

One id follows a request from the HTTP edge (``X-Correlation-ID``, or a new one) into
every event it appends (the envelope's ``correlationid``), and from an event into the
consumer that handles it — so a log search for one id shows a command's whole story
across services. It lives in a context variable: each request and each handled event
has its own, and ``asyncio`` tasks inherit it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shegong.kernel.events.ids import uuid4_strings

HEADER = "X-Correlation-ID"
# What a caller may hand us: short, printable, no spaces (it ends up in logs and events).
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,64}$")
# …and no phone or ID number in it (a clerk's tool naming the conversation by the worker's
# number): it goes onto the bus, which carries none. A number standing alone, of 10 or more
# digits whatever the separators between them (not inside a word: a UUID's hex keeps).
_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d(?:[._:/@+=-]?\d){9,}")

_current: ContextVar[str | None] = ContextVar("shegong_correlation_id", default=None)


# Fresh ids are drawn 64 at a time (one ``os.urandom`` call, ``events/ids.py``): a
# request without an ``X-Correlation-ID`` took a system call for its id.
_fresh: list[str] = []


def new_correlation_id() -> str:
    if not _fresh:
        _fresh.extend(uuid4_strings(64))
    return _fresh.pop()


def current_correlation_id() -> str | None:
    """The id of the conversation in progress, if any."""
    return _current.get()


def correlation_id_or_new() -> str:
    """The id in progress, or a fresh one (a command started outside any request)."""
    return _current.get() or new_correlation_id()


def accept_correlation_id(value: str | None) -> str:
    """A caller's ``X-Correlation-ID`` if it is sane, else a fresh id."""
    if value and _ACCEPTABLE.match(value) and not _NUMBER.search(value):
        return value
    return new_correlation_id()


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[str]:
    """Run a block on behalf of ``correlation_id`` (a fresh one when None)."""
    value = correlation_id or new_correlation_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
