"""Failed key checks, counted per client address (429 beyond a few a minute).

Wrong keys were answered 401 without limit, each with a log line (probed: 200 wrong
secrets for the admin key's id in 6 s, 200 × 401). After ``AUTH_FAILURES_PER_MIN``
(default 20) wrong keys from one client address within a minute, a further wrong key from
it is a 429 (``Retry-After``), logged once per minute instead of once per request.

A right key is always served, throttled address or not. A key's secret has 256 random
bits: guessing is hopeless at any rate, so the throttle bounds the noise and cost of
trying, not the odds. Refusing the right key too would let anyone lock a key out of the
console — it calls the services from one address for all its users, and key ids are not
secret (``sgk_<id>`` is shown) — by sending it wrong secrets. The counts live in the
process (each replica counts its own) and are bounded.
"""

from __future__ import annotations

import os
import time

DEFAULT_PER_MIN = 20
WINDOW_S = 60.0
MAX_ADDRESSES = 10_000


class KeyThrottle:
    def __init__(self, per_window: int | None = None, window_s: float = WINDOW_S) -> None:
        raw = os.environ.get("AUTH_FAILURES_PER_MIN")
        self.per_window = per_window or (int(raw) if raw else DEFAULT_PER_MIN)
        self.window_s = window_s
        self._failures: dict[str, tuple[float, int]] = {}

    def failed(self, address: str) -> int:
        """Count a wrong key from ``address``: how many in its current window."""
        now = time.monotonic()
        started, count = self._failures.get(address, (now, 0))
        if now - started >= self.window_s:
            started, count = now, 0
        self._failures[address] = (started, count + 1)
        if len(self._failures) > MAX_ADDRESSES:
            self._failures = {a: v for a, v in self._failures.items() if now - v[0] < self.window_s}
            while len(self._failures) > MAX_ADDRESSES // 2:  # the oldest first
                del self._failures[next(iter(self._failures))]
        return count + 1
