"""Training's own settings, on top of the kernel's: who owes pre-job training (岗前培训)
and in how many days."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shegong.kernel.ops.settings import ServiceSettings


class TrainingSettings(ServiceSettings):
    prejob_window_days: int = Field(
        default=90, ge=1, description="Days a new worker has for pre-job training (岗前培训)"
    )
    prejob_new_hires_from: date | None = Field(
        default=None,
        description="Who owes pre-job training: people hired on or after this day (default: "
        "the day their department's first roster reached training — staff already in "
        "service then owe nothing)",
    )
