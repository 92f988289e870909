"""What a client is told when its request fails: one decision, which every route's error
handler (the API's, and `/v1`'s in OpenAI's shape) renders in its own body."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException

from chatserve.http.requestid import current
from chatserve.http.wire import MAX_JSON_DEPTH
from chatserve.security.auth import sign_in_first

logger = logging.getLogger("chatserve")


def error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error as `{"error": {"message": ..., "request_id": ...}}`; details of unexpected
    ones stay in the log, under that id.
    A page whose session has ended is sent to sign in instead."""
    if isinstance(exc, NotAuthorizedException):
        redirect = sign_in_first(request)
        if redirect is not None:
            return redirect
    error = client_error(request, exc)
    if error is None:
        logger.error("Unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        error = HTTPException(status_code=500, detail="Internal server error.")
    body = {"error": {"message": error.detail, "request_id": current.get()}}
    return Response(body, status_code=error.status_code, headers=error.headers)


def client_error(request: Request[Any, Any, Any], exc: Exception) -> HTTPException | None:
    """`exc` as the HTTP error its client gets, its message saying what was wrong with the
    request; None when the failure is the server's own (answered 500, and logged)."""
    if isinstance(exc, RecursionError):
        # msgspec refuses absurdly nested JSON this way, while decoding, before any depth check.
        return HTTPException(
            status_code=422, detail=f"The request nests deeper than {MAX_JSON_DEPTH} levels."
        )
    if not isinstance(exc, HTTPException):
        return None
    if exc.status_code == 413 and exc.detail == "Request Entity Too Large":
        limit = request.route_handler.resolve_request_max_body_size()
        detail = f"The request body is larger than {limit:,} bytes."
        return HTTPException(status_code=413, detail=detail, headers=exc.headers)
    if exc.status_code == 400 and exc.extra:
        # Litestar's body validation: say what was wrong, as a 422 like our own checks.
        problems = "; ".join(
            f"{e.get('message')} ({e.get('key')})" if isinstance(e, dict) else str(e)
            for e in exc.extra  # type: ignore[union-attr]
        )
        detail = f"Invalid request: {problems}"
        return HTTPException(status_code=422, detail=detail, headers=exc.headers)
    return exc
