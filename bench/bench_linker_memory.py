"""The census linker's memory and time, and its output, on one generated city.

    uv run --group bench python bench/bench_linker_memory.py --persons 20000 \
        [--city today] [--seed 2024] [--memory] [--top 25] [--dump out.json] [--churn]

The rows go through the registry's roster parser and census conversion (as
``bench_census_quality.py --path engine``, with a fixed hashing key so that two runs see
the same hashes; the records are cached under ``$TMPDIR``), then into one ``Linker``
record by record, then ``train()``. Prints the link time; with ``--memory`` the bytes
the linker holds (tracemalloc, one more run) and the lines that hold the most. With
``--dump`` writes the persons, the review queue and every decision returned, to compare
two versions of the linker (``cmp a.json b.json``). With ``--churn`` the run is one of
changes instead (adds with ``auto_train``, a fifth of the records updated — organisation
or phone dropped, name changed —, a tenth removed, some added back, ``train()``), and the
dump holds every decision of every step.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_census_quality import census_records, roster_bytes
from cities import GENERATORS


def records_of(city_name: str, persons: int, seed: int) -> list[Any]:
    from dataclasses import fields

    from shegong.registry.census.features import CensusRecord

    # a record of another shape (a field added since) is not this code's: its own file
    shape = zlib.crc32(" ".join(f.name for f in fields(CensusRecord)).encode())
    name = f"linker-records-{city_name}-{persons}-{seed}-{shape:08x}.pickle"
    cache = Path(tempfile.gettempdir()) / name
    if cache.exists():
        records: list[Any] = pickle.loads(cache.read_bytes())
        return records
    from shegong.kernel.data.identity import PersonalDataHasher
    from shegong.registry.imports.roster import parse_roster

    hasher = PersonalDataHasher(b"linker-memory-bench-fixed-key-32")
    city = GENERATORS[city_name](persons, seed)
    records = []
    for roster in city.rosters:
        filename, data, _ = roster_bytes(roster)
        records.extend(census_records(roster.code, parse_roster(data, filename).rows, hasher))
    cache.write_bytes(pickle.dumps(records))
    return records


def _decision(d: Any) -> list[Any]:
    fields = [type(d).__name__, d.a, d.b]
    for name in ("rule", "reason", "score"):
        if hasattr(d, name):
            fields.append(getattr(d, name))
    fields.append(d.evidence)
    return fields


def run(records: list[Any]) -> tuple[Any, list[Any]]:
    from shegong.registry.census.linkage import Linker

    linker = Linker()
    out: list[Any] = []
    for record in records:
        out.extend(linker.add(record))
    out.extend(linker.train())
    return linker, out


def churn(records: list[Any]) -> tuple[Any, list[Any]]:
    """Adds (training as the census grows), updates, removals, re-adds and a retraining:
    the linker's incremental paths, each step's decisions kept in order."""
    import dataclasses

    from shegong.registry.census.linkage import Linker

    linker = Linker(auto_train=True)
    out: list[Any] = []
    for record in records:
        out.extend(linker.add(record))
    for i, record in enumerate(records[::5]):
        if i % 3 == 0:
            changed = dataclasses.replace(record, organization=None)
        elif i % 3 == 1:
            changed = dataclasses.replace(record, phone_hash=None, phone_kind=None)
        else:
            changed = dataclasses.replace(record, name=record.name[:1] + "某")
        out.extend(linker.update(changed))
    removed = records[3::10]
    for record in removed:
        out.extend(linker.remove(record.key))
    for record in removed[::2]:
        out.extend(linker.add(record))
    out.extend(linker.train())
    return linker, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", choices=list(GENERATORS), default="today")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument(
        "--memory-only", action="store_true", help="with --memory: skip the timed run"
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--churn", action="store_true", help="updates, removals, re-adds")
    args = parser.parse_args()
    records = records_of(args.city, args.persons, args.seed)
    from shegong.registry.census.names import warm_names

    warm_names()  # the dictionaries' load is not the linker's time
    linker: Any = None
    decisions: list[Any] = []
    if not (args.memory and args.memory_only):
        start, cpu = time.perf_counter(), time.process_time()
        linker, decisions = (churn if args.churn else run)(records)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"{args.city} {args.persons} persons: {len(records)} records, "
            f"{'churn' if args.churn else 'link + train'} {seconds:.2f} s ({cpu:.2f} s CPU)"
        )
    if args.dump:
        dump = {
            "persons": sorted(sorted(keys) for keys in linker.persons().values()),
            "queue": [_decision(r) for r in linker.review_queue()],
            "decisions": [_decision(d) for d in decisions],
            "model": repr(linker.model),
        }
        args.dump.write_text(json.dumps(dump, ensure_ascii=False, default=str, indent=0))
        print(
            f"dumped {len(dump['persons'])} persons, {len(dump['queue'])} queued pairs, "
            f"{len(decisions)} decisions to {args.dump}"
        )
    if args.memory:
        del linker, decisions
        # Every cache the linker fills, emptied, so that they are counted as the linker's.
        from shegong.kernel.data import names as kernel_names
        from shegong.registry.census import comparison, names

        for module in (comparison, names, kernel_names):
            for value in vars(module).values():
                if hasattr(value, "cache_clear") and not isinstance(value, type):
                    value.cache_clear()
        tracemalloc.start()
        linker, decisions = run(records)
        del decisions
        # The keys and pairs changed since the last batch: the census's projection drains
        # them after each batch (``projection.py``); undrained they are one set entry a
        # record, which the linker does not hold between batches.
        linker.drain_changes()
        # What the linker holds, not the cycles a collection would free (``partition``'s
        # closures keep its last call's locals until then).
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        print(f"linker holds {held:,} bytes: {held / len(records):,.0f} bytes a record")
        for stat in snapshot.statistics("lineno")[: args.top]:
            frame = stat.traceback[0]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            print(f"  {stat.size / len(records):8,.0f} B/rec  {stat.count:9,d} blocks  {where}")


if __name__ == "__main__":
    main()
