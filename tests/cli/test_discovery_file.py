"""The command line trusts only a discovery file its user's ``shegong up`` wrote (round 11).

Probed: ``./.shegong/platform.json`` is the first place the ``shegong`` command looks for
the services (before the platform the user started last). A folder copied, unpacked or
cloned with a ``.shegong/platform.json`` in it — or one another user of the machine made —
named where the command sent its requests: ``shegong registry import-roster 花名册.csv``
run there uploaded the roster (raw ID numbers and phones) to the address in that file, and
``SHEGONG_API_KEY`` or ``--key`` went with it. ``shegong up`` writes the file 0600 in a
0700 folder; the command now uses only such a file of its own user, and says why not
otherwise, in both languages.

Real processes: the ``shegong`` command and an HTTP server recording what reaches it.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SHEGONG, clean_env, serving

KEY = "sgk_0123456789ab_" + "s" * 43


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A server's URL and the keys that reached it."""
    reached: list[str] = []

    class Recording(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reached.append(self.headers.get("Authorization") or "(no key)")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(
                b'{"name": "planted", "role": "admin", "writes": "everything", "auth": "keys"}'
            )

        def log_message(self, *_: object) -> None: ...

    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)) as url:
        yield url, reached


def planted(folder: Path, url: str, file_mode: int, dir_mode: int) -> None:
    data = folder / ".shegong"
    data.mkdir(parents=True)
    services = {"registry": url, "training": url, "matching": url}
    (data / "platform.json").write_text(json.dumps({"services": services, "pid": os.getpid()}))
    (data / "platform.json").chmod(file_mode)
    data.chmod(dir_mode)


def whoami(folder: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SHEGONG, "auth", "whoami"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
        env=clean_env(XDG_CONFIG_HOME=str(home), SHEGONG_API_KEY=KEY),
    )


@pytest.mark.parametrize(("file_mode", "dir_mode"), [(0o644, 0o755), (0o600, 0o777)])
def test_a_discovery_file_open_to_others_is_not_used(
    recorder: tuple[str, list[str]], tmp_path: Path, file_mode: int, dir_mode: int
) -> None:
    url, reached = recorder
    planted(tmp_path / "copied", url, file_mode, dir_mode)
    done = whoami(tmp_path / "copied", tmp_path / "config")
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "platform.json" in said and "私有文件" in said and "not a private file" in said, said
    assert KEY not in said
    assert reached == [], "nothing reached the address the planted file named"


def test_the_users_own_private_discovery_file_is_used(
    recorder: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, reached = recorder
    planted(tmp_path / "own", url, 0o600, 0o700)  # as `shegong up` writes it
    done = whoami(tmp_path / "own", tmp_path / "config")
    assert done.returncode == 0, done.stdout + done.stderr
    assert reached == [f"Bearer {KEY}"]


def test_a_credentials_file_open_to_others_is_narrowed_when_read(tmp_path: Path) -> None:
    """The per-user credentials file holds each local platform's admin key; one restored
    from a backup or copied under umask 022 (0644, in a 0755 folder) was read as it was
    and left open to every user of the machine. Reading it now makes it 0600 in 0700."""
    config = tmp_path / "config"
    (config / "shegong").mkdir(parents=True)
    creds = config / "shegong" / "credentials.json"
    creds.write_text(json.dumps({"current": None, "platforms": {}}))
    creds.chmod(0o644)
    (config / "shegong").chmod(0o755)
    subprocess.run(
        [*SHEGONG, "status"],
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(XDG_CONFIG_HOME=str(config)),
    )
    assert creds.stat().st_mode & 0o777 == 0o600
    assert (config / "shegong").stat().st_mode & 0o777 == 0o700
