"""The career ladder (三级进阶) in the registry: certificate → senior title review → expert
pool, declared as rules in ``rules.toml`` and evaluated from events; the process manager
that turns a passed exam from ``training.events`` into a certificate."""

from __future__ import annotations

from collections.abc import Sequence

from shegong.kernel.projection import Projection
from shegong.kernel.runtime import Runtime
from shegong.registry.ladder.api import ladder_router
from shegong.registry.ladder.eligibility import LadderEligibilityProjection
from shegong.registry.ladder.process import LadderCertificateWatch, LadderProcess

__all__ = ["ladder_projections", "ladder_router"]


def ladder_projections(runtime: Runtime) -> Sequence[Projection]:
    process = LadderProcess(runtime.store)
    return [process, LadderCertificateWatch(process), LadderEligibilityProjection()]
