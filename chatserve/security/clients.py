"""Which client a request comes from: the signed-in user (with `server.auth`), else a random
id in an HttpOnly cookie set by the page.

Files belong to the client that uploaded them or received them from the bot. Without auth, API
clients that keep no cookies share the anonymous owner `None`: for them a file id works as a
bearer token.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from chatserve.store.files import new_id

COOKIE = "chatserve_client"
_VALID = re.compile(r"^[A-Za-z0-9_-]{22}$")


def owner_of(request: Request[Any, Any, Any]) -> str | None:
    """Whose files this request may use: its user's with `server.auth`, else its browser's."""
    user = request.scope.get("user")
    return f"user:{user}" if user else client_id(request)


def client_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and _VALID.match(value) else None


def new_client_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """A new browser id, for the pages under the root path; sent only over https when the
    page came over https (the id is as good as the files it owns)."""
    return Cookie(
        key=COOKIE,
        value=new_id(),
        httponly=True,
        samesite="lax",
        path=request.scope.get("root_path") or "/",
        secure=request.url.scheme == "https",
    )
