"""Request checks and response headers that every route shares (SPEC §6)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def check_request(request: Request[Any, Any, Any]) -> None:
    """State-changing requests must be JSON (uploads: multipart) and, from a browser, come
    from this site.

    A cross-site page can POST only "simple" bodies (forms, text/plain) without a CORS
    preflight, which we never grant; requiring JSON and a same-host Origin closes both doors.
    Multipart is a simple body, so the upload route relies on the Origin and Fetch Metadata
    checks, which every current browser sends.
    """
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if not _allowed_origin(request, origin):
        own = own_origin(request)
        if origin is not None and origin.lower() != own:
            raise PermissionDeniedException(_cross_origin(origin, own))
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise PermissionDeniedException("Cross-site request refused.")
    expected = request.route_handler.opt.get("body", "application/json")
    if expected is None:
        # A route that takes no body (DELETE): no cross-site page can send its method without
        # a CORS preflight, which is never granted for it.
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != expected:
        raise HTTPException(
            status_code=415,
            detail=f"Send the body as {expected}, not {media_type or 'nothing'!r}.",
        )


def own_origin(request: Request[Any, Any, Any]) -> str:
    """This server's origin as the browser names it: the scheme (believed from a trusted proxy)
    and the host the front door checked, without the scheme's default port."""
    scheme = request.url.scheme
    host = request.headers.get("host", "").lower()
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host.removesuffix(default_port)
    return f"{scheme}://{host}"


def _cross_origin(origin: str, own: str) -> str:
    message = f"Cross-origin request from {origin!r} refused."
    if origin.lower().partition("://")[2] == own.partition("://")[2]:
        message += (
            f" This server was reached as {own}; behind a proxy that ends TLS, list the proxy in"
            " server.forwarded_allow_ips so that its X-Forwarded-Proto counts."
        )
    return message


def _allowed_origin(request: Request[Any, Any, Any], origin: str | None) -> bool:
    """Whether `server.cors_origins` lets pages from `origin` call the API."""
    allowed = request.app.state.services.holder.startup.server.cors_origins
    return origin is not None and (origin in allowed or "*" in allowed)


async def security_headers(response: Response[Any]) -> Response[Any]:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
