"""`server.metrics`: Prometheus metrics at `/metrics`, by Litestar's Prometheus integration.

Its middleware counts and times requests by route; chatserve counts its chats here, once per
turn. Both keep their instruments in prometheus_client's default registry, which Litestar's
`/metrics` serves (merged across `--workers` processes when `PROMETHEUS_MULTIPROC_DIR` is set),
so each process makes them once, whatever number of apps it builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter, Gauge, Histogram

from chatserve.observe.turns import FAILED, Ended

PREFIX = "chatserve"

WAIT_BUCKETS = (0.005, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300)
DURATION_BUCKETS = (0.05, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class MetricsRoute(PrometheusController):
    """`GET /metrics`: the Prometheus text format. Not in `/schema`: it is for operators, not
    an API of the bot."""

    path = "/metrics"
    include_in_schema = False


def request_metrics() -> DefineMiddleware:
    """Litestar's middleware counting requests (`chatserve_requests_total`, ...) by method,
    route (its path template, never a file's id) and status."""
    return PrometheusConfig(app_name=PREFIX, prefix=PREFIX, group_path=True).middleware


@dataclass(frozen=True)
class ChatMetrics:
    """chatserve's own instruments."""

    running: Gauge
    chats: Counter
    tokens: Counter
    queue_wait: Histogram
    duration: Histogram
    fn_errors: Counter

    def record(self, ended: Ended) -> None:
        """Count a turn that ended, if it ran: one whose client left the line is not a chat."""
        if ended.waited is None:
            return
        self.chats.labels(str(ended.stream).lower(), ended.outcome).inc()
        if ended.tokens:
            self.tokens.inc(ended.tokens)
        self.queue_wait.observe(ended.waited)
        self.duration.observe(ended.ran)
        if ended.outcome == FAILED:
            self.fn_errors.labels(ended.error_kind).inc()


@cache
def chat_metrics() -> ChatMetrics:
    """The instruments, made once per process (a registry refuses a name twice)."""
    return ChatMetrics(
        running=Gauge(
            f"{PREFIX}_chats_in_progress",
            "Chats running now (holding a slot; not those waiting in line).",
            multiprocess_mode="livesum",
        ),
        chats=Counter(
            f"{PREFIX}_chats",
            "Chats that ran, by whether they streamed and how they ended: done, failed "
            "(the chat function raised), stopped (the client left), cut_short (the server "
            "stopped).",
            ["stream", "outcome"],
        ),
        tokens=Counter(
            f"{PREFIX}_tokens",
            "Values the chat functions yielded: a token each, for a generator that yields its "
            "reply a token longer each time.",
        ),
        queue_wait=Histogram(
            f"{PREFIX}_queue_wait_seconds",
            "Seconds chats waited in line for a slot (concurrency_limit, worker_threads).",
            buckets=WAIT_BUCKETS,
        ),
        duration=Histogram(
            f"{PREFIX}_chat_duration_seconds",
            "Seconds from a chat's slot to its end.",
            buckets=DURATION_BUCKETS,
        ),
        fn_errors=Counter(
            f"{PREFIX}_fn_errors",
            "Chat function failures: error (a chatserve.Error, shown to the user) or exception "
            "(any other; the traceback is in the log).",
            ["kind"],
        ),
    )
