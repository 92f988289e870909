"""`server.quotas`: how often and how much clients may write to disk (uploads, flags), and the
free-disk floor below which nothing more is written.

A refusal is an HTTP error that says which limit was hit: 429 with `Retry-After` for one
client's rate or bytes, 413 for more files at once than a minute allows, 507 for the quota of
all clients together (with `Retry-After`) or the disk floor. Bytes are counted as they are
written, so an upload cut off early costs only what was written before. The counts live in
this process's memory (`RateLimit`); they start again when the server restarts.
"""

from __future__ import annotations

import ipaddress
import math
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from chatserve.config.server import QuotaConfig
from chatserve.security.auth import client_address
from chatserve.security.ratelimit import RateLimit
from chatserve.store.files import free_space

MINUTE = 60.0
HOUR = 3600.0
EVERYONE = "everyone"


def client_key(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: its signed-in user, else its address. Neither changes
    when a client drops its cookies; an IPv6 address counts as its /64 network, the block one
    host is usually given."""
    user = request.scope.get("user")
    if user:
        return f"user:{user}"
    host = client_address(request)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # an IPv4 client of a dual-stack socket
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"address:{address}"


class Quotas:
    """The limits of `server.quotas` for one server process."""

    def __init__(self, config: QuotaConfig) -> None:
        self.config = config
        self._uploads = RateLimit(config.uploads_per_minute, MINUTE)
        self._flags = RateLimit(config.flags_per_minute, MINUTE)
        self._client_bytes = RateLimit(config.client_bytes_per_hour, HOUR)
        self._all_bytes = RateLimit(config.bytes_per_hour, HOUR, max_keys=1)

    def before_upload(self, request: Request[Any, Any, Any], folder: Path) -> None:
        """Refuse a client that may not upload now, before its body is read."""
        wait = self._uploads.wait(client_key(request))
        if wait:
            raise _too_many("uploads", self.config.uploads_per_minute, "files", wait)
        self.room(request, folder)

    def take_uploads(self, request: Request[Any, Any, Any], count: int) -> None:
        """Count `count` files against the client's uploads per minute, or refuse them all."""
        limit = self.config.uploads_per_minute
        wait = self._uploads.take(client_key(request), count)
        if wait == math.inf:
            raise HTTPException(
                status_code=413,
                detail=f"This request has {count} files; a client may upload {limit} per "
                "minute. Send fewer at a time.",
            )
        if wait:
            raise _too_many("uploads", limit, "files", wait)

    def take_flag(self, request: Request[Any, Any, Any]) -> None:
        """Count a rating against the client's ratings per minute, or refuse it."""
        wait = self._flags.take(client_key(request))
        if wait:
            raise _too_many("ratings", self.config.flags_per_minute, "ratings", wait)

    def room(self, request: Request[Any, Any, Any], folder: Path | None) -> None:
        """Refuse to write into `folder` if the client or everyone has written all an hour
        allows, or if the disk has less free space than the floor (None: not on this
        machine's disk; a bucket)."""
        wait = self._client_bytes.wait(client_key(request))
        if wait:
            limit = self.config.client_bytes_per_hour
            raise _refused(
                429,
                f"Storage limit reached: a client may store {limit:,} bytes per hour "
                "(uploads and ratings together).",
                wait,
            )
        wait = self._all_bytes.wait(EVERYONE)
        if wait:
            limit = self.config.bytes_per_hour
            raise _refused(
                507,
                f"The server stores at most {limit:,} bytes per hour from all clients, "
                "and that is used up.",
                wait,
            )
        if folder is not None and free_space(folder) < self.config.min_free_disk:
            raise HTTPException(
                status_code=507,
                detail="The server is low on disk space: it stores no uploads or ratings "
                "until space is freed. Chats still work.",
            )

    def spend(self, request: Request[Any, Any, Any], size: int) -> None:
        """Count `size` bytes just written against the client and everyone."""
        self._client_bytes.spend(client_key(request), size)
        self._all_bytes.spend(EVERYONE, size)

    def charge(self, request: Request[Any, Any, Any], folder: Path, size: int) -> None:
        """`room`, then count `size` bytes: call it right before writing them."""
        self.room(request, folder)
        self.spend(request, size)


def _too_many(what: str, limit: int, unit: str, wait: float) -> HTTPException:
    return _refused(429, f"Too many {what}: a client may send {limit} {unit} per minute.", wait)


def _refused(status: int, message: str, wait: float) -> HTTPException:
    seconds = max(1, math.ceil(wait))
    return HTTPException(
        status_code=status,
        detail=f"{message} Try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )
