"""Files of personal data a command writes for its user: readable by that user only.

``shegong census export -o census.csv`` wrote the city's persons (names, units, birth
dates whole for the administrator) with the shell's umask — ``-rw-r--r--`` on a shared
machine, readable by every account on it — while the data dir they came from is 0700.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """``data`` into ``path``, mode 0600: a new file is created so, an existing one is
    narrowed before it is written (never widened afterwards)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd != -1:
            os.close(fd)
