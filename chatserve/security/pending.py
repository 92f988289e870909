"""A sign-in under way at the OpenID provider: what its callback needs to finish it (the state,
the nonce, the PKCE verifier, where to go next) in a signed cookie of the browser that started
it, good for ten minutes and for one use.

The cookie binds the sign-in to that browser: the provider's answer is taken only with the
state it was sent with, so a callback link made for someone else signs no one in. The cookie is
self-contained, so any replica can finish the sign-in; its state is recorded as used in the
store of ended sessions, which replicas share, so a callback replayed, even with a copy of the
cookie, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from chatserve.security.sessions import EndedSessions

COOKIE = "chatserve_oidc"
MAX_AGE = 600
"""Seconds a sign-in may take at the provider."""


@dataclass(frozen=True)
class Pending:
    state: str
    nonce: str
    verifier: str
    """The PKCE code verifier: only its hash goes to the provider before the code comes back."""
    next_path: str
    expiry: int

    @classmethod
    def new(cls, next_path: str) -> Pending:
        return cls(
            state=secrets.token_urlsafe(16),  # the form of a session id: the store takes it
            nonce=secrets.token_urlsafe(16),
            verifier=secrets.token_urlsafe(48),
            next_path=next_path,
            expiry=int(time.time()) + MAX_AGE,
        )


class PendingSignIns:
    """Seals sign-ins into cookie values, signed with a key derived from `key` (the
    sessions'), and takes them back once; `store` records the used ones."""

    def __init__(self, key: bytes, store: EndedSessions) -> None:
        self.key = hmac.new(key, b"chatserve oidc sign-ins", hashlib.sha256).digest()
        self.store = store

    def seal(self, pending: Pending) -> str:
        data = _b64(json.dumps(asdict(pending), separators=(",", ":")).encode())
        return f"{data}.{self._sign(data)}"

    def take(self, value: str | None, state: str) -> Pending | None:
        """The sign-in a cookie value holds, if it is genuine, current, unused and the one
        `state` (the provider's answer's) names; it counts as used from now on. Else None."""
        data, _, signature = (value or "").partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(data).encode()):
            return None
        pending = Pending(**json.loads(base64.urlsafe_b64decode(data + "==")))
        if not hmac.compare_digest(pending.state.encode(), state.encode()):
            return None
        if pending.expiry <= time.time() or self.store.is_revoked(pending.state, pending.expiry):
            return None
        self.store.revoke(pending.state, pending.expiry)
        return pending

    def _sign(self, data: str) -> str:
        return _b64(hmac.new(self.key, data.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
