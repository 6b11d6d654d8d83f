"""OpenTelemetry tracing (链路追踪) across HTTP → event store → Redis → consumer.

The HTTP edge opens a server span (FastAPI instrumentation); appending events opens a
child span, whose W3C ``traceparent`` is stored with each event and travels in the
envelope (the CloudEvents distributed-tracing extension); the relay's publish span links
to the events it sends; a consumer applying an event opens a span whose parent is the
event's ``traceparent``. One trace therefore runs from a command to every read model it
changed, in any service.

Off by default. ``OTEL_TRACES_EXPORTER=otlp`` (endpoint etc. from the standard
``OTEL_EXPORTER_OTLP_*`` variables) or ``console`` turns it on; ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_TRACES_SAMPLER`` work as everywhere.
Tests (and embedders) hand their own provider to :func:`use_tracer_provider`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("shegong.tracing")

_PROPAGATOR = TraceContextTextMapPropagator()
_override: TracerProvider | None = None


def use_tracer_provider(provider: TracerProvider | None) -> TracerProvider | None:
    """Use ``provider`` for spans made from now on (None: the global one); returns the
    previous override. Unlike the global provider it may be changed more than once."""
    global _override
    previous, _override = _override, provider
    return previous


def tracer_provider() -> TracerProvider:
    return _override or trace.get_tracer_provider()


def enabled() -> bool:
    """Whether spans are recorded at all (an override, or a real global provider)."""
    return _override is not None or not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    )


def tracer() -> Tracer:
    return tracer_provider().get_tracer("shegong.kernel")


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, if one is being recorded."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> otel_context.Context | None:
    if not traceparent:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})


def links_to(traceparents: Sequence[str | None], limit: int = 64) -> list[Link]:
    links = []
    for value in dict.fromkeys(t for t in traceparents if t):
        ctx = context_from(value)
        span = trace.get_current_span(ctx).get_span_context() if ctx else None
        if span is not None and span.is_valid:
            links.append(Link(span))
        if len(links) >= limit:
            break
    return links


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: str | None = None,
    links: Sequence[Link] = (),
    attributes: dict[str, Any] | None = None,
) -> Iterator[trace.Span]:
    """A span; ``parent`` (a traceparent) makes it a child of another process's span.
    Costs nothing measurable while tracing is off (the per-event paths call it)."""
    if not enabled():
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(
        name, context=context_from(parent), kind=kind, links=links, attributes=attributes
    ) as current:
        yield current


def configure_tracing(service: str) -> TracerProvider | None:
    """Install the global provider the ``OTEL_*`` variables ask for (nothing by default)."""
    exporter_names = [
        e.strip() for e in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",") if e.strip()
    ]
    exporters = [e for e in exporter_names if e != "none"]
    if not exporters:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = SdkTracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    for name in exporters:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            log.warning("OTEL_TRACES_EXPORTER=%s is not supported (otlp, console, none)", name)
    trace.set_tracer_provider(provider)
    log.info("tracing on: exporting to %s", ", ".join(exporters))
    return provider
