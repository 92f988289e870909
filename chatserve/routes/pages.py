"""The page and what it loads: `/` (the web UI with the bot's CSP), `/assets/*`, `/api/config`
(the public config it renders from); and the probes, `/healthz` and `/readyz`. Every body is
built once per load and answered with its ETag (304 when the browser has it) and gzipped when
the browser takes it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from chatserve.security.clients import client_id, new_client_cookie
from chatserve.services import Services
from chatserve.ui.bundle import Asset


@dataclass
class Readiness:
    status: str
    """`ready`, or `not ready`."""

    reasons: list[str]
    """Why not, for people."""


@get("/", include_in_schema=False)
async def index(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[bytes]:
    served = services.served
    response = _send(request, served.page, {"Content-Security-Policy": served.csp})
    if client_id(request) is None:
        response.set_cookie(new_client_cookie(request))
    return response


@get("/assets/{name:path}", include_in_schema=False)
async def asset(
    request: Request[Any, Any, State], name: FromPath[str], services: NamedDependency[Services]
) -> Response[bytes]:
    custom_js = services.served.custom_js
    if name == "/custom.js" and custom_js is not None:
        return _send(request, custom_js, {})  # changes with the config
    found = services.holder.webui.assets.get(f"assets{name}")
    if found is None:
        raise NotFoundException(f"No asset named {name.lstrip('/')!r}.")
    return _send(request, found, {"Cache-Control": "public, max-age=31536000, immutable"})


@get("/api/config", summary="Public config", description="What the web UI renders from.")
async def public_config(services: NamedDependency[Services]) -> Response[bytes]:
    return Response(services.served.public_config, media_type="application/json")


@get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/readyz",
    summary="Readiness",
    description="200 once the database and bucket answer and the eager example answers exist "
    "(after a reload too); 503 with the reasons otherwise, so a balancer sends chats elsewhere.",
    responses={503: ResponseSpec(Readiness, description="Not ready: `reasons` says why")},
)
async def readyz(services: NamedDependency[Services]) -> Response[Readiness]:
    reasons = []
    examples = services.served.examples
    if examples is not None and not examples.ready:
        reasons.append("The answers to the examples are being computed.")
    reasons += await asyncio.to_thread(services.backends.unanswered)
    status = 503 if reasons else 200
    return Response(Readiness("not ready" if reasons else "ready", reasons), status_code=status)


PAGES = [index, asset, public_config, healthz, readyz]


def _send(
    request: Request[Any, Any, Any], asset: Asset, headers: dict[str, str]
) -> Response[bytes]:
    headers = {
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "Cache-Control": "no-cache",
        **headers,
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
