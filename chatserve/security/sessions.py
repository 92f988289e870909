"""Sessions of the web page: self-contained signed cookies, and the store of which have ended.

A cookie is `<user>.<id>.<expiry>.<signature>`: the user name (base64), a random session id,
the expiry (Unix time), and an HMAC-SHA256, with the data dir's key, over those, the user's
stored password and the user's session generation. So a cookie is refused once it expires,
once its session is signed out (its id is revoked), once the user signs out everywhere (a new
generation) and once the user's password changes in the config.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
    seconds; `store` keeps which have ended."""

    def __init__(
        self, key: bytes, users: Mapping[str, User], max_age: int, store: EndedSessions
    ) -> None:
        self.key = key
        self.users = users
        self.max_age = max_age
        self.store = store

    def new(self, user: User) -> str:
        """A cookie value for a new session of `user`."""
        session_id = secrets.token_urlsafe(16)
        expiry = str(int(time.time()) + self.max_age)
        signature = self._sign(user, session_id, expiry)
        return ".".join([_b64(user.username.encode()), session_id, expiry, signature])

    def check(self, value: str | None) -> Session | None:
        """The session a cookie value stands for, if it is genuine, current and not ended.
        Anything else, malformed bytes included, is None."""
        parts = value.split(".") if value and value.isascii() else []
        if len(parts) != 4:
            return None
        name, session_id, expiry, signature = parts
        if not (_ID.fullmatch(session_id) and expiry.isdigit() and len(expiry) <= 12):
            return None
        try:
            user = self.users.get(base64.urlsafe_b64decode(name + "==").decode())
        except ValueError:  # not base64, or not UTF-8
            return None
        if user is None or int(expiry) <= time.time():
            return None
        expected = self._sign(user, session_id, expiry)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        if self.store.is_revoked(session_id, int(expiry)):
            return None
        return Session(user.username, session_id, int(expiry))

    def end(self, session: Session) -> None:
        self.store.revoke(session.id, session.expiry)

    def end_all(self, username: str) -> None:
        """End every session of `username`, on every device."""
        self.store.new_generation(username)

    def _sign(self, user: User, session_id: str, expiry: str) -> str:
        generation = self.store.generation(user.username)
        fields = [user.username, session_id, expiry, user.password, generation]
        message = "\0".join(fields).encode(errors="surrogatepass")  # `${VAR}`s may hold any bytes
        return _b64(hmac.new(self.key, message, hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
