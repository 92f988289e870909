"""`GET /login/oidc` and `GET /login/oidc/callback`: signing in through the OpenID provider
(`server.auth.oidc`). The first sends the browser to the provider with a new sign-in (its state,
nonce and PKCE challenge; the rest in a cookie of this browser, see `security.pending`); the
second takes the provider's answer, checks it and starts a session, or shows the login page
saying what went wrong in words that give nothing away (the log says why in full).

Routed only for a config with `oidc` (the module needs the `oidc` extra).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.response import Redirect

from chatserve.routes.login import (
    absolute_url,
    auth_of,
    local_url,
    sign_in_page,
    too_many,
)
from chatserve.security.auth import Auth, client_address, too_many_attempts
from chatserve.security.openid import OpenIDProvider, SignInFailed
from chatserve.security.pending import COOKIE, MAX_AGE, Pending
from chatserve.services import Services

logger = logging.getLogger("chatserve")

CALLBACK = "/login/oidc/callback"

MAX_COOKIE = 4000
"""The longest session cookie a browser is sure to keep (4096 bytes with its name)."""

FAILURES = {
    "expired": ("login.oidc_expired", 400),
    "refused": ("login.oidc_refused", 401),
    "unverified": ("login.oidc_unverified", 401),
    "not_allowed": ("login.oidc_not_allowed", 403),
    "unreachable": ("login.oidc_unreachable", 502),
    "incomplete": ("login.oidc_incomplete", 502),
}
"""What the login page says for each way a sign-in fails (its text's key), and the status."""


@get("/login/oidc", include_in_schema=False)
async def start_sign_in(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[Any]:
    auth = auth_of(services)
    pending = Pending.new(request.query_params.get("next", "/"))
    try:
        url = await _provider(auth).authorization_url(absolute_url(request, CALLBACK), pending)
    except SignInFailed as failed:
        return _failed(request, services, pending.next_path, failed)
    response = Redirect(url, status_code=303)
    response.set_cookie(_pending_cookie(request, auth.pending.seal(pending), MAX_AGE))
    return response


@get(CALLBACK, include_in_schema=False)
async def finish_sign_in(
    request: Request[Any, Any, State], services: NamedDependency[Services]
) -> Response[Any]:
    """Each failure counts against the address, as a wrong password does."""
    auth = auth_of(services)
    address = client_address(request)
    wait = auth.throttle.take(address=address)
    if wait:
        return too_many(request, services, "/", too_many_attempts(wait))
    params = request.query_params
    pending = auth.pending.take(request.cookies.get(COOKIE), params.get("state", ""))
    try:
        if pending is None:
            raise SignInFailed("expired", "no sign-in of this browser waits for this state")
        response = await _signed_in(request, auth, pending)
    except SignInFailed as failed:
        response = _failed(request, services, pending.next_path if pending else "/", failed)
    else:
        auth.throttle.give_back(address=address)
    response.set_cookie(_pending_cookie(request, "", max_age=0))
    return response


async def _signed_in(
    request: Request[Any, Any, State], auth: Auth, pending: Pending
) -> Response[Any]:
    """The session of whom the provider's answer names, if it lets them in; else
    SignInFailed."""
    provider, admission = _provider(auth), auth.admission
    assert admission is not None
    params = request.query_params
    if "error" in params:  # access_denied, login_required, ...
        detail = f"the provider answered {params.get('error')!r}: {params.get('error_description')}"
        raise SignInFailed("refused", detail)
    issuer = params.get("iss")  # RFC 9207: which provider answers (if it says)
    if issuer is not None and issuer != provider.config.issuer:
        raise SignInFailed("unverified", f"the answer is from the issuer {issuer!r}")
    code = params.get("code")
    if not code:
        raise SignInFailed("unverified", "the answer has no code")
    id_token, claims = await provider.identify(code, absolute_url(request, CALLBACK), pending)
    refusal = admission.refusal(claims)
    if refusal is not None:
        kind, detail = refusal
        account = admission.account(claims)
        raise SignInFailed(kind, f"{account!r}: {detail}", account)
    username = admission.username(claims)
    assert username is not None  # else a refusal
    value = auth.sessions.new_signed_in(username, id_token)
    if len(value) > MAX_COOKIE:
        raise SignInFailed(
            "incomplete",
            f"{username!r}: the ID token is too large to keep in a cookie ({len(value)} bytes; "
            "ask for fewer claims, such as no groups scope)",
        )
    logger.info("%r signed in through the OpenID provider.", username)
    response = Redirect(local_url(request, pending.next_path), status_code=303)
    response.set_cookie(auth.session_cookie(request, value, auth.config.session_max_age))
    return response


def _failed(
    request: Request[Any, Any, State], services: Services, next_path: str, failed: SignInFailed
) -> Response[str]:
    logger.warning("Signing in through the OpenID provider failed (%s): %s", failed.kind, failed)
    key, status = FAILURES[failed.kind]
    error = (key, {"account": failed.account})
    return sign_in_page(request, services, next_path, error=error, status=status)


def _provider(auth: Auth) -> OpenIDProvider:
    assert auth.provider is not None  # routed only with `server.auth.oidc`
    return auth.provider


def _pending_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    """Sent back with the provider's answer only: a top-level navigation (SameSite=Lax)."""
    return Cookie(
        key=COOKIE,
        value=value,
        max_age=max_age,
        path=f"{request.scope.get('root_path', '')}/login/oidc",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
