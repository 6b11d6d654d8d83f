"""The census against Splink: the same generated rosters, linked by both, scored from truth.

    uv sync --group bench
    uv run --group bench python bench/bench_census_quality.py
        [--city today|certs|movers|holdout|all] [--persons 10000] [--seed 2024]
        [--path engine|service] [--splink-threshold 0.9]

For each city (see ``bench/cities``) the departments' roster files are written as they
arrive (CSV in UTF-8 with BOM or GBK, XLSX; each department with its own headers), then
in the same run:

* **ours** — ``--path engine``: each file through the registry's own roster parser
  (``parse_roster``) and the census's own conversion to records (keyed hashes, masks:
  ``synthetic.to_census_record``), linked by the census ``Linker`` one record at a time.
  ``--path service``: the user's path — ``shegong up`` in a subprocess, every file
  ``POST /imports/roster`` over HTTP, wait until ``/census/status`` has every imported
  record, read the persons back from ``/census/export``; timed file → merged census, beside
  a plain bulk INSERT of the same rows into SQLite in the same run.
* **Splink** (Fellegi–Sunter, m by EM, u by random sampling, unsupervised; DuckDB) on the raw
  rows, after the standardisation a Splink user writes (headers mapped to one schema;
  whitespace out of names; phone digits; dates to ISO). Clustered at match probability
  ≥ ``--splink-threshold``.

Scored from the generator's truth over every row of every file: a row that never reaches
the census (refused by the import) counts as a person of its own. Printed side by side:
pairwise and B-cubed precision / recall / F1, persons found vs true, rows lost, review
queue (ours), wall time.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from census_bound import bound_result
from census_linker import link
from census_score import Result, print_table, score
from census_service import Platform, run_ours_service
from cities import GENERATORS, City, Roster
from splink_peer import run_splink

# --------------------------------------------------------------------------- files


def roster_bytes(roster: Roster) -> tuple[str, bytes, str]:
    """(file name, content, what it is) as the department would upload it."""
    if roster.file_format == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("花名册")
        ws.append(roster.columns)
        for row in roster.rows:  # every cell as text, as a careful clerk formats ID columns
            ws.append([row[c] for c in roster.columns])
        buf = io.BytesIO()
        wb.save(buf)
        return f"{roster.code}.xlsx", buf.getvalue(), "xlsx"
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(roster.columns)
    for row in roster.rows:
        writer.writerow([row[c] for c in roster.columns])
    if roster.file_format == "csv-gbk":
        try:
            return f"{roster.code}.csv", text.getvalue().encode("gbk"), "csv GBK"
        except UnicodeEncodeError:  # a character GBK lacks: Excel would save UTF-8 instead
            pass
    return f"{roster.code}.csv", ("\ufeff" + text.getvalue()).encode(), "csv UTF-8"


# --------------------------------------------------------------------------- ours: engine


def census_records(code: str, parsed_rows: Iterable[Any], hasher: Any) -> list[Any]:
    """Parsed roster rows → what the census sees (the registry's own conversion)."""
    from shegong.registry.census.certificates import certificate_code
    from shegong.testkit.census_city import RosterRow, to_census_record

    out = []
    for row in parsed_rows:
        # The row's certificate, as its WorkerCertified gives it to the census.
        certs = (
            certificate_code(row.cert_level.value, row.certified_on, row.cert_no)
            if row.cert_level and row.certified_on
            else None
        )
        raw_id = row.id_number.number if row.id_number else row.raw_id_number
        gender = {"male": "男", "female": "女"}.get(row.gender.value) if row.gender else None
        out.append(
            to_census_record(
                RosterRow(
                    department=code,
                    record_id=row.record_id or f"row{row.row_number}",
                    name=row.name,
                    id_number=raw_id,
                    gender=gender,
                    birth_date=row.birth_date,
                    phone=row.phone or row.phone_digits or row.phone_shown,
                    organization=row.organization,
                    county=row.region.county,
                    township=row.region.township,
                    community=row.region.community,
                ),
                hasher,
            )
        )
        if certs:
            out[-1] = dataclasses.replace(out[-1], certificates=certs)
    return out


def city_records(city: City, files: dict[str, tuple[str, bytes, str]]) -> tuple[list[Any], int]:
    """Every file through the registry's parser and conversion: (records, rows refused)."""
    from shegong.kernel.data.identity import PersonalDataHasher
    from shegong.registry.imports.roster import parse_roster

    hasher = PersonalDataHasher(os.urandom(32))
    records: list[Any] = []
    refused = 0
    for roster in city.rosters:
        filename, data, _ = files[roster.code]
        parsed = parse_roster(data, filename)
        refused += parsed.rejected_rows
        records.extend(census_records(roster.code, parsed.rows, hasher))
    return records, refused


def run_ours_engine(
    city: City, files: dict[str, tuple[str, bytes, str]], memory: bool = False
) -> Result:
    start = time.perf_counter()
    records, refused = city_records(city, files)
    parsed_s = time.perf_counter() - start
    held: dict[str, int] | None = {} if memory else None
    estimated: list[set[str]] = []
    persons, review = link(records, held, estimated)
    total = time.perf_counter() - start
    best = score(estimated, city.truth)
    detail: dict[str, Any] = {
        "parse + hash": parsed_s,
        "link": total - parsed_s,
        "refused by parser": refused,
        "best estimate (queued pairs from p 0.5 as one; the indicators' basis): P / R / F1": (
            f"{best.pairwise_p:.4f} / {best.pairwise_r:.4f} / {best.pairwise_f1:.4f}"
        ),
        "best estimate: persons": len(estimated),
    }
    if held:
        detail["linker memory, bytes per record (tracemalloc; times slowed)"] = held[
            "linker bytes"
        ] // max(1, len(records))
    return Result("ours (engine)", score(persons, city.truth), total, review, detail)


# --------------------------------------------------------------------------- ours: service
# census_service.py: Platform (shegong up) and run_ours_service, the user's path

__all__ = ["Platform", "census_records", "roster_bytes", "run_ours_service"]


def sqlite_floor(city: City, folder: Path) -> float:
    """A plain bulk INSERT of the same rows (every column as text) into a SQLite file."""
    columns = sorted({c for r in city.rosters for c in r.columns})
    con = sqlite3.connect(folder / "floor.sqlite3")
    names = ", ".join(f'"{c}"' for c in ["department", *columns])
    con.execute(f"CREATE TABLE plain ({names})")
    start = time.perf_counter()
    marks = ", ".join("?" * (len(columns) + 1))
    with con:
        for roster in city.rosters:
            con.executemany(
                f"INSERT INTO plain VALUES ({marks})",
                [[roster.code, *(row.get(c, "") for c in columns)] for row in roster.rows],
            )
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", choices=[*GENERATORS, "all"], default="all")
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--path", choices=["engine", "service"], default="engine")
    parser.add_argument("--splink-threshold", type=float, default=0.9)
    parser.add_argument(
        "--splink-cleaning",
        choices=["standard", "minimal"],
        default="standard",
        help="what the Splink user does to the rows first (see splink_rows)",
    )
    parser.add_argument("--no-splink", action="store_true", help="ours only")
    parser.add_argument(
        "--no-bound", action="store_true", help="without the evidence bound (census_bound.py)"
    )
    parser.add_argument(
        "--memory", action="store_true", help="engine: the linker's bytes per record (slower)"
    )
    parser.add_argument("--keep", type=Path, help="write the roster files here and keep them")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="service: print the census's progress and the relay's every second (stderr)",
    )
    parser.add_argument("--json", type=Path, help="append the figures as JSON lines here")
    args = parser.parse_args()

    names = list(GENERATORS) if args.city == "all" else [args.city]
    for name in names:
        t0 = time.perf_counter()
        try:
            city = GENERATORS[name](args.persons, args.seed)
        except RuntimeError as err:  # today's generator moved
            print(f"\ncity '{name}': skipped — {err}")
            continue
        gen_s = time.perf_counter() - t0
        files = {r.code: roster_bytes(r) for r in city.rosters}
        kinds = Counter(kind for _, _, kind in files.values())
        extra = [
            (
                "generated",
                f"{gen_s:.1f} s; files: " + ", ".join(f"{n} {k}" for k, n in kinds.items()),
            ),
        ]
        with tempfile.TemporaryDirectory(prefix=f"census-{name}-") as tmp:
            folder = Path(tmp)
            if args.keep:
                (args.keep / name).mkdir(parents=True, exist_ok=True)
                for filename, data, _ in files.values():
                    (args.keep / name / filename).write_bytes(data)
            results = []
            if args.path == "engine":
                results.append(run_ours_engine(city, files, args.memory))
            else:
                result = run_ours_service(city, files, folder, args.timeline)
                floor = sqlite_floor(city, folder)
                extra.append(
                    (
                        "bulk INSERT floor (SQLite, same rows)",
                        f"{floor:.2f} s; file → merged census = "
                        f"{result.seconds / floor:,.0f} × floor",
                    )
                )
                results.append(result)
            if not args.no_splink:
                results.append(
                    run_splink(city, args.splink_threshold, args.seed, args.splink_cleaning)
                )
            if not args.no_bound:
                results.append(bound_result(city, city_records(city, files)[0]))
        print_table(city, results, extra)
        if args.json:
            with args.json.open("a") as out:
                for r in results:
                    out.write(
                        json.dumps(
                            {
                                "city": name,
                                "seed": args.seed,
                                "rows": city.n_rows,
                                "system": r.system,
                                "seconds": r.seconds,
                                "review": r.review,
                                **r.score.__dict__,  # its "persons" are those found
                                "humans": args.persons,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
