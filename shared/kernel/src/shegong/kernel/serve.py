"""Running one service as a process: settings, logging, the hashing key, uvicorn."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from shegong.kernel.auth import AuthConfigError
from shegong.kernel.identity import PersonalDataHasher
from shegong.kernel.runtime import ServiceDefinition
from shegong.kernel.settings import ServiceSettings

log = logging.getLogger("shegong.serve")

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


def hasher_for(settings: ServiceSettings) -> PersonalDataHasher:
    if settings.pii_hash_key is not None:
        return PersonalDataHasher(settings.pii_hash_key.get_secret_value())
    log.warning(
        "PII_HASH_KEY is not set; using the local key in %s/%s", settings.data_dir, KEY_FILE
    )
    return PersonalDataHasher(local_hash_key(settings.data_dir))


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # FastStream logs two lines per message at INFO: a measured 30 % of throughput.
    logging.getLogger("shegong.bus").setLevel(logging.WARNING)


def serve(definition: ServiceDefinition, build: Callable[[ServiceSettings], FastAPI]) -> None:
    settings = ServiceSettings()
    configure_logging(settings.log_level)
    try:
        app = build(settings)
    except AuthConfigError as err:
        log.error("%s", err)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port or definition.default_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
