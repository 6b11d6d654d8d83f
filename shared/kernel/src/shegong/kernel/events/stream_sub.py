"""FastStream's ``StreamSub``, its broker-prefixed copy made once.

FastStream 0.7's stream subscriber reads its options through a property that deep-copies
the ``StreamSub`` and prefixes the copy's name, at every access: once or more for every
batch delivered (its log context names the stream), ≈ 90 µs each here — issue 18's
profile found it under every subscription's batches. The copy is only read (nothing in
FastStream assigns to it), so one copy per prefix serves every access.
"""

from __future__ import annotations

from typing import Any, Self

from faststream.redis import StreamSub


class PrefixedOnce(StreamSub[Any]):
    __slots__ = ("_prefixed",)

    def add_prefix(self, prefix: str) -> Self:
        made: tuple[str, Self] | None = getattr(self, "_prefixed", None)
        if made is None or made[0] != prefix:
            made = (prefix, super().add_prefix(prefix))
            self._prefixed = made
        return made[1]
