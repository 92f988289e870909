"""`server.tracing`: OpenTelemetry traces, sent to a collector over OTLP/HTTP.

Litestar's OpenTelemetry plugin makes a span of each request, named by its route (`POST
/api/chat`); each chat turn is a span inside it, `chatserve.turn`, from the moment it joined
the line to its end, and the spans an async chat function makes are inside that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from litestar.exceptions import HTTPException
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.utils import normalize_path
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import Span, StatusCode

from chatserve import __version__
from chatserve.config.server import TracingConfig
from chatserve.observe.turns import Ended

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import Scope

    from chatserve.turn import Turn


class TurnSpans:
    """The tracer provider (the process's own if it has one), the request spans' plugin, and
    the spans of turns."""

    def __init__(self, settings: TracingConfig, default_name: str) -> None:
        current = trace.get_tracer_provider()
        # A process set up by `opentelemetry-instrument`, or a program serving the app, has a
        # provider already: spans go where it sends them, and it flushes them itself.
        self.own = isinstance(current, trace.ProxyTracerProvider)
        self.provider = _provider(settings, default_name) if self.own else current
        self.tracer = self.provider.get_tracer("chatserve", __version__)
        self.plugin = OpenTelemetryPlugin(
            OpenTelemetryConfig(
                tracer_provider=self.provider,
                scope_span_details_extractor=route_name,
                exclude_spans=["receive", "send"],  # not a span per token
            )
        )

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Send the spans still waiting in the batch before the process ends."""
        try:
            yield
        finally:
            if self.own:
                await asyncio.to_thread(self.provider.shutdown)  # type: ignore[attr-defined]

    @contextmanager
    def span(self, turn: Turn, start_ns: int) -> Iterator[Span]:
        """The span of `turn`, current (a child of its request's) while it runs."""
        message = turn.args.message
        text = message if isinstance(message, str) else message["text"]
        attributes: dict[str, Any] = {
            "chatserve.bot": turn.bot.config.title or turn.bot.path.name,
            "chatserve.input.chars": len(text),
            "chatserve.history.messages": len(turn.args.history),
        }
        if not isinstance(message, str):
            attributes["chatserve.input.files"] = len(message["files"])
        with self.tracer.start_as_current_span(
            "chatserve.turn",
            start_time=start_ns,
            attributes=attributes,
            record_exception=False,  # `describe` does: leaving is not failing
            set_status_on_exception=False,
        ) as span:
            yield span

    def describe(self, span: Span, ended: Ended) -> None:
        """Set what is known once the turn ended."""
        span.set_attributes(
            {
                "chatserve.stream": ended.stream,
                "chatserve.tokens": ended.tokens,
                "chatserve.outcome": ended.outcome,
            }
        )
        if ended.waited is not None:
            span.set_attribute("chatserve.queue.wait_seconds", ended.waited)
        if ended.error is not None:
            span.record_exception(ended.error)
            span.set_status(StatusCode.ERROR, f"{ended.error_kind}: {type(ended.error).__name__}")


def _provider(settings: TracingConfig, default_name: str) -> TracerProvider:
    named = {SERVICE_NAME: settings.service_name} if settings.service_name else {}
    resource = Resource.create(named)  # with OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes[SERVICE_NAME]).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: default_name}))
    provider = TracerProvider(resource=resource)  # and the OTEL_TRACES_SAMPLER it names
    # No endpoint: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, else localhost.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.endpoint)))
    return provider


def route_name(scope: Scope) -> tuple[str, dict[str, str]]:
    """A request span's name, `POST /api/chat`: the method and the route's path template
    (`/api/files/{file_id:str}`, never a file's id), as OpenTelemetry's conventions ask; the
    method alone for a path no route serves. The router caches the lookup it repeats."""
    method = scope.get("method", "")
    path = scope["path"]
    if root_path := scope.get("root_path", ""):
        path = path.split(root_path, maxsplit=1)[-1]  # as Litestar's router takes it off
    try:
        routed = scope["litestar_app"].asgi_router.handle_routing(normalize_path(path), method)
    except HTTPException:  # 404, 405: the router answers those
        return method, {}
    template = routed[-1]
    return f"{method} {template}", {HTTP_ROUTE: template}
