"""Passwords in configs: scrypt hashes made by `chatserve hash-password`, or plain text
(normally an `${ENV}` reference).

A hash is a PHC string, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, so it says its own cost and the
cost can be raised later; hashes in the older `scrypt$16384$8$1$<salt>$<hash>` form still
check. Every check runs scrypt at the current cost at least once, whatever is stored (or when
no such user exists), so the time taken tells nothing about the user name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatserve.store.digests import sha256_hex
from chatserve.store.statefiles import write_file

_NUMBER = r"(0|[1-9][0-9]{0,9})"
_PHC = re.compile(
    rf"\$scrypt\$ln={_NUMBER},r={_NUMBER},p={_NUMBER}\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)"
)
_LEGACY = re.compile(rf"scrypt\${_NUMBER}\${_NUMBER}\${_NUMBER}\$([\w-]+)\$([\w-]+)", re.ASCII)
_FORM = "$scrypt$ln=<log2 of N>,r=<block size>,p=<parallelism>$<salt>$<hash>"


@dataclass(frozen=True)
class Cost:
    """scrypt's parameters: N = 2**ln rounds over 128·r·N bytes of memory, p times."""

    ln: int
    r: int
    p: int

    @property
    def work(self) -> int:
        return 2**self.ln * self.r * self.p

    @property
    def memory(self) -> int:
        return 128 * self.r * (2**self.ln + self.p + 2)  # OpenSSL's own sum


COST = Cost(ln=17, r=8, p=1)
"""OWASP's minimum for scrypt: 128 MiB and about half a second per check. The one place the
current cost is named: every function here reads it when called (tests lower it)."""
MAX_COST = Cost(ln=20, r=16, p=16)
"""Bounds for each part of a stored hash's cost, so that a typo cannot make each check take
minutes or many gigabytes."""


@dataclass(frozen=True)
class PasswordHash:
    cost: Cost
    salt: bytes
    digest: bytes

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(_scrypt(password, self.salt, self.cost), self.digest)

    def __str__(self) -> str:
        ln, r, p = self.cost.ln, self.cost.r, self.cost.p
        return f"$scrypt$ln={ln},r={r},p={p}${_b64(self.salt)}${_b64(self.digest)}"


def _decoy() -> PasswordHash:
    """Checked when there is no hash to check (an unknown user, a plain-text password): the
    work of the current cost, and no password matches it."""
    return PasswordHash(COST, salt=bytes(16), digest=bytes(32))


def hash_password(password: str) -> str:
    """A PHC string for `password` at the current cost, with a random salt."""
    salt = secrets.token_bytes(16)
    return str(PasswordHash(COST, salt, _scrypt(password, salt, COST)))


def is_hash(stored: str) -> bool:
    """Whether a stored password is meant as a hash (in either form) rather than plain text."""
    return stored.startswith(("$scrypt$", "scrypt$"))


def parse_hash(stored: str) -> PasswordHash:
    """The hash in `stored`; ValueError saying what is wrong with it (never quoting it)."""
    if match := _PHC.fullmatch(stored):
        ln, r, p = (int(group) for group in match.groups()[:3])
        salt, digest = (_decode(group, base64.b64decode) for group in match.groups()[3:])
    elif match := _LEGACY.fullmatch(stored):
        n, r, p = (int(group) for group in match.groups()[:3])
        if n < 2 or n & (n - 1):
            raise ValueError(f"is not a valid hash: N must be a power of 2, got {n}")
        ln = n.bit_length() - 1
        salt, digest = (_decode(group, base64.urlsafe_b64decode) for group in match.groups()[3:])
    else:
        raise ValueError(f"is not a hash made by `chatserve hash-password` (expected {_FORM})")
    cost = Cost(ln, r, p)
    if not (1 <= ln <= MAX_COST.ln and 1 <= r <= MAX_COST.r and 1 <= p <= MAX_COST.p):
        raise ValueError(
            f"is not a usable hash: its cost ln={ln}, r={r}, p={p} is outside ln=1..{MAX_COST.ln}, "
            f"r=1..{MAX_COST.r}, p=1..{MAX_COST.p}"
        )
    if len(salt) < 8 or len(digest) < 16:
        raise ValueError("is not a valid hash: its salt or hash is too short")
    return PasswordHash(cost, salt, digest)


def check_password(stored: str | None, given: str) -> bool:
    """Whether `given` matches `stored`: a hash, the password itself, or None (no such user).

    A valid hash is assumed (the config was validated). A hash of a lower cost than the
    current one is checked, then the decoy too, so that it takes no less time than the others.
    """
    if stored is not None and is_hash(stored):
        hashed = parse_hash(stored)
        matches = hashed.matches(given)
        if hashed.cost.work < COST.work:
            _decoy().matches(given)
        return matches
    _decoy().matches(given)
    if stored is None:
        return False
    # Compare digests: equal lengths, so the time taken says nothing about the password.
    expected = hashlib.sha256(_bytes(stored)).digest()
    return hmac.compare_digest(expected, hashlib.sha256(_bytes(given)).digest())


def needs_rehash(stored: str) -> bool:
    """Whether `stored` is a hash of a lower cost than the current one."""
    return is_hash(stored) and parse_hash(stored).cost.work < COST.work


class UpgradedHashes:
    """Hashes made again at the current cost, for configs that still hold an older one.

    The config file is never rewritten: an upgraded hash is kept in `folder` under a digest
    of the value the config holds, and is used for as long as the config holds that value.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def effective(self, stored: str) -> str:
        """The hash to check for the config's `stored` value: its upgrade, if there is one."""
        try:
            upgraded = self._path(stored).read_text()
            parse_hash(upgraded)
        except (OSError, ValueError):  # none yet, or damaged: the config's value still holds
            return stored
        return upgraded

    def upgrade(self, stored: str, password: str) -> None:
        """Keep a hash of `password` at the current cost for the config's `stored` value."""
        write_file(self._path(stored), hash_password(password).encode())

    def _path(self, stored: str) -> Path:
        return self.folder / sha256_hex(stored)


def _scrypt(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(
        _bytes(password),
        salt=salt,
        n=2**cost.ln,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory + 2**20,
        dklen=32,
    )


def _bytes(text: str) -> bytes:
    return text.encode(errors="surrogatepass")  # `${VAR}` values may hold any bytes


def _decode(text: str, decode: Callable[[str], bytes]) -> bytes:
    try:
        return decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("is not a valid hash: its salt or hash is not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).rstrip(b"=").decode()
