"""CPU seconds of processes, read from Linux's /proc: the benches' one reading (user +
system time of a process, and of the processes under it). Elsewhere every figure is
``None`` or 0."""

from __future__ import annotations

import os
from pathlib import Path


def _stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (state is [0], ppid [1])."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds ``pid`` has used so far; ``None`` when it is gone."""
    fields = _stat(pid)
    if fields is None:
        return None
    try:
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (ValueError, IndexError):
        return None


def parents() -> dict[int, int]:
    """Every running process → its parent."""
    out: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(stat.parent.name)
        if fields is not None:
            try:
                out[int(stat.parent.name)] = int(fields[1])
            except (ValueError, IndexError):
                continue
    return out


def children(pids: set[int]) -> set[int]:
    """The processes whose parent is one of ``pids``."""
    return {pid for pid, ppid in parents().items() if ppid in pids}


def tree(pid: int) -> set[int]:
    """``pid`` and every process under it, however deep."""
    parent = parents()
    found, grew = {pid}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in found} - found
        found |= more
        grew = bool(more)
    return found
