"""Exports of personal data are written readable by their user only (round 6: the
census export came out ``-rw-r--r--`` under the usual umask 022)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from shegong.kernel.ops.private_file import write_private


def test_an_export_is_its_users_only_new_or_overwritten(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = tmp_path / "census.csv"
        write_private(new, "姓名\n马晓燕\n".encode())
        assert stat.S_IMODE(new.stat().st_mode) == 0o600
        assert new.read_text() == "姓名\n马晓燕\n"
        there = tmp_path / "hours.csv"
        there.write_text("x" * 100)
        there.chmod(0o644)
        write_private(there, b"short")
        assert stat.S_IMODE(there.stat().st_mode) == 0o600
        assert there.read_bytes() == b"short"
    finally:
        os.umask(old)
