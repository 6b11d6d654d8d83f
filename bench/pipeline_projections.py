"""The read models the registry's stream feeds besides the census, caught up one by one
after the census in ``bench_census_pipeline.py --projections`` (wall and CPU each)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from shegong.kernel.ops.db import create_engine, writing
from shegong.kernel.ops.runtime import Runtime
from shegong.registry.census.projection import CensusProjection


async def other_projections(runtime: Runtime, n_rows: int) -> None:
    """The read models the same stream feeds besides the census, each caught up on its own
    from the store's feed after it (wall and CPU): the registry's other projections on
    its database; training's and matching's workforce on databases of their own (as
    under ``shegong up``), reading the registry's feed."""
    from shegong.kernel.events.projection import ProjectionRunner
    from shegong.kernel.events.schema import metadata as kernel_metadata
    from shegong.matching.adapters.tables import metadata as matching_tables
    from shegong.matching.projections.workforce import WorkforceProjection as MatchingWorkforce
    from shegong.training.projections.workforce import WorkforceProjection as TrainingWorkforce

    runners = [r for r in runtime.runners if not isinstance(r.projection, CensusProjection)]
    folder = Path(tempfile.mkdtemp())
    engines = []
    for projection, extra in ((TrainingWorkforce(), []), (MatchingWorkforce(), [matching_tables])):
        engine = create_engine(f"sqlite:///{folder / projection.name}.db")
        engines.append(engine)
        async with writing(engine) as conn:
            for md in (kernel_metadata, projection.metadata, *extra):
                await conn.run_sync(md.create_all)
        runners.append(ProjectionRunner(engine, projection, runtime.feeds))
    total_wall = total_cpu = 0.0
    for runner in runners:
        cpu, start = time.process_time(), time.perf_counter()
        applied = await runner.catch_up(runtime.source, page=1000)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(
            f"  {runner.name:<22} {applied:>7,} entries in {wall:5.1f}s "
            f"(CPU {cpu:4.1f}s, {cpu / n_rows * 1000:.3f} ms a row)"
        )
    print(f"other projections: {total_wall:.1f}s (CPU {total_cpu:.1f}s)")
    for engine in engines:
        await engine.dispose()
