"""Request checks and response headers that every route shares (SPEC §6)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            raise PermissionDeniedException(f"Cross-origin request from {origin!r} refused.")
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise PermissionDeniedException("Cross-site request refused.")
    expected = request.route_handler.opt.get("body", "application/json")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != expected:
        raise HTTPException(
            status_code=415,
            detail=f"Send the body as {expected}, not {media_type or 'nothing'!r}.",
        )


def _allowed_origin(request: Request[Any, Any, Any], origin: str | None) -> bool:
    """Whether `server.cors_origins` lets pages from `origin` call the API."""
    allowed = request.app.state.holder.startup.server.cors_origins
    return origin is not None and (origin in allowed or "*" in allowed)


async def security_headers(response: Response[Any]) -> Response[Any]:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
