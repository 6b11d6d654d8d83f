"""Keys of a platform on one machine, and where this user's ``shegong`` finds them.

``shegong up`` creates, once, a local admin key and a key the services read each
other's feeds with. The keys file in the data dir holds their hashes only (the
services read it, ``API_KEYS_FILE``); the two keys themselves are kept beside it, mode
0600, like the PII hashing key.

Two files tell a client where a platform is and which key it takes:

- ``<data dir>/platform.json`` (the discovery file): the URLs ``shegong up`` actually
  bound (a taken default port means another one), its pid and data dir; written when
  the platform is ready, removed when it stops.
- the per-user credentials file (``$XDG_CONFIG_HOME/shegong/credentials.json``, else
  ``~/.config/shegong/credentials.json``, mode 0600): one entry per data dir (its admin
  key and URLs) and which platform was started last. A second platform — another
  checkout, another data dir — adds its own entry and never replaces another's key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the keys' models load only where keys are issued (not for --help)
    from shegong.kernel.web.api_keys import KeysFile, Role

KEYS_FILE = "api-keys.json"
PLATFORM_FILE = "platform.json"
ADMIN_KEY_FILE = "admin.key"
SERVICE_KEY_FILE = "service.key"


@dataclass(frozen=True)
class LocalKeys:
    keys_file: Path
    admin: str
    service: str


def keys_file(data_dir: Path) -> KeysFile:
    from shegong.kernel.web.api_keys import KeysFile

    return KeysFile(data_dir / KEYS_FILE)


def local_keys(data_dir: Path) -> LocalKeys:
    """The platform's admin and service keys, issued on first start and kept after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = keys_file(data_dir)
    admin = _kept_key(data_dir / ADMIN_KEY_FILE, keys, "admin", "local-admin")
    service = _kept_key(data_dir / SERVICE_KEY_FILE, keys, "service", "local-services")
    return LocalKeys(keys.path.resolve(), admin, service)


def _kept_key(path: Path, keys: KeysFile, role: Role, name: str) -> str:
    from shegong.kernel.web.api_keys import split_key

    if path.exists():
        key = path.read_text().strip()
        parts = split_key(key)
        if parts and any(r.id == parts[0] for r in keys.read()):
            return key
    # First start, or the key was revoked: issue a fresh one.
    key = keys.issue(role, name=name)
    _write_private(path, key + "\n")
    return key


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shegong" / "credentials.json"


def write_credentials(data_dir: Path, api_key: str, services: dict[str, str]) -> Path:
    """This platform's admin key and URLs under its data dir; other platforms' stay."""
    path = credentials_path()
    home = str(data_dir.resolve())
    platforms = dict(read_credentials().get("platforms", {}))
    platforms[home] = {
        "api_key": api_key,
        "role": "admin",
        "services": services,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_private(path, json.dumps({"current": home, "platforms": platforms}, indent=1) + "\n")
    return path


def forget_credentials(data_dir: Path) -> None:
    """Take one platform's entry out (a kept demo's, whose data dir is about to go)."""
    path = credentials_path()
    found = read_credentials()
    platforms = dict(found.get("platforms", {}))
    home = str(data_dir.resolve())
    if platforms.pop(home, None) is None:
        return
    if not platforms:
        path.unlink(missing_ok=True)
        return
    current = found.get("current")
    body = {"current": current if current in platforms else None, "platforms": platforms}
    _write_private(path, json.dumps(body, indent=1) + "\n")


def read_credentials() -> dict[str, Any]:
    """``{"current": data dir, "platforms": {data dir: {"api_key", "services" …}}}``; an
    older file (one platform at the top level) is read as that one platform."""
    path = credentials_path()
    if not path.exists():
        return {}
    _narrow(path)
    found: dict[str, Any] = json.loads(path.read_text())
    if "platforms" not in found and found.get("data_dir"):
        home = found["data_dir"]
        return {"current": home, "platforms": {home: found}}
    return found


def _narrow(path: Path) -> None:
    """The admin keys are this user's only (round 11): a credentials file open to others —
    restored from a backup, copied, or made under an older version — and its folder are
    made 0600 and 0700 when read, as they are when written."""
    for part, mode in ((path.parent, 0o700), (path, 0o600)):
        try:
            st = part.stat()
            if st.st_mode & 0o077 and st.st_uid == os.getuid():
                part.chmod(mode)
        except (OSError, AttributeError):  # not ours to change; Windows has no getuid
            pass


def write_platform_file(data_dir: Path, body: dict[str, Any]) -> Path:
    """The discovery file: where this running platform's services answer."""
    path = data_dir / PLATFORM_FILE
    body = {
        **body,
        "pid": os.getpid(),
        "data_dir": str(data_dir.resolve()),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_private(path, json.dumps(body, indent=1) + "\n")
    return path


def remove_platform_file(data_dir: Path) -> None:
    path = data_dir / PLATFORM_FILE
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
