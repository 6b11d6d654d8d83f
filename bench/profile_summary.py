"""Where a service's CPU went: sums py-spy's folded stacks (``--format raw``) by task
and by layer, so a profile reads as "ms per command" rather than as a flame graph.

    uv run python bench/profile_summary.py PROFILE.txt [--per N] [--ms-per-sample 4]

``--per N`` divides by N commands (the bench's N); ``--ms-per-sample`` is 1000 / the
sampling rate (the bench samples at 250 Hz: 4 ms). Idle threads are not sampled.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# What a sample was working for: the first pattern found anywhere in its stack, in this
# order (a relay's SQL is the relay's; a request's SQL is the request's).
TASKS: list[tuple[str, str]] = [
    ("relay (outbox → Redis)", r"kernel/events/relay\.py"),
    ("subscription: census", r"registry/census/"),
    ("subscription: ladder", r"registry/ladder/"),
    ("subscription: workers/regions read models", r"registry/projections/"),
    ("subscription: runner, decode, ack", r"kernel/events/(subscription|projection)\.py"),
    ("FastStream polling / claiming", r"faststream/"),
    ("HTTP request (edge → response)", r"starlette/|fastapi/|kernel/web/edge\.py"),
    ("uvicorn / h11 (HTTP parsing, transport)", r"uvicorn/|h11/|httptools"),
    ("aiosqlite worker thread", r"aiosqlite/core\.py"),
    ("asyncio loop itself", r"asyncio/"),
]

# What kind of work the sample's innermost frames were doing (leaf first).
LAYERS: list[tuple[str, str]] = [
    ("SQLite / libpq itself (driver call)", r"\((sqlite3|psycopg/.*?(cursor|connection|waiting))"),
    ("aiosqlite thread hand-off", r"aiosqlite/"),
    ("psycopg (Python side)", r"psycopg/"),
    ("SQLAlchemy: compile statement", r"sqlalchemy/sql/(compiler|cache_key|traversals)\.py"),
    ("SQLAlchemy: build statement", r"sqlalchemy/sql/"),
    ("SQLAlchemy: execute / result rows", r"sqlalchemy/"),
    ("pydantic (validate / dump)", r"pydantic|pydantic_core"),
    ("JSON encode / decode", r"json/|orjson|jsonable_encoder"),
    ("prometheus_client (metrics)", r"prometheus_client/"),
    ("OpenTelemetry (tracing)", r"opentelemetry/"),
    ("logging", r"logging/|kernel/ops/logs\.py"),
    ("redis-py (commands, parsing)", r"redis/"),
    ("FastStream", r"faststream/"),
    ("FastAPI dependencies / routing", r"fastapi/"),
    ("Starlette", r"starlette/"),
    ("uvicorn / h11", r"uvicorn/|h11/"),
    ("hashing / identity (keyed hashes, masks)", r"kernel/data/identity\.py|hmac|hashlib"),
    ("shegong kernel (other)", r"\((shegong/)?kernel/"),
    ("shegong services (domain)", r"\((shegong/)?(registry|training|matching)/"),
    ("shegong contracts", r"\((shegong/)?contracts/"),
    ("asyncio", r"asyncio/"),
]


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def classify(frames: list[str], rules: list[tuple[str, re.Pattern[str]]], leaf_first: bool) -> str:
    ordered = list(reversed(frames)) if leaf_first else frames
    if leaf_first:
        for frame in ordered:
            for name, rule in rules:
                if rule.search(frame):
                    return name
        return "other"
    for name, rule in rules:
        if any(rule.search(f) for f in ordered):
            return name
    return "other"


def table(title: str, counts: Counter[str], total: int, scale: float) -> None:
    print(f"\n{title}")
    print(f"{'':<48} {'share':>7} {'ms/cmd':>8}")
    for name, n in counts.most_common():
        print(f"{name:<48} {n / total:>7.1%} {n * scale:>8.3f}")
    print(f"{'total':<48} {1:>7.1%} {total * scale:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--per", type=int, default=1, help="commands the profile covers")
    parser.add_argument("--ms-per-sample", type=float, default=4.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", help="only stacks with a frame matching this regex")
    args = parser.parse_args()
    stacks = parse(args.profile)
    if args.only:
        only = re.compile(args.only)
        stacks = [(f, n) for f, n in stacks if any(only.search(x) for x in f)]
    total = sum(n for _, n in stacks)
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    scale = args.ms_per_sample / args.per
    tasks = [(n, re.compile(p)) for n, p in TASKS]
    layers = [(n, re.compile(p)) for n, p in LAYERS]
    by_task: Counter[str] = Counter()
    by_layer: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for frames, n in stacks:
        by_task[classify(frames, tasks, leaf_first=False)] += n
        by_layer[classify(frames, layers, leaf_first=True)] += n
        leaf[frames[-1]] += n
    print(f"{total} samples, {total * args.ms_per_sample / 1000:.1f} s CPU sampled")
    table("by task (what the work was for)", by_task, total, scale)
    table("by layer (innermost recognised frame)", by_layer, total, scale)
    print(f"\ntop {args.top} innermost frames")
    for frame, n in leaf.most_common(args.top):
        print(f"{n / total:>7.1%}  {frame[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
