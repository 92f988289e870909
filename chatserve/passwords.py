"""Passwords in configs: scrypt hashes made by `chatserve hash-password`, or plain text
(normally an `${ENV}` reference). Both are checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "scrypt$"
_N, _R, _P = 2**14, 8, 1
"""scrypt's cost: 16 MiB and some 50 ms per check, so guessing is slow even offline."""


def hash_password(password: str) -> str:
    """`scrypt$<n>$<r>$<p>$<salt>$<hash>`, salt and hash in URL-safe base64."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return PREFIX + "$".join([str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def check_password(stored: str, given: str) -> bool:
    """Whether `given` matches `stored` (a hash from `hash_password`, or the password itself)."""
    if not stored.startswith(PREFIX):
        # Compare digests: equal lengths, so the time taken says nothing about the password.
        expected = hashlib.sha256(stored.encode()).digest()
        return hmac.compare_digest(expected, hashlib.sha256(given.encode()).digest())
    n, r, p, salt, digest = stored.removeprefix(PREFIX).split("$")
    actual = _scrypt(given, _unb64(salt), int(n), int(r), int(p))
    return hmac.compare_digest(actual, _unb64(digest))


def is_valid_hash(stored: str) -> bool:
    """Whether a value that looks like a hash really is one (caught when the config loads)."""
    parts = stored.removeprefix(PREFIX).split("$")
    try:
        n, r, p = (int(part) for part in parts[:3])
        return len(parts) == 5 and n > 1 and r > 0 and p > 0 and all(map(_unb64, parts[3:]))
    except ValueError:
        return False


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
