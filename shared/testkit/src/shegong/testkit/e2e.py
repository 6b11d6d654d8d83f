"""What the end-to-end tests start the same way: the bus settings every service of one
test shares, and the city's registry node on SQLite under the test's directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from shegong.kernel.ops.settings import ServiceSettings

__all__ = ["bus_settings", "e2e_registry"]


def bus_settings(redis_url: str, stream_prefix: str) -> dict[str, Any]:
    """One Redis, one stream prefix, one hashing key; catch up at once, claim quickly."""
    return {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": "k" * 32,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
    }


def e2e_registry(tmp_path: Path, common: dict[str, Any]) -> FastAPI:
    """The registry service (with its census) on SQLite in ``tmp_path``."""
    from shegong.registry.main import build as build_registry

    return build_registry(
        ServiceSettings(
            database_url=f"sqlite:///{tmp_path}/registry.db",
            data_dir=str(tmp_path / "registry"),
            consumer_name="registry-e2e",
            **common,
        )
    )
