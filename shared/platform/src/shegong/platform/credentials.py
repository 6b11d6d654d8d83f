"""Keys of a platform on one machine, and where this user's ``shegong`` finds them.

``shegong up`` creates, once, a local admin key and a key the services read each
other's feeds with. The keys file in the data dir holds their hashes only (the
services read it, ``API_KEYS_FILE``); the two keys themselves are kept beside it, mode
0600, like the PII hashing key. The admin key and the platform's URLs also go into a
per-user credentials file (``$XDG_CONFIG_HOME/shegong/credentials.json``, else
``~/.config/shegong/credentials.json``, mode 0600), so the CLI and scripts on this
machine find them with no flags.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shegong.kernel.api_keys import KeysFile, Role, split_key

KEYS_FILE = "api-keys.json"
ADMIN_KEY_FILE = "admin.key"
SERVICE_KEY_FILE = "service.key"


@dataclass(frozen=True)
class LocalKeys:
    keys_file: Path
    admin: str
    service: str


def keys_file(data_dir: Path) -> KeysFile:
    return KeysFile(data_dir / KEYS_FILE)


def local_keys(data_dir: Path) -> LocalKeys:
    """The platform's admin and service keys, issued on first start and kept after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = keys_file(data_dir)
    admin = _kept_key(data_dir / ADMIN_KEY_FILE, keys, "admin", "local-admin")
    service = _kept_key(data_dir / SERVICE_KEY_FILE, keys, "service", "local-services")
    return LocalKeys(keys.path.resolve(), admin, service)


def _kept_key(path: Path, keys: KeysFile, role: Role, name: str) -> str:
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


def write_credentials(url: str, api_key: str, data_dir: Path, services: dict[str, str]) -> Path:
    path = credentials_path()
    body = {
        "url": url,
        "api_key": api_key,
        "role": "admin",
        "data_dir": str(data_dir.resolve()),
        "services": services,
    }
    _write_private(path, json.dumps(body, indent=1) + "\n")
    return path


def read_credentials() -> dict[str, Any] | None:
    path = credentials_path()
    if not path.exists():
        return None
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
