"""A service whose process runs but no longer answers is hung: a loop stuck in a computation,
a deadlock, a process stopped (SIGSTOP) or swapped out for good. The supervisor restarts a
process that *ended*; this finds the one that did not end and ends it, so that the
supervisor restarts it as it restarts a crash (Kubernetes' liveness probe, systemd's
``WatchdogSec``).

Only a process that has answered ``/health`` at least once is judged: one still starting
(migrations, a census rebuilt on start) is ``wait_ready``'s business, not a hang. It is
hung when none of its probes has been answered for ``hung_after`` seconds (120 by default:
far above a busy loop's answer under a 100,000-row import, and above the census reads
that still hold a loop for seconds — SECURITY.md round 9). It gets SIGKILL: a loop that
does not turn does not run a SIGTERM handler either, and every write is a transaction, so
nothing half-written stays.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx


class Watched(Protocol):
    log_path: Path
    process: subprocess.Popen[bytes] | None

    @property
    def name(self) -> str: ...


@dataclass
class _Probe:
    pid: int
    answered: float | None = None  # monotonic time of its last answer
    probed: float = 0.0


@dataclass
class Liveness:
    hung_after: float = 120.0
    every: float = 5.0  # seconds between two probes of one process
    timeout: float = 3.0
    _probes: dict[str, _Probe] = field(default_factory=dict)

    def sweep(
        self,
        watched: Iterable[Watched],
        report: Callable[[str], object],
    ) -> list[str]:
        """Probe the running processes due for it; kill the hung ones (the caller then
        restarts them as ended). The names killed."""
        killed = []
        for item in watched:
            process = item.process
            if process is None or process.poll() is not None:
                continue
            # A host process answers for all its services (one stuck loop: the host is hung).
            urls = [member.url for member in getattr(item, "members", None) or [item]]
            silent = self._silent_for(item.name, process.pid, urls)
            if silent is None or silent < self.hung_after:
                continue
            line = (
                f"{item.name} 已 {silent:.0f} 秒无响应，强制结束后重启 / has not answered "
                f"/health for {silent:.0f} s (hung); killing it to restart it"
            )
            report(line)
            with item.log_path.open("a", encoding="utf-8") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} shegong up: {line}\n")
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
            self._probes.pop(item.name, None)
            killed.append(item.name)
        return killed

    def _silent_for(self, name: str, pid: int, urls: list[str]) -> float | None:
        """Seconds since the process last answered every probe; None while it never has."""
        now = time.monotonic()
        probe = self._probes.get(name)
        if probe is None or probe.pid != pid:  # a new process: judged afresh
            probe = self._probes[name] = _Probe(pid)
        if now - probe.probed >= self.every:
            probe.probed = now
            if all(_answers(url, self.timeout) for url in urls):
                probe.answered = time.monotonic()
        return None if probe.answered is None else now - probe.answered


def _answers(url: str, timeout: float) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False
