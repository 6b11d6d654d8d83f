"""A hostile or broken node, as the ``shegong`` command meets it (round 12b): what it names
in an import job is shown as text, and an answer dripped a byte at a time ends at the
request's deadline.

Real processes: the ``shegong`` command and an HTTP server answering as such a node would.
"""

from __future__ import annotations

import http.server
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SHEGONG, answer_json, clean_env, serving

KEY = "sgk_0123456789ab_" + "s" * 43
# A job id as a node may name it: a link to anywhere, a tag closing nothing (a MarkupError),
# a space (a traceback in the path it was sent back in), an escape that clears the screen.
JOB = "[link=https://evil.example/x]J1[/link] [/]\u001b[2J"
COUNTS = "[bold]7[/]"
REPORT = {"rows_read": 1, "admitted": 1, "unchanged": 0, "rejected_rows": 0, "rejected": []}


# A job as a broken node may answer it, polled (round 13: each was a traceback).
BROKEN_JOBS: dict[str, Any] = {
    "words": {"job_id": "J1", "status": "running", "rows_done": "lots", "rows_total": "many"},
    "negative": {"job_id": "J1", "status": "running", "rows_done": 1, "rows_total": -1e308},
    "no-status": {"job_id": "J1", "rows_done": 1, "rows_total": 1},
    "a-list": ["J1", "done"],
    "status-list": {"job_id": "J1", "status": ["done"], "rows_done": 1, "rows_total": 1},
    "no-report": {"job_id": "J1", "status": "done", "rows_done": 1, "rows_total": 1},
    "report-words": {
        "job_id": "J1",
        "status": "done",
        "rows_done": 1,
        "rows_total": 1,
        "report": {**REPORT, "rows_read": "ten", "rejected_rows": None},
    },
    "failed-error-text": {"job_id": "J1", "status": "failed", "error": "boom"},
}


class Node(http.server.ThreadingHTTPServer):
    mode = "job"
    polled: list[str]


@pytest.fixture
def node() -> Iterator[tuple[str, Node]]:
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            answer_json(self, 202, {"job_id": JOB, "status": "running"})

        def do_GET(self) -> None:
            server: Any = self.server
            if server.mode.startswith("drip"):  # a byte every 0.2 s, for ever
                if server.mode == "drip-headers":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                else:
                    self.send_response(400 if server.mode == "drip-refusal" else 200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"a")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    return
            server.polled.append(self.path)
            if server.mode == "slow-job" and len(server.polled) < 12:  # 2.4 s or more
                answer_json(
                    self, 200, {"job_id": JOB, "status": "running", "rows_done": 0, "rows_total": 1}
                )
                return
            if server.mode in BROKEN_JOBS:
                answer_json(self, 200, BROKEN_JOBS[server.mode])
                return
            job = {"job_id": JOB, "status": "done", "rows_done": 1, "rows_total": 1}
            answer_json(self, 200, job | {"rows_rejected": COUNTS, "report": REPORT})

        def log_message(self, *_: object) -> None: ...

    server = Node(("127.0.0.1", 0), Answer)
    server.polled = []
    with serving(server) as url:
        yield url, server


def shegong(
    url: str, tmp_path: Path, *command: str, timeout: float = 120, **env: str
) -> tuple[int, str, str]:
    done = subprocess.run(
        [*SHEGONG, *command, "--url", url, "--key", KEY],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=clean_env(XDG_CONFIG_HOME=str(tmp_path), **env),
    )
    return done.returncode, done.stdout, done.stderr


def test_the_import_progress_bar_shows_what_a_node_names_as_text(
    node: tuple[str, Node], tmp_path: Path
) -> None:
    """The progress bar (stderr) read rich markup in the job id the node named: a link to
    anywhere (OSC 8 on a terminal; its text gone elsewhere), ``[/]`` a MarkupError."""
    sheet = tmp_path / "pool.csv"
    sheet.write_text("姓名,身份证号,入库日期\n")
    code, out, err = shegong(node[0], tmp_path, "registry", "import-expert-pool", str(sheet))
    assert code == 0 and "Traceback" not in err and "MarkupError" not in err, out + err
    shown = JOB.replace("\u001b", "\\x1b")
    assert f"job {shown}" in err and COUNTS in err and "\x1b" not in err, err
    assert node[1].polled == [
        "/imports/%5Blink%3Dhttps%3A%2F%2Fevil.example%2Fx%5DJ1%5B%2Flink%5D%20%5B%2F%5D%5Cx1b%5B2J"
    ], node[1].polled


@pytest.mark.parametrize("mode", ["drip", "drip-headers", "drip-refusal"])
def test_an_answer_dripped_a_byte_at_a_time_ends_at_the_requests_deadline(
    node: tuple[str, Node], tmp_path: Path, mode: str
) -> None:
    """The timeout was per read: a node sending a byte every 0.2 s (of its answer, a
    header or its refusal) kept ``shegong auth whoami`` waiting for ever. Now a request
    has a deadline, and past it the command says so in both languages, naming the host
    (not the key)."""
    url, server = node
    server.mode = mode
    started = time.monotonic()
    code, out, err = shegong(
        url, tmp_path, "auth", "whoami", timeout=30, SHEGONG_REQUEST_SECONDS="2"
    )
    took = time.monotonic() - started
    assert code == 1 and "Traceback" not in err and took < 15, (took, out + err)
    host = url.removeprefix("http://")
    assert f"registry at {host} did not answer within 2 s" in err, err
    assert "SHEGONG_REQUEST_SECONDS" in err and f"（{host}）未在 2 秒内答完" in err, err
    assert KEY not in out + err


def test_an_import_outlasting_the_request_deadline_is_still_followed(
    node: tuple[str, Node], tmp_path: Path
) -> None:
    """Following a job is many short requests, each with its own deadline: a job running
    longer than one request may take is waited for, to its report."""
    node[1].mode = "slow-job"
    sheet = tmp_path / "pool.csv"
    sheet.write_text("姓名,身份证号,入库日期\n")
    started = time.monotonic()
    code, out, err = shegong(
        node[0], tmp_path, "registry", "import-expert-pool", str(sheet), SHEGONG_REQUEST_SECONDS="1"
    )
    assert code == 0 and "admitted 1" in out, out + err
    assert len(node[1].polled) == 12 and time.monotonic() - started > 2, node[1].polled


@pytest.mark.parametrize("mode", sorted(BROKEN_JOBS))
def test_a_job_a_node_answers_with_fields_of_another_kind_ends_in_both_languages(
    node: tuple[str, Node], tmp_path: Path, mode: str
) -> None:
    """A node answering a job's counts as words (``"rows_done": "lots"``), without its
    status, its report or its report's numbers, or as a list, ended the import with a
    Python traceback (TypeError, KeyError, AttributeError). Now the command says the
    node's answer is not an import job, naming the field, in both languages, exit 1."""
    node[1].mode = mode
    sheet = tmp_path / "pool.csv"
    sheet.write_text("姓名,身份证号,入库日期\n")
    code, out, err = shegong(node[0], tmp_path, "registry", "import-expert-pool", str(sheet))
    assert code == 1 and "Traceback" not in out + err, out + err
    assert "not an import job" in err and "不是导入任务" in err, err
