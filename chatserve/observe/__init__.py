"""What a server tells its operators besides its log: Prometheus metrics (`server.metrics`) and
OpenTelemetry traces (`server.tracing`), each behind its extra. Off (the default), they add
nothing: no middleware, no route, and turns run unwatched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatserve.config.models import Config
from chatserve.config.server import TracingConfig
from chatserve.observe.turns import TurnWatch
from chatserve.store.shared.extras import require


@dataclass
class Observing:
    """What the app gets for `server.metrics` and `server.tracing`."""

    routes: list[Any] = field(default_factory=list)
    middleware: list[Any] = field(default_factory=list)
    plugins: list[Any] = field(default_factory=list)
    lifespan: list[Callable[..., Any]] = field(default_factory=list)
    watch: TurnWatch | None = None


def check(config: Config) -> None:
    """ConfigError, at the key, for `server.metrics` or `server.tracing` turned on without
    its extra installed."""
    keys = ("metrics", "tracing")  # each the name of its extra
    require(config, [(("server", key), key) for key in keys if getattr(config.server, key)])


def observing(config: Config) -> Observing:
    """What `config` turns on (ConfigError when its extra is missing)."""
    check(config)
    made = Observing()
    metrics = spans = None
    if config.server.metrics:
        from chatserve.observe.metrics import MetricsRoute, chat_metrics, request_metrics

        made.routes.append(MetricsRoute)
        made.middleware.append(request_metrics())
        metrics = chat_metrics()
    tracing = config.server.tracing
    if tracing:
        from chatserve.observe.tracing import TurnSpans

        settings = TracingConfig() if tracing is True else tracing
        spans = TurnSpans(settings, config.title or "chatserve")
        made.plugins.append(spans.plugin)
        made.lifespan.append(spans.lifespan)
    if metrics or spans:
        made.watch = TurnWatch(metrics, spans)
    return made
