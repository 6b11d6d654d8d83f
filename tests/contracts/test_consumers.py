"""Every consumer of a stream accounts for every event type on it: each projection (read
model or process manager) of every service names each type of its contract as one it
``handles`` or one it ``ignores``. A new event on a stream fails here until each of its
consumers has decided."""

from __future__ import annotations

import importlib

import pytest

from shegong.kernel.events.read_model import Projection

SERVICES = ("registry", "training", "matching")


def _projections() -> list[type[Projection]]:
    for service in SERVICES:
        importlib.import_module(f"shegong.{service}.main")
    importlib.import_module("shegong.kernel.testing")
    found, todo = [], list(Projection.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if hasattr(cls, "contract"):
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


PROJECTIONS = _projections()


def test_every_service_projection_is_checked() -> None:
    names = {f"{c.__module__.split('.')[1]}.{c.__name__}" for c in PROJECTIONS}
    assert {"registry.WorkersProjection", "training.WorkforceProjection"} <= names
    assert {"matching.TrainingProjection", "registry.LadderProcess"} <= names


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_each_event_type_is_handled_or_ignored(projection: type[Projection]) -> None:
    known = set(projection.contract.types())
    assert projection.handles <= known, (
        f"not on {projection.contract.name}: {projection.handles - known}"
    )
    assert projection.ignores <= known, (
        f"not on {projection.contract.name}: {projection.ignores - known}"
    )
    assert not projection.handles & projection.ignores, "both handled and ignored"
    assert projection.unaccounted() == [], (
        f"{projection.__name__} says nothing of {projection.unaccounted()} on "
        f"{projection.contract.name}: add each to its `handles` (and apply it) or `ignores`"
    )
