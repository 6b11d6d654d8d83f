"""Failed key checks, counted per client address and key (429 beyond a few a minute).

A key reads ``sgk_<id>_<secret>``, and the ids are not secret (``shegong auth list``, the
console shows them): guessing a secret for a known id is the one guess that could ever
work. 256 random bits make it hopeless at any rate, but it was not limited either (probed:
10,000 wrong secrets for the admin key's id in a row, every one a 401 and a log line).
Now, after ``AUTH_FAILURES_PER_MIN`` (default 20) wrong secrets for one existing key id
from one client address, that key id from that address answers 429 for the rest of the
minute — the right secret too, else the throttle would not slow a guess down.

Counted per (address, key id), not per address: the console calls the services from one
address for all its users, and one user's mistyped key must not lock the others out; a key
of no known id (malformed, made up, revoked) can never become valid, so it is not
counted. The counts live in the process (each replica counts its own) and are bounded.
"""

from __future__ import annotations

import os
import time

DEFAULT_PER_MIN = 20
WINDOW_S = 60.0
MAX_SUBJECTS = 10_000


class KeyThrottle:
    def __init__(self, per_window: int | None = None, window_s: float = WINDOW_S) -> None:
        raw = os.environ.get("AUTH_FAILURES_PER_MIN")
        self.per_window = per_window or (int(raw) if raw else DEFAULT_PER_MIN)
        self.window_s = window_s
        self._failures: dict[tuple[str, str], tuple[float, int]] = {}

    def _current(self, subject: tuple[str, str], now: float) -> int:
        started, count = self._failures.get(subject, (now, 0))
        return count if now - started < self.window_s else 0

    def blocked(self, address: str, key_id: str) -> bool:
        return self._current((address, key_id), time.monotonic()) >= self.per_window

    def failed(self, address: str, key_id: str) -> None:
        now = time.monotonic()
        subject = (address, key_id)
        count = self._current(subject, now)
        started = self._failures[subject][0] if count else now
        self._failures[subject] = (started, count + 1)
        if len(self._failures) > MAX_SUBJECTS:
            self._failures = {s: v for s, v in self._failures.items() if now - v[0] < self.window_s}
            while len(self._failures) > MAX_SUBJECTS // 2:  # the oldest first
                del self._failures[next(iter(self._failures))]
