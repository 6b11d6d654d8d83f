"""Log lines: JSON with the correlation and trace ids, and no raw ID number or phone."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from shegong.kernel.ops import tracing
from shegong.kernel.ops.logs import ContextFilter, JsonFormatter, TextFormatter, mask_personal_data
from shegong.kernel.web.correlation import accept_correlation_id, correlation_scope


def capture(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(ContextFilter("registry"))
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.logs.{id(out)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_json_lines_carry_the_correlation_and_trace_ids() -> None:
    logger, out = capture(JsonFormatter())
    provider = TracerProvider()
    previous = tracing.use_tracer_provider(provider)
    try:
        with correlation_scope("case-7"), tracing.span("work") as span:
            logger.info("registered %s", "w-1")
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        tracing.use_tracer_provider(previous)
    logger.warning("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "registered w-1"
    assert first["correlation_id"] == "case-7"
    assert first["trace_id"] == trace_id
    assert first["service"] == "registry" and first["level"] == "INFO"
    assert "correlation_id" not in second and "trace_id" not in second


def test_raw_id_numbers_and_phones_are_masked_whatever_logged_them() -> None:
    for formatter in (JsonFormatter(), TextFormatter()):
        logger, out = capture(formatter)
        logger.info("bad row 620102198805061231 phone 13812345678 old 110105491231002")
        text = out.getvalue()
        assert "620102198805061231" not in text and "13812345678" not in text
        assert "110105491231002" not in text
        # The display's mask, not one of its own: a log's 620102********1 beside the
        # console's 6****************1 was a second form of the same number.
        assert "6****************1" in text and "138****5678" in text
        assert "620102" not in text and "110105" not in text
    # Redis entry ids, positions and UUIDs pass untouched.
    kept = "entry 1764400000000-0 position 42 id 3f1c2a9e-0b7d-4c1e-9a55-0e2b6f4b8a10"
    assert mask_personal_data(kept) == kept


def test_numbers_written_with_spaces_or_dashes_are_masked_too() -> None:
    """A cell quoted as the clerk wrote it (``620102 19880506 1231``, ``138-1234-5678``)
    went into the log whole: the pattern wanted the digits side by side."""
    for formatter in (JsonFormatter(), TextFormatter()):
        logger, out = capture(formatter)
        logger.info(
            "row 7: 620102 19880506 1231 / 620102-19880506-123x, tel 138-1234-5678, "
            "138 1234 5678, 身份证620102198805061231手机13812345678"
        )
        text = out.getvalue()
        digits = "".join(ch for ch in text if ch.isdigit())
        assert "19880506" not in digits and "12345678" not in digits and "620102" not in digits
        # 620102…1231 is valid: its mask keeps the check character; 620102…123x is not,
        # so its mask keeps only the first (a mistyped number's last character may be one
        # of the right number's digits)
        assert text.count("6****************1") == 2 and "6*****************," in text
        assert text.count("138****5678") == 3
    kept = "took 2026-12-04 19:16:18, rows 1-20, ratio 0.95"
    assert mask_personal_data(kept) == kept


def test_a_callers_correlation_id_is_kept_only_when_sane() -> None:
    assert accept_correlation_id("case-2026/0042") == "case-2026/0042"
    for bad in (None, "", "x" * 65, "has space", "line\nbreak"):
        assert accept_correlation_id(bad) != bad


async def test_a_consumer_handles_each_event_in_its_conversation(sqlite_url: str) -> None:
    """While a read model applies an event, the correlation id is the event's: log lines
    carry it, and a command issued from there (a process manager) continues it."""
    from typing import ClassVar

    from shegong.contracts import Envelope, Event
    from shegong.kernel.events.feed import Feeds
    from shegong.kernel.events.projection import ProjectionRunner
    from shegong.kernel.events.store import CommandContext
    from shegong.kernel.testing import Counter, TallyProjection
    from shegong.kernel.web.correlation import current_correlation_id

    from .conftest import make_store

    seen: list[tuple[str | None, str]] = []

    class Watching(TallyProjection):
        name: ClassVar[str] = "watching"

        async def apply(self, conn, envelope: Envelope, event: Event) -> None:  # type: ignore[no-untyped-def]
            seen.append((current_correlation_id(), CommandContext().correlation_id))
            await super().apply(conn, envelope, event)

    store = await make_store(sqlite_url)
    try:
        async with store.transaction(CommandContext(correlation_id="case-9")) as tx:
            counter = Counter("c-1")
            counter.count(2)
            await tx.save(counter)
        runner = ProjectionRunner(store.engine, Watching(), Feeds({store.identity.source: store}))
        await runner.create_schema()
        assert await runner.catch_up(store.identity.source) == 1
        assert seen == [("case-9", "case-9")]
        assert current_correlation_id() is None  # restored afterwards
    finally:
        await store.engine.dispose()


def test_a_text_line_stays_one_line_of_text() -> None:
    """Probed: a 401's log line carried the request path's terminal escape (ESC [31m) and
    vertical tab as they came; a line feed would have forged a line of its own."""
    logger, out = capture(TextFormatter())
    path = "/workers/x\n2026-12-04 18:09:04,635 ERROR shegong.audit forged\x1b[31m\x0b\u202e"
    logger.warning("refused GET %s from %s", path, "127.0.0.1")
    try:
        raise ValueError("bad value\x1b[2J")
    except ValueError:
        logger.exception("failed\r\nagain")
    lines = out.getvalue().splitlines()
    assert lines[0].split()[2] == "WARNING" and "forged" in lines[0]  # one line, all of it
    assert lines[1].split()[2] == "ERROR" and "failed" in lines[1]  # the next record's
    text = out.getvalue()
    for raw in ("\x1b", "\x0b", "\u202e", "\r"):
        assert raw not in text, repr(raw)
    assert "\\x0a2026-12-04" in lines[0] and "\\x1b[31m" in lines[0] and "\\u202e" in lines[0]
    assert "failed\\x0d\\x0aagain" in text and "Traceback" in text  # the trace keeps its lines
    assert "bad value\\x1b[2J" in text
