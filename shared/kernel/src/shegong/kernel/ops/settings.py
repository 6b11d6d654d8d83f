"""Settings from the environment — the same names in every service.

``DATABASE_URL``, ``REDIS_URL``, ``HOST``, ``PORT``, ``DEPARTMENT``, ``NODE``,
``STREAM_PREFIX``, ``CONSUMER_NAME``, ``PII_HASH_KEY``, ``FEEDS`` (JSON: producing
source → feed base URL), ``LOG_LEVEL``, ``LOG_FORMAT``, ``SCHEMA_ON_START``, the access
settings (``AUTH``, ``API_KEYS_FILE``, ``API_KEYS``, ``SERVICE_API_KEY``; see ``auth.py``)
and the tuning knobs below. Tracing reads the standard ``OTEL_*`` variables (``tracing.py``).
Secrets come from the environment (or a Kubernetes Secret), never from the repository.
"""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: sqlite file under DATA_DIR"
    )
    data_dir: str = Field(default="./data", description="Where SQLite files live by default")
    redis_url: str = "redis://127.0.0.1:6379/0"
    # The bus connection's timeouts: a reply, a connection attempt (seconds), and how long
    # an idle connection goes unchecked. An outage longer than all of them is survived.
    redis_socket_timeout_s: float = 10.0
    redis_connect_timeout_s: float = 5.0
    redis_health_check_s: int = 30
    worker_processes: bool = Field(
        default=True,
        description="Let a service run its CPU-heavy read models in worker processes of its "
        "own (WORKER_PROCESSES; the census: REGISTRY_CENSUS_PROCESS). `shegong up`'s one host "
        "process sets it off unless told otherwise: a second process costs ≈ 110 MB idle.",
    )
    host: str = "127.0.0.1"
    port: int | None = None
    department: str = Field(default="city", description="Department code this node acts for")
    node: str | None = Field(default=None, description="Node name; default: the department")
    stream_prefix: str = Field(default="", description="Prefix for every stream key")
    consumer_name: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    pii_hash_key: SecretStr | None = Field(
        default=None, description="Key for hashing ID numbers and phones (≥16 bytes)"
    )
    feeds: dict[str, str] = Field(default_factory=dict)
    auth: Literal["auto", "required", "open"] = Field(
        default="auto",
        description="auto: API keys if any are configured, else open on a loopback HOST "
        "and refuse to start on any other; required: keys always; open: no keys (tests)",
    )
    api_keys_file: str | None = Field(
        default=None, description="JSON list of hashed API keys; re-read when it changes"
    )
    api_keys: SecretStr | None = Field(
        default=None, description="The same JSON list inline (a Kubernetes Secret)"
    )
    service_api_key: SecretStr | None = Field(
        default=None, description="This service's key for reading other services' feeds"
    )
    batch_size: int = 200
    claim_idle_ms: int = 60_000
    max_deliveries: int = 5
    catch_up_s: float = 30.0
    # Events a relay round publishes. Under a big import the relay's loop is busy, each of
    # its awaits waits its turn: 500 a round held it to ≈ 420 events/s, far behind the
    # store, and the census behind it (bench/README.md, census end to end, round 8).
    relay_batch: int = 2000
    stream_maxlen: int | None = 1_000_000
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="json in containers (the image sets it), text locally"
    )
    schema_on_start: Literal["migrate", "check"] = Field(
        default="migrate",
        description="migrate: upgrade to head at start; check: wait for the migrate step",
    )
    schema_wait_s: float = Field(
        default=300.0, description="check: how long to wait for the migrate step"
    )

    def database_for(self, service: str) -> str:
        """This service's database. ``{service}`` in DATABASE_URL is replaced, so one
        setting can serve every service of a platform (each still gets its own database)."""
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite:///{os.path.abspath(self.data_dir)}/{service}.db"

    def source_for(self, service: str) -> str:
        return f"/shegong/{service}/{self.node or self.department}"
