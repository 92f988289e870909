"""`server.auth`: who is asking. A signed session cookie for the web page (see `sessions`),
bearer tokens for programs; every route but the open ones refuses anyone else.

Guessing is slowed down twice over. A sign-in counts against the address it came from and
against the user name at that address (never the user name everywhere, or anyone could lock a
user out), before its password is checked; only failures stay counted. And only a few password
checks (128 MiB of memory each) run at once in a process: past them, sign-ins are refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.response import Redirect

from chatserve.config.server import AuthConfig, User
from chatserve.security.admission import Admission
from chatserve.security.passwords import COST, UpgradedHashes, check_password, needs_rehash
from chatserve.security.pending import PendingSignIns
from chatserve.security.sessions import EndedSessions, Sessions, SessionStore, session_key
from chatserve.security.throttle import Throttle
from chatserve.store.digests import sha256_hex
from chatserve.store.shared.extras import require
from chatserve.store.shared.postgres import Postgres
from chatserve.store.shared.security import PostgresSessionStore, PostgresThrottle

if TYPE_CHECKING:
    from chatserve.config.models import Config
    from chatserve.security.openid import OpenIDProvider

logger = logging.getLogger("chatserve")

SESSION_COOKIE = "chatserve_session"
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/login", "/logout", "/login/oidc", "/login/oidc/callback"}
)
"""Routes anyone may reach: liveness, and the login page (which needs no assets of its own)
and its way through the OpenID provider."""

ATTEMPTS = {"user": 5, "address": 10}
"""Failed attempts a minute: for one user name from one address, and from one address (sign-ins
for any user name, and bad tokens)."""

CONCURRENT_CHECKS = 2
"""Password checks running at once in one process: 256 MiB of memory, and as many cores."""


class Auth:
    """Checks sessions, passwords and tokens against `server.auth`; state that must outlive
    the process (the signing key, ended sessions, upgraded hashes) is kept in `data_dir`."""

    def __init__(
        self,
        config: AuthConfig,
        data_dir: Path,
        secret: str | None = None,
        database: Postgres | None = None,
    ) -> None:
        self.config = config
        self.users = {user.username: user for user in config.users}
        key = session_key(data_dir, secret)
        if database is None:
            store: EndedSessions = SessionStore(data_dir / "sessions")
            self.throttle: Throttle | PostgresThrottle = Throttle(ATTEMPTS)
        else:  # replicas: a sign-out or a guess on one counts on all
            store, self.throttle = (
                PostgresSessionStore(database),
                PostgresThrottle(database, ATTEMPTS),
            )
        self.admission: Admission | None = None
        self.provider: OpenIDProvider | None = None
        if config.oidc is not None:
            from chatserve.security.openid import OpenIDProvider  # the `oidc` extra

            taken = [*self.users, *(token.name for token in config.tokens)]
            self.admission = Admission(config.oidc, taken)
            self.provider = OpenIDProvider(config.oidc)
        admits = self.admission.admits if self.admission else None
        self.sessions = Sessions(key, self.users, config.session_max_age, store, admits)
        self.pending = PendingSignIns(key, store)
        self.upgrades = UpgradedHashes(data_dir / "passwords")
        self._checks = threading.BoundedSemaphore(CONCURRENT_CHECKS)

    async def sign_in(
        self, username: str, password: str, address: str, executor: Executor
    ) -> User | None:
        """The user these credentials are right for, else None. TooManyRequestsException when
        the address (or this user name from it) has used up its attempts, or when the process
        is checking as many passwords as it may."""
        # A digest: the counts' memory stays small whatever length of name a client sends.
        keys = {"user": sha256_hex(f"{username}\0{address}"), "address": address}
        wait = self.throttle.take(**keys)
        if wait:
            raise too_many_attempts(wait)
        if not self._checks.acquire(blocking=False):
            self.throttle.give_back(**keys)
            raise TooManyRequestsException(
                "Too many sign-ins at once. Try again in 1 s.", headers={"Retry-After": "1"}
            )
        user = self.users.get(username)
        check = executor.submit(self._check, user, password)
        # Released when the check ends, even if the request that started it is gone first.
        check.add_done_callback(lambda _: self._checks.release())
        if not await asyncio.wrap_future(check):
            return None
        self.throttle.give_back(address=address)
        self.throttle.forget(user=keys["user"])
        return user

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

    def _check(self, user: User | None, password: str) -> bool:
        """Whether `password` is `user`'s (run in a worker thread: it takes half a second)."""
        if user is None:
            return check_password(None, password)
        stored = self.upgrades.effective(user.password)
        matches = check_password(stored, password)
        if matches and needs_rehash(stored):
            self.upgrades.upgrade(user.password, password)
            logger.warning(
                "User %r's password hash in the config costs less than scrypt ln=%d, r=%d, "
                "p=%d; a stronger one is now kept in the data dir. Run `chatserve "
                "hash-password` and put its output in the config.",
                user.username,
                COST.ln,
                COST.r,
                COST.p,
            )
        return matches


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """Let the request through with `scope["user"]` set, or refuse it with 401 (429 after
    repeated bad tokens)."""
    auth: Auth | None = request.app.state.services.auth
    if auth is None or request.method == "OPTIONS" or request.scope["path"] in OPEN_PATHS:
        return None
    session = auth.sessions.check(request.cookies.get(SESSION_COOKIE))
    user = session.username if session else None
    if session is not None and session.claims is not None:
        request.scope["auth"] = session.claims  # what `chatserve.Request.claims` shows
    authorization = request.headers.get("authorization")
    if user is None and authorization:
        address = client_address(request)
        wait = auth.throttle.take(address=address)
        if wait:
            raise too_many_attempts(wait)
        user = auth.token_user(authorization)
        if user is None:
            raise NotAuthorizedException("The bearer token is not valid.", headers=_CHALLENGE)
        auth.throttle.give_back(address=address)
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


def too_many_attempts(wait: float) -> TooManyRequestsException:
    seconds = max(1, round(wait))
    return TooManyRequestsException(
        f"Too many failed attempts. Try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )


def check_oidc(config: Config) -> None:
    """ConfigError, at the key, for `server.auth.oidc` without the `oidc` extra installed."""
    if config.server.auth is not None and config.server.auth.oidc is not None:
        require(config, [(("server", "auth", "oidc"), "oidc")])
