"""Every request's id: the one a proxy sent in `X-Request-ID` when it is well-formed, else a
new one. It is echoed in the response's `X-Request-ID`, written with the request's log lines
and put in error bodies, so a user's report, the proxy's log and chatserve's log meet."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

from litestar.types import Scope

HEADER = b"x-request-id"
_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")

current: ContextVar[str | None] = ContextVar("chatserve_request_id", default=None)
"""The id of the request being handled (the tasks it starts see it too)."""


def request_id(scope: Scope) -> str:
    """The id the request came with, if it is one a log can hold as is; else a new one."""
    for name, value in scope["headers"]:
        if name == HEADER and _WELL_FORMED.match(value):
            return value.decode()
    return secrets.token_hex(16)
