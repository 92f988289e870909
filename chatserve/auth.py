"""`server.auth`: who is asking. A signed session cookie for the web page, bearer tokens for
programs; every route but the open ones refuses anyone else.

A session is `<user>.<expiry>.<signature>`, signed with a key kept in the data dir (so every
worker process and a restart accept it) over the user's stored password: changing a password
ends that user's sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect

from chatserve.settings import AuthConfig, User
from chatserve.throttle import Throttle

SESSION_COOKIE = "chatserve_session"
OPEN_PATHS = frozenset({"/healthz", "/login", "/logout"})
"""Routes anyone may reach: liveness, and the login page (which needs no assets of its own)."""


class Auth:
    """Checks sessions and tokens against `server.auth`; `throttle` slows down guessing."""

    def __init__(self, config: AuthConfig, key: bytes) -> None:
        self.config = config
        self.key = key
        self.users = {user.username: user for user in config.users}
        self.throttle = Throttle()

    def new_session(self, user: User) -> str:
        expiry = str(int(time.time()) + self.config.session_max_age)
        name = _b64(user.username.encode())
        return f"{name}.{expiry}.{self._sign(user, expiry)}"

    def session_user(self, value: str | None) -> str | None:
        """The user a session cookie names, if it is genuine, current and theirs."""
        try:
            name, expiry, signature = (value or "").split(".")
            user = self.users.get(base64.urlsafe_b64decode(name + "==").decode())
            current = int(expiry) > time.time()
        except ValueError:
            return None
        if user is None or not current:
            return None
        return user.username if hmac.compare_digest(signature, self._sign(user, expiry)) else None

    def token_user(self, authorization: str) -> str | None:
        """The name of the token in an `Authorization: Bearer` header; every token is compared,
        so the time taken does not say which one came close."""
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        given_digest = hashlib.sha256(given.strip().encode()).digest()
        found = None
        for token in self.config.tokens:
            digest = hashlib.sha256(token.token.encode()).digest()
            if hmac.compare_digest(digest, given_digest):
                found = token.name
        return found

    def session_cookie(self, request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
        return Cookie(
            key=SESSION_COOKIE,
            value=value,
            max_age=max_age,
            path=request.scope.get("root_path") or "/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    def _sign(self, user: User, expiry: str) -> str:
        message = f"{user.username}\0{expiry}\0{user.password}".encode()
        return _b64(hmac.new(self.key, message, hashlib.sha256).digest())


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """Let the request through with `scope["user"]` set, or refuse it with 401 (429 after
    repeated bad tokens)."""
    auth: Auth | None = request.app.state.auth
    if auth is None or request.method == "OPTIONS" or request.scope["path"] in OPEN_PATHS:
        return None
    user = auth.session_user(request.cookies.get(SESSION_COOKIE))
    authorization = request.headers.get("authorization")
    if user is None and authorization:
        address = client_address(request)
        wait = auth.throttle.wait(address)
        if wait:
            raise too_many_attempts(wait)
        user = auth.token_user(authorization)
        if user is None:
            auth.throttle.failed(address)
            raise NotAuthorizedException("The bearer token is not valid.", headers=_CHALLENGE)
    if user is not None:
        request.scope["user"] = user
        return None
    raise NotAuthorizedException(
        "Sign in on the login page, or send `Authorization: Bearer <token>`.",
        headers=_CHALLENGE,
    )


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="chatserve"'}


def sign_in_first(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """For a browser refused with 401 while opening a page: the login page, then back."""
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return Redirect(login_url(request, next_path=request.scope["path"]), status_code=303)
    return None


def login_url(request: Request[Any, Any, Any], next_path: str = "/") -> str:
    url = f"{request.scope.get('root_path', '')}/login"
    return url if next_path == "/" else f"{url}?next={quote(next_path)}"


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def too_many_attempts(wait: float) -> HTTPException:
    seconds = max(1, round(wait))
    return HTTPException(
        status_code=429,
        detail=f"Too many failed attempts. Try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )


def session_key(data_dir: Path) -> bytes:
    """The data dir's signing key, made once (atomically, readable by its owner only)."""
    path = data_dir / "session.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    draft = data_dir / f".session.key.{secrets.token_hex(8)}"
    draft.touch(mode=0o600)
    draft.write_bytes(secrets.token_bytes(32))
    try:
        os.link(draft, path)  # fails if another process made it first: use theirs
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
