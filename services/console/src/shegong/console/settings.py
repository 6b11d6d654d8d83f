"""The console's settings, from the environment.

The services' base URLs come from ``REGISTRY_URL``, ``TRAINING_URL`` and ``MATCHING_URL``;
where one is not set, from ``FEEDS`` (the producing-source → URL map ``shegong up`` and the
deployments give every process), so the console runs beside the services with no extra
configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("registry", "training", "matching")


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    host: str = "127.0.0.1"
    port: int | None = None
    registry_url: str | None = None
    training_url: str | None = None
    matching_url: str | None = None
    feeds: dict[str, str] = Field(default_factory=dict)
    session_secret: SecretStr | None = Field(
        default=None, description="Keys the session cookie; default: derived from PII_HASH_KEY"
    )
    pii_hash_key: SecretStr | None = None
    session_max_age_s: int = 8 * 3600
    https_only: bool = Field(
        default=False, description="Mark the session cookie Secure (always when served over https)"
    )
    redis_url: str | None = Field(
        default=None, description="Shares ended sessions (logouts) with the other replicas"
    )
    stream_prefix: str = ""
    timeout_s: float = 10.0
    log_level: str = "INFO"

    def service_url(self, name: str) -> str | None:
        explicit = getattr(self, f"{name}_url", None)
        if explicit:
            return str(explicit).rstrip("/")
        for source, url in self.feeds.items():
            if source.strip("/").split("/")[1:2] == [name]:
                return url.rstrip("/")
        return None

    def cookie_secret(self) -> str:
        if self.session_secret is not None and self.session_secret.get_secret_value():
            return self.session_secret.get_secret_value()
        if self.pii_hash_key is not None and self.pii_hash_key.get_secret_value():
            # A key of its own, derived so the hashing key itself never signs cookies.
            key = self.pii_hash_key.get_secret_value().encode()
            return hmac.new(key, b"shegong-console-session", hashlib.sha256).hexdigest()
        # No secret configured: sessions last as long as this process.
        return secrets.token_hex(32)
