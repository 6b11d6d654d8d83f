"""The career ladder (三级进阶) in the registry: the qualification exams → senior title
review → expert pool, declared as rules in ``rules.toml`` (or the operator's own file) and
evaluated for census persons from events; the process manager that turns a passed exam
from ``training.events`` into a certificate."""

from __future__ import annotations

from collections.abc import Sequence

from shegong.kernel.events.read_model import Projection
from shegong.registry.ladder.api import ladder_router
from shegong.registry.ladder.config import LadderRulesError, load_ladder_file
from shegong.registry.ladder.decide import Ladder
from shegong.registry.ladder.eligibility import LadderEligibilityProjection
from shegong.registry.ladder.process import (
    LadderCensusWatch,
    LadderCertificateWatch,
    LadderProcess,
)

__all__ = [
    "Ladder",
    "LadderRulesError",
    "ladder_projections",
    "ladder_router",
    "load_ladder_file",
]


def ladder_projections(ladder: Ladder) -> Sequence[Projection]:
    watches: list[Projection] = [LadderCertificateWatch(ladder)]
    if ladder.census:
        watches.append(LadderCensusWatch(ladder))
    return [LadderProcess(ladder), *watches, LadderEligibilityProjection()]
