"""The peer in ``bench_census_quality.py``: Splink (Fellegi–Sunter, EM, DuckDB) on the same
rows, cleaned as a Splink user would clean them (see that script's docstring)."""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date
from typing import Any

from census_score import Result, score
from cities import City

# Headers → one schema: what a Splink user does first, with every header their files use
# (the registry's own list of how departments write each header, so that both sides read
# the same columns: the comparison is of the linkage, not of the header mapping).
_FIELDS = {
    "name": "name",
    "id_number": "id_number",
    "sex": "gender",
    "birth_date": "birth_date",
    "phone": "phone",
    "organization": "organization",
    "county": "county",
    "township": "township",
    "community": "community",
}


def _schema() -> dict[str, tuple[str, ...]]:
    from shegong.registry.imports.roster_fields import FIELDS

    return {column: tuple(FIELDS[field]) for column, field in _FIELDS.items()}


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})"
)


def _clean(text: str) -> str | None:
    text = "".join(unicodedata.normalize("NFKC", text).split())
    return text or None


def _iso_date(text: str) -> str | None:
    m = _DATE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def _phone_digits(text: str) -> str | None:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_ok(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return (
        "10X98765432"[sum(int(c) * w for c, w in zip(number, _W, strict=False)) % 11] == number[17]
    )


def _t2s() -> Any:
    try:
        import opencc
    except ImportError:
        return lambda text: text
    converter = opencc.OpenCC("t2s")
    return converter.convert


def splink_rows(city: City, cleaning: str = "standard") -> list[dict[str, Any]]:
    """The rows as a Splink user feeds them. ``minimal``: headers mapped to one schema,
    whitespace out (NFKC), phone digits without +86/0086, dates to ISO. ``standard`` adds
    the cleaning any Chinese-data engineer applies before linking: traditional → simplified
    (OpenCC t2s) in names and organisations, 15-digit IDs to 18 (GB 11643), and birth date
    and sex taken from a valid ID number where their cells are blank."""
    to_simple = _t2s() if cleaning == "standard" else (lambda text: text)
    schema = _schema()
    out = []
    for roster in city.rosters:
        for row in roster.rows:
            rec: dict[str, Any] = {"unique_id": f"{roster.code}:{row['记录编号']}"}
            for column, headers in schema.items():
                raw = next((row[h] for h in headers if row.get(h)), "")
                if column == "birth_date":
                    rec[column] = _iso_date(raw) if raw else None
                elif column == "phone":
                    rec[column] = _phone_digits(raw) if raw else None
                elif column == "id_number":
                    rec[column] = _clean(raw).upper() if raw else None  # type: ignore[union-attr]
                elif column in ("name", "organization"):
                    rec[column] = to_simple(_clean(raw)) if raw else None
                else:
                    rec[column] = _clean(raw) if raw else None
            number = rec["id_number"]
            if cleaning == "standard" and number:
                if len(number) == 15 and number.isdigit():
                    body = number[:6] + "19" + number[6:]
                    number = rec["id_number"] = (
                        body
                        + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]
                    )
                if _id_ok(number):
                    if rec["birth_date"] is None:
                        rec["birth_date"] = _iso_date(number[6:14])
                    if rec["sex"] is None:
                        rec["sex"] = "男" if int(number[16]) % 2 else "女"
            out.append(rec)
    return out


def run_splink(city: City, threshold: float, seed: int, cleaning: str = "standard") -> Result:
    import logging

    import duckdb
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    start = time.perf_counter()
    rows = splink_rows(city, cleaning)
    db_api = DuckDBAPI(duckdb.connect())
    table = db_api.register(rows)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("organization", [0.9, 0.7]),
            cl.ExactMatch("county"),
            cl.ExactMatch("township"),
            cl.ExactMatch("community"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name", "birth_date"),
            block_on("phone"),
            block_on("name", "organization"),
        ],
    )
    linker = Linker(table, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in (block_on("id_number"), block_on("name", "birth_date"), block_on("phone")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    trained = time.perf_counter() - start
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    groups: dict[Any, set[str]] = {}
    for rec in clusters.as_record_list():
        groups.setdefault(rec["cluster_id"], set()).add(rec["unique_id"])
    total = time.perf_counter() - start
    globals()["_last_splink_groups"] = groups  # for a look at its errors when debugging
    return Result(
        f"Splink {splink.__version__}",
        score(groups.values(), city.truth),
        total,
        None,
        {"train": trained, "predict + cluster": total - trained},
    )
