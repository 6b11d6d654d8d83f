"""Log lines every service writes: JSON for machines, text for people, both with the
correlation id and the trace id, and never a raw ID number or phone.

``LOG_FORMAT=json`` (the container images' default) writes one JSON object per line —
``time``, ``level``, ``logger``, ``message``, ``correlation_id``, ``trace_id``,
``span_id``, ``service`` and ``exc_info`` when there is one — ready for Loki, Elastic or
``jq``. ``LOG_FORMAT=text`` (the default elsewhere) writes the same facts on one line.
A last line of defence masks anything shaped like a PRC resident ID number or a mobile
number in the message, whatever code logged it (personal data stays home, rule 7).

A text line is one line and only text: control characters and bidi overrides in a message
(a request path, a name someone typed) are written as ``\\x1b``-style escapes, also in a
traceback's lines. Probed: ``GET /workers/x%1b[31m…%0b…`` with a wrong key wrote the
terminal escape into the 401's log line, whatever a ``tail -f`` of the log then did with it;
a line break would have started a forged line of its own. JSON lines escape them already.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from shegong.kernel.data.redact import mask_numbers
from shegong.kernel.web.correlation import current_correlation_id

# 18-digit resident ID numbers (last character may be X) and 15-digit old ones; mainland
# mobile numbers. Word boundaries keep Redis entry ids (13-digit ms + "-n") untouched.
# C0 but tab, DEL, C1, line and paragraph separators, bidi embeddings/overrides/isolates;
# a traceback keeps its line feeds.
_OTHERS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f{_OTHERS}]")
_UNSAFE_IN_TRACE = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")


def _escaped(char: re.Match[str]) -> str:
    code = ord(char.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` with control and bidi characters written as escapes."""
    return _UNSAFE.sub(_escaped, text)


def mask_personal_data(text: str) -> str:
    """ID numbers and mobiles in the display's masked form (kernel ``data.redact``)."""
    return mask_numbers(text)


class ContextFilter(logging.Filter):
    """Adds ``correlation_id``, ``trace_id`` and ``span_id`` to every record."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id() or "-"
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else "-"
        record.span_id = format(span.span_id, "016x") if span.is_valid else "-"
        record.service = self.service or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personal_data(record.getMessage()),
        }
        for key in ("service", "correlation_id", "trace_id", "span_id"):
            value = getattr(record, key, "-")
            if value != "-":
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = "-"
        return mask_personal_data(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return _UNSAFE_IN_TRACE.sub(_escaped, super().formatException(ei))


def configure_logging(level: str = "INFO", fmt: str = "text", service: str | None = None) -> None:
    """Root logging for one service process (replaces handlers set before)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter(service))
    handler.setFormatter(JsonFormatter() if fmt.lower() == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # FastStream logs two lines per message at INFO: a measured 30 % of throughput.
    logging.getLogger("shegong.bus").setLevel(logging.WARNING)
    # Alembic narrates every plugin it loads; shegong.migrate says what was applied.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # uvicorn's own loggers go through the root handler (same format, same fields).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
