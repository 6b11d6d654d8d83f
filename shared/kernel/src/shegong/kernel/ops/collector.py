"""The cyclic garbage collector, set for a long-running service.

CPython collects its youngest generation every 700 net allocations of container objects.
A service that decodes events, builds rows and scores census pairs allocates millions of
short-lived dicts, tuples and lists a minute — freed by reference counting, never cyclic —
and paid for them in collections: profiled on the census pipeline (bench/README.md,
"Round 5: the import's share…"), 9.2 of the census stage's 28.2 s of CPU, and 20–30 % of
the host's CPU under ``shegong up``. Collecting the youngest generation every 50,000
allocations instead cut the host's CPU by 31 % on the same rows, the same persons.

Once the app is built, and before any thread serves it, :func:`freeze` moves what the
imports and the app built (modules, classes, routes, dictionaries — alive for the
process's life) out of the collector's reach, so full collections no longer walk them.
Never later: a collection forced from one thread while others serve runs their garbage's
finalizers there (a pooled database connection's, an event loop's) — ``shegong up``'s host
froze once its services were serving, and in one CI run its main thread never came back
to take SIGTERM.

``SHEGONG_GC_THRESHOLD`` sets the youngest generation's threshold (0: CPython's own).
"""

from __future__ import annotations

import gc
import logging
import os

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 50_000


def tune() -> None:
    """Collect the youngest generation every ``SHEGONG_GC_THRESHOLD`` allocations."""
    raw = os.environ.get("SHEGONG_GC_THRESHOLD", "").strip()
    try:
        threshold = int(raw) if raw else DEFAULT_THRESHOLD
    except ValueError:
        log.warning("SHEGONG_GC_THRESHOLD=%r is not a number; using %d", raw, DEFAULT_THRESHOLD)
        threshold = DEFAULT_THRESHOLD
    if threshold > 0:
        _, second, third = gc.get_threshold()
        gc.set_threshold(threshold, second, third)


def freeze() -> None:
    """Everything alive now lives as long as the process: out of the collector's walks."""
    gc.collect()
    gc.freeze()
