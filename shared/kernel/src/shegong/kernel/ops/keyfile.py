"""The hashing key of a single-machine platform, kept in a file of its data folder.

Light on purpose (no web or database imports): the launcher reads it before any
service starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "pii-hash.key"


def local_hash_key(data_dir: str | Path) -> str:
    """The key of a single-machine platform, created once under the data folder.

    Every service of one platform must hash with the same key, or linkage breaks;
    production sets ``PII_HASH_KEY`` from a Secret instead.
    """
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
