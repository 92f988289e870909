"""`server.tracing`: a span per request and one per chat turn inside it, caught in process with
OpenTelemetry's in-memory exporter, and sent over OTLP/HTTP by a real server to a collector's
endpoint on a loopback port."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

BOT = """
import asyncio

import chatserve
from opentelemetry import trace

tracer = trace.get_tracer("bot")


async def reply(message, history):
    if message == "refuse":
        raise chatserve.Error("I can't answer that.")
    with tracer.start_as_current_span("model call"):
        await asyncio.sleep(0)
    if message == "hold":
        yield "holding"
        await asyncio.sleep(30)  # until its client leaves
    for i in range(1, 4):
        yield "word " * i
"""

CONFIG = """
title: Traced
fn: bot.py:reply
server:
  tracing: true
"""

QUEUE_WAIT = "chatserve.queue.wait_seconds"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """Where this process's spans go: a tracer provider set as OpenTelemetry's global one
    (as `opentelemetry-instrument` sets it), which the app then uses in place of its own."""
    caught = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(caught))
    trace.set_tracer_provider(provider)
    return caught


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.name == name]


def test_a_turn_is_a_span_inside_its_request(client, spans) -> None:
    http = client(CONFIG, bot_py=BOT)
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    body = {"message": "hello", "history": history, "stream": True}
    assert "event: done" in http.post("/api/chat", json=body).text

    [request] = named(spans, "POST /api/chat")
    [turn] = named(spans, "chatserve.turn")
    [model] = named(spans, "model call")  # the chat function's own span
    assert request.kind == trace.SpanKind.SERVER
    assert turn.parent is not None and turn.parent.span_id == request.context.span_id
    assert model.parent is not None and model.parent.span_id == turn.context.span_id
    assert len({span.context.trace_id for span in (request, turn, model)}) == 1
    attributes = dict(turn.attributes or {})
    assert 0 <= attributes.pop(QUEUE_WAIT) < 1
    assert attributes == {
        "chatserve.bot": "Traced",
        "chatserve.input.chars": 5,
        "chatserve.history.messages": 2,
        "chatserve.stream": True,
        "chatserve.tokens": 3,
        "chatserve.outcome": "done",
    }
    assert turn.status.status_code == StatusCode.UNSET
    assert request.start_time <= turn.start_time <= turn.end_time <= request.end_time


def test_a_failing_chat_function_marks_its_turn(client, spans) -> None:
    http = client(CONFIG, bot_py=BOT)
    assert http.post("/api/chat", json={"message": "refuse"}).status_code == 422
    [turn] = named(spans, "chatserve.turn")
    assert turn.attributes is not None
    assert (turn.attributes["chatserve.outcome"], turn.attributes["chatserve.stream"]) == (
        "failed",
        False,
    )
    assert turn.status.status_code == StatusCode.ERROR
    assert turn.status.description == "error: Error"
    [event] = turn.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.message"] == "I can't answer that."


def test_request_spans_are_named_by_route_never_by_a_file_id(client, spans) -> None:
    http = client(CONFIG, bot_py=BOT)
    assert http.get("/api/files/a-file-id").status_code == 404
    assert http.get("/no/such/page").status_code == 404
    names = [span.name for span in spans.get_finished_spans()]
    assert names == ["GET /api/files/{file_id}", "GET"]
    [files, _] = spans.get_finished_spans()
    assert files.attributes is not None and files.attributes["http.route"] == "/api/files/{file_id}"


def test_off_there_is_no_plugin_and_no_span(client, spans) -> None:
    http = client("fn: bot.py:echo\n")
    assert http.post("/api/chat", json={"message": "hi"}).status_code == 200
    assert "OpenTelemetryPlugin" not in {type(plugin).__name__ for plugin in http.app.plugins}
    assert spans.get_finished_spans() == ()


class Collector:
    """An OTLP/HTTP traces endpoint on a loopback port: what a collector would receive."""

    def __init__(self) -> None:
        self.received: list[ExportTraceServiceRequest] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self) -> list[tuple[dict[str, Any], Any]]:
        """Each span received, with its resource's attributes."""
        return [
            ({kv.key: kv.value.string_value for kv in batch.resource.attributes}, span)
            for request in self.received
            for batch in request.resource_spans
            for scope in batch.scope_spans
            for span in scope.spans
        ]


@pytest.fixture
def collector() -> Iterator[Collector]:
    made = Collector()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_a_server_sends_its_spans_to_the_collector_before_it_stops(
    write_config, live_server, collector: Collector
) -> None:
    config = write_config(
        f"""
        fn: bot.py:reply
        server:
          tracing:
            endpoint: {collector.url}
            service_name: traced-bot
        """,
        bot_py=BOT,
    )
    server = live_server(config)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.post("/api/chat", json={"message": "hi"}).status_code == 200
        with http.stream("POST", "/api/chat", json={"message": "hold", "stream": True}) as held:
            lines = held.iter_lines()
            assert "event: message" in lines
    server.process.terminate()  # the spans wait in a batch: stopping sends them
    server.process.wait(timeout=20)
    assert "Application shutdown complete" in server.output()

    received = collector.spans()
    assert {resource["service.name"] for resource, _ in received} == {"traced-bot"}
    by_id = {span.span_id: span for _, span in received}
    turns = [span for _, span in received if span.name == "chatserve.turn"]
    outcomes = [
        attribute.value.string_value
        for span in turns
        for attribute in span.attributes
        if attribute.key == "chatserve.outcome"
    ]
    assert sorted(outcomes) == ["done", "stopped"]  # the second one's client left
    assert {by_id[span.parent_span_id].name for span in turns} == {"POST /api/chat"}
    assert "Failed to detach context" not in server.output()
