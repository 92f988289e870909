"""One access log line per HTTP request, written when its response ends (a stream's too):

    method=POST path=/api/chat status=200 ms=412.7 bytes=1804 client=::1 user=ana request_id=5f0c

`key=value` pairs (logfmt) a log shipper can parse; with `--log-format json`, the same fields as
keys of the line's object. Never the query string, headers or cookies,
which can carry secrets.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.types import Message, Receive, Scope, Send

from chatserve.http.requestid import HEADER, current, request_id

logger = logging.getLogger("chatserve.access")


class LoggedLitestar(Litestar):
    """Litestar, giving every HTTP request an id (`chatserve.http.requestid`) and logging every
    one, unknown routes and refusals included."""

    @staticmethod
    def _patch_opentelemetry_middleware(config: AppConfig) -> AppConfig:
        """Left undone: it looks for OpenTelemetry's middleware among the app's (chatserve
        passes Litestar's plugin instead, with `server.tracing`), importing OpenTelemetry into
        every app of an install that has it, 20 ms of each start."""
        return config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        start = time.perf_counter()
        identity = request_id(scope)
        current.set(identity)  # this request's task, and the tasks it starts
        echoed = (HEADER, identity.encode())
        sent = {"status": 500, "bytes": 0}

        def counting_send(message: Message) -> Awaitable[None]:
            # A plain function handing back `send`'s awaitable: no coroutine of its own per chunk.
            if message["type"] == "http.response.body":  # the most frequent: once per chunk
                sent["bytes"] += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                sent["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            return send(message)

        try:
            await super().__call__(scope, receive, counting_send)
        finally:
            if logger.isEnabledFor(logging.INFO):
                fields = _fields(scope, sent, (time.perf_counter() - start) * 1000)
                line = " ".join(f"{key}={_value(value)}" for key, value in fields.items())
                logger.info("%s", line, extra={"fields": fields})


def _fields(scope: Scope, sent: dict[str, int], ms: float) -> dict[str, Any]:
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": _path(scope),
        "status": sent["status"],
        "ms": round(ms, 1),
        "bytes": sent["bytes"],
        "client": client[0] if client else "-",
    }
    if scope.get("user"):
        fields["user"] = scope["user"]
    fields["request_id"] = current.get()
    return fields


def _path(scope: Scope) -> str:
    """The path the request named, its root path included: Litestar takes the root path off
    the path of a request it routed, and leaves the path of any other whole."""
    if "route_handler" in scope:
        return scope.get("root_path", "") + scope["path"]
    return scope["path"]


def _value(value: Any) -> str:
    """As it is when it is one plain word; else quoted, with JSON's escapes (control
    characters in a path cannot forge a second line)."""
    text = str(value)
    if text and text.isprintable() and not any(char in text for char in ' "=\\'):
        return text
    return json.dumps(text)
