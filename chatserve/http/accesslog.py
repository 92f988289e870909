"""One access log line per HTTP request, written when its response ends (a stream's too):

    method=POST path=/api/chat status=200 ms=412.7 bytes=1804 client=127.0.0.1 user=ana

`key=value` pairs (logfmt) a log shipper can parse. Never the query string, headers or cookies,
which can carry secrets.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from litestar import Litestar
from litestar.types import Message, Receive, Scope, Send

logger = logging.getLogger("chatserve.access")


class LoggedLitestar(Litestar):
    """Litestar, logging every HTTP request, unknown routes and refusals included."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await super().__call__(scope, receive, send)
            return
        start = time.perf_counter()
        sent = {"status": 500, "bytes": 0}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":  # the most frequent: once per chunk
                sent["bytes"] += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                sent["status"] = message["status"]
            await send(message)

        try:
            await super().__call__(scope, receive, counting_send)
        finally:
            logger.info("%s", _line(scope, sent, (time.perf_counter() - start) * 1000))


def _line(scope: Scope, sent: dict[str, int], ms: float) -> str:
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": _path(scope),
        "status": sent["status"],
        "ms": f"{ms:.1f}",
        "bytes": sent["bytes"],
        "client": client[0] if client else "-",
    }
    if scope.get("user"):
        fields["user"] = scope["user"]
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


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
