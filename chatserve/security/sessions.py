"""Sessions of the web page: self-contained signed cookies, and the store of which have ended.

A cookie is `<user>.<id>.<expiry>.<signature>`: the user name (base64), a random session id,
the expiry (Unix time), and an HMAC-SHA256, with the data dir's key, over those, the user's
stored password and the user's session generation. So a cookie is refused once it expires,
once its session is signed out (its id is revoked), once the user signs out everywhere (a new
generation) and once the user's password changes in the config.

A user who signed in through `server.auth.oidc` has no password here: the cookie then ends in
`.<ID token>` and is signed, with a key of its own, over that token instead (and so over its
issuer and subject). Its claims are what `admits` (the allow-lists) is asked on every check,
so a session ends too once the config no longer lets its user in.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chatserve.config.server import User
from chatserve.store.digests import sha256_hex
from chatserve.store.statefiles import create_file, write_file

_ID = re.compile(r"[A-Za-z0-9_-]{22}")
"""A session id: 128 random bits in URL-safe base64."""


@dataclass(frozen=True)
class Session:
    username: str
    id: str
    expiry: int
    id_token: str | None = None
    """The ID token of a sign-in through `server.auth.oidc`; None for a password's."""
    claims: dict[str, Any] | None = None
    """That ID token's claims."""


class EndedSessions(Protocol):
    """Which sessions have ended: `SessionStore` on one machine, a table for replicas
    (`chatserve.store.shared.security`)."""

    def generation(self, username: str) -> str: ...

    def new_generation(self, username: str) -> None: ...

    def revoke(self, session_id: str, expiry: int) -> None: ...

    def is_revoked(self, session_id: str, expiry: int) -> bool: ...


class SessionStore:
    """Which sessions have ended, as files under `folder` (`<data dir>/sessions/`), shared by
    every worker process and kept across restarts:

    - `revoked/<expiry>.<id>`: a signed-out session, kept until it would have expired anyway;
    - `generations/<sha256 of the user name>`: the user's generation; a new one ends every
      session made under the old one.

    """

    def __init__(self, folder: Path) -> None:
        self.revoked = folder / "revoked"
        self.generations = folder / "generations"

    def generation(self, username: str) -> str:
        try:
            return self._generation_file(username).read_text()
        except FileNotFoundError:
            return ""

    def new_generation(self, username: str) -> None:
        write_file(self._generation_file(username), secrets.token_urlsafe(16).encode())

    def revoke(self, session_id: str, expiry: int) -> None:
        """Refuse this session from now on; revocations that have expired are swept."""
        self.revoked.mkdir(parents=True, exist_ok=True)
        (self.revoked / f"{expiry}.{session_id}").touch(mode=0o600)
        now = time.time()
        for entry in os.scandir(self.revoked):
            expired, _, _ = entry.name.partition(".")
            if expired.isdigit() and int(expired) < now:
                with contextlib.suppress(FileNotFoundError):  # another process swept it
                    os.unlink(entry.path)

    def is_revoked(self, session_id: str, expiry: int) -> bool:
        return (self.revoked / f"{expiry}.{session_id}").exists()

    def _generation_file(self, username: str) -> Path:
        return self.generations / sha256_hex(username)


def session_key(data_dir: Path, secret: str | None = None) -> bytes:
    """The key sessions are signed with: derived from `secret` (`server.auth.secret`, which
    replicas share), else the data dir's own, made on first use."""
    if secret:
        return hashlib.sha256(b"chatserve sessions\0" + secret.encode()).digest()
    return create_file(data_dir / "session.key", secrets.token_bytes(32))


class Sessions:
    """Makes and checks session cookies for `users`, signed with `key`, lasting `max_age`
    seconds; `store` keeps which have ended. `admits(username, claims)` says whether the
    allow-lists still let in a user signed in through `server.auth.oidc` (None: none is)."""

    def __init__(
        self,
        key: bytes,
        users: Mapping[str, User],
        max_age: int,
        store: EndedSessions,
        admits: Callable[[str, dict[str, Any]], bool] | None = None,
    ) -> None:
        self.key = key
        # Sessions begun at the OpenID provider are signed with a key of their own.
        self.token_key = hmac.new(key, b"chatserve oidc sessions", hashlib.sha256).digest()
        self.users = users
        self.max_age = max_age
        self.store = store
        self.admits = admits

    def new(self, user: User) -> str:
        """A cookie value for a new session of `user`."""
        session_id, expiry = self._fresh()
        signature = self._sign(self.key, user.username, session_id, expiry, user.password)
        return ".".join([_b64(user.username.encode()), session_id, expiry, signature])

    def new_signed_in(self, username: str, id_token: str) -> str:
        """A cookie value for a new session of `username`, who signed in through the OpenID
        provider with `id_token`."""
        session_id, expiry = self._fresh()
        signature = self._sign(self.token_key, username, session_id, expiry, id_token)
        return ".".join([_b64(username.encode()), session_id, expiry, signature, id_token])

    def check(self, value: str | None) -> Session | None:
        """The session a cookie value stands for, if it is genuine, current and not ended.
        Anything else, malformed bytes included, is None."""
        parts = value.split(".", 4) if value and value.isascii() else []
        if len(parts) not in (4, 5):
            return None
        name, session_id, expiry, signature, *id_token = parts
        if not (_ID.fullmatch(session_id) and expiry.isdigit() and len(expiry) <= 12):
            return None
        try:
            username = base64.urlsafe_b64decode(name + "==").decode()
        except ValueError:  # not base64, or not UTF-8
            return None
        if int(expiry) <= time.time():
            return None
        if id_token:
            key, secret = self.token_key, id_token[0]
        elif username in self.users:
            key, secret = self.key, self.users[username].password
        else:
            return None
        expected = self._sign(key, username, session_id, expiry, secret)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        if self.store.is_revoked(session_id, int(expiry)):
            return None
        if not id_token:
            return Session(username, session_id, int(expiry))
        claims = _claims(id_token[0])
        if claims is None or self.admits is None or not self.admits(username, claims):
            return None
        return Session(username, session_id, int(expiry), id_token[0], claims)

    def end(self, session: Session) -> None:
        self.store.revoke(session.id, session.expiry)

    def end_all(self, username: str) -> None:
        """End every session of `username`, on every device."""
        self.store.new_generation(username)

    def _fresh(self) -> tuple[str, str]:
        """A new session's id and expiry."""
        return secrets.token_urlsafe(16), str(int(time.time()) + self.max_age)

    def _sign(self, key: bytes, username: str, session_id: str, expiry: str, secret: str) -> str:
        """The signature over a session and what ends it: `secret` (the user's password, or
        ID token) and the user's generation."""
        fields = [username, session_id, expiry, secret, self.store.generation(username)]
        message = "\0".join(fields).encode(errors="surrogatepass")  # `${VAR}`s may hold any bytes
        return _b64(hmac.new(key, message, hashlib.sha256).digest())


def _claims(id_token: str) -> dict[str, Any] | None:
    """The claims of an ID token this server checked when its session began (no signature
    check: the session's covers it)."""
    try:
        claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
