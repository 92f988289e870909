"""What every HTTP request passes before any route sees it, whichever server runs the app.

1. From a proxy in `server.forwarded_allow_ips`, `X-Forwarded-Host` becomes the request's host
   and uvicorn's proxy-headers middleware applies `X-Forwarded-For` and `X-Forwarded-Proto`;
   from anyone else those headers mean nothing.
2. The host must be one the server answers to (`server.allowed_hosts`), else 400: links,
   cookies and the same-origin check below it can then trust the request's host.
3. A body must keep arriving: a client that sends nothing for `server.read_timeout` seconds
   while the app waits for its body gets 408.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar.exceptions import HTTPException
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chatserve.config.server import ServerConfig
from chatserve.security.hosts import AllowedHosts, host_name


class FrontDoor:
    """Wraps the app's ASGI handler (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: ServerConfig) -> None:
        self.app = app
        self.hosts = AllowedHosts(settings.allowed_hosts)
        self.read_timeout = settings.read_timeout
        self.proxied = ProxyHeadersMiddleware(
            self._checked,  # type: ignore[arg-type]
            trusted_hosts=settings.forwarded_allow_ips,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if client and client[0] in self.proxied.trusted_hosts:
            _believe_forwarded_host(scope)
        await self.proxied(scope, receive, send)  # type: ignore[arg-type]

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        refusal = self._host_refusal(hosts, scope.get("server"))
        if refusal is not None:
            body = msgspec.json.encode({"error": {"message": refusal}})
            response = ASGIResponse(
                body=body,
                status_code=400,
                media_type="application/json",
                headers={"X-Content-Type-Options": "nosniff"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _in_time(receive, self.read_timeout), send)

    def _host_refusal(self, hosts: list[bytes], server: Any) -> str | None:
        """Why a request's `Host` headers are refused; None when they are fine."""
        if not hosts:
            return None  # HTTP/1.0 without a Host: no browser sends that
        name = host_name(hosts[0].decode("latin-1")) if len(hosts) == 1 else None
        if name is None:
            return "The Host header is not a valid host name."
        local = server[0] if server else None
        if not self.hosts.allows(name, local):
            return (
                f"This server does not answer to the host {name!r}; "
                "its operator can add it to server.allowed_hosts."
            )
        return None


def _believe_forwarded_host(scope: Scope) -> None:
    """Make the host a trusted proxy names the request's `Host` (the last one it added)."""
    forwarded = b",".join(value for name, value in scope["headers"] if name == b"x-forwarded-host")
    host = forwarded.rsplit(b",", 1)[-1].strip()
    if host:
        headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
        scope["headers"] = [*headers, (b"host", host)]


class ClientTooSlow(HTTPException):
    status_code = 408


def _in_time(receive: Receive, seconds: float) -> Receive:
    """`receive`, refusing a body that stops arriving for `seconds`."""
    body_pending = True

    async def receive_in_time() -> Any:
        nonlocal body_pending
        if not body_pending:
            return await receive()
        try:
            async with asyncio.timeout(seconds):  # no task per read, unlike wait_for
                message = await receive()
        except TimeoutError:
            raise ClientTooSlow(
                detail=f"The request body stopped arriving (nothing for {seconds:g} s).",
                headers={"Connection": "close"},  # the rest of the body can never be read
            ) from None
        body_pending = message["type"] == "http.request" and message.get("more_body", False)
        return message

    return receive_in_time  # type: ignore[return-value]
