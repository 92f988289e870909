"""`chatserve.Request`: what a chat function may know about the HTTP request it answers.

A chat function receives one by declaring a parameter annotated `chatserve.Request` (after
`history` and the additional inputs, or keyword-only); the server passes it by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatserve.security.admission import verified_email

_PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass
class Conversation:
    """The saved conversation a turn belongs to (`save_history: server`)."""

    id: str
    """Its id, as in `GET /api/conversations/{id}`."""

    title: str | None = None
    """Set it to name the conversation (unless its user renamed it); None keeps the title
    it has, at first the user's first message."""


@dataclass(frozen=True)
class Request:
    username: str | None = None
    """Who is signed in (or the token's name) with `server.auth`; None without it."""

    client: str | None = None
    """The client's address (the proxy's, unless `server.forwarded_allow_ips` trusts it)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """The request's headers, lower-case, without its credentials (cookies, authorization)."""

    conversation: Conversation | None = None
    """With `save_history: server`, the saved conversation this turn belongs to."""

    email: str | None = None
    """The user's e-mail address, when they signed in through `server.auth.oidc` and the
    provider gave one (and did not say it is unchecked); None otherwise."""

    claims: Mapping[str, Any] | None = None
    """The claims of the ID token the user signed in with through `server.auth.oidc` (`sub`,
    `name`, `groups`, ...); None for password and token users, and without auth."""


def from_http(
    scope_user: str | None,
    client: str | None,
    headers: Mapping[str, str],
    conversation: Conversation | None = None,
    *,
    claims: Mapping[str, Any] | None = None,
) -> Request:
    kept = {name: value for name, value in headers.items() if name not in _PRIVATE_HEADERS}
    return Request(
        username=scope_user,
        client=client,
        headers=kept,
        conversation=conversation,
        email=verified_email(claims) if claims else None,
        claims=claims,
    )


def request_parameter(fn: Callable[..., Any]) -> str | None:
    """The name of `fn`'s parameter annotated `chatserve.Request`, if it has one."""
    try:
        parameters = inspect.signature(fn, eval_str=True).parameters
    except (NameError, SyntaxError, TypeError, ValueError):
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return None
    for name, parameter in parameters.items():
        if parameter.annotation is Request or parameter.annotation == "chatserve.Request":
            return name
    return None
