"""Random identifiers drawn in bulk.

``uuid.uuid4()`` reads ``os.urandom(16)`` for each id: a system call that gives up the
GIL, and in a busy process (``shegong up`` hosts every service, ≈ 15 threads) getting
it back can cost up to the interpreter's switch interval. py-spy on the host during a
roster import found a quarter of the import's samples waiting in ``uuid4`` (a worker id
per row, an event id per event, the latter under the registry's write lock); 700 ids
took 48 ms beside two busy threads one at a time, 1.4 ms drawn at once. Same source,
same version-4 ids.
"""

from __future__ import annotations

import os
import uuid

__all__ = ["uuid4_strings"]


def uuid4_strings(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs as strings, from one ``os.urandom`` call."""
    raw = os.urandom(16 * n)
    return [str(uuid.UUID(bytes=raw[i : i + 16], version=4)) for i in range(0, 16 * n, 16)]
