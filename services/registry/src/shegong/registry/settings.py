"""The registry's own settings, on top of the kernel's: the census and the ladder on this
node, the ladder's rules file and its daily sweep."""

from __future__ import annotations

from datetime import time

from pydantic import Field

from shegong.kernel.ops.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    registry_census: bool = Field(
        default=True,
        description="Run the city census on this node (REGISTRY_CENSUS). The city's node does; "
        "a department's own node sets it off: its events reach the city's census over the bus.",
    )
    registry_census_process: bool = Field(
        default=True,
        description="Run the census in a worker process of its own (REGISTRY_CENSUS_PROCESS): "
        "its linking and retraining compute on another CPU, not on the event loop (and GIL) "
        "that answers HTTP. Off: in the service's process (an in-memory SQLite database "
        "always is).",
    )
    registry_ladder_rules: str | None = Field(
        default=None,
        description="The ladder's rules file (REGISTRY_LADDER_RULES=/path/rules.toml) in place "
        "of the shipped rules.toml; checked at start: a mistake stops the registry, naming "
        "the line and the reason",
    )
    registry_ladder: bool = Field(
        default=True,
        description="Decide the ladder on this node (REGISTRY_LADDER). With the census it "
        "decides for the city's persons; a department's node without the census may set it "
        "off and leave the ladder to the city's node",
    )
    registry_ladder_sweep: bool = Field(
        default=True,
        description="Re-evaluate the ladder daily (REGISTRY_LADDER_SWEEP): time-based rules "
        "(a certificate held N years) change eligibility without an event",
    )
    registry_ladder_sweep_at: time = Field(
        default=time(2, 0),
        description="Local time of the daily ladder sweep (REGISTRY_LADDER_SWEEP_AT)",
    )


def census_enabled(settings: ServiceSettings) -> bool:
    return registry_settings(settings).registry_census


def census_processes(settings: ServiceSettings) -> tuple[str, ...]:
    """The read models a worker process applies: the census, where it runs in one."""
    own = registry_settings(settings)
    url = own.database_for("registry")
    in_memory = url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith(":"))
    if own.registry_census and own.registry_census_process and not in_memory:
        return ("census",)
    return ()


def registry_settings(settings: ServiceSettings) -> RegistrySettings:
    if isinstance(settings, RegistrySettings):
        return settings
    return RegistrySettings()
