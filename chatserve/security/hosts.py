"""`server.allowed_hosts`: the host names a request may name in its `Host` header.

A DNS-rebinding page reaches a server on loopback or a private network under a host name the
attacker controls, and the browser then treats the server as that page's own origin. Checking
the name stops it. `localhost` (and its subdomains) and IP addresses are always answered: an
attacker's page can be served under neither.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.ASCII)
_HOST_HEADER = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::[0-9]{1,5})?$", re.ASCII)

ALWAYS_ALLOWED = ("localhost", ".localhost")


def host_pattern(text: str) -> str:
    """`text` as an `allowed_hosts` entry: a name, `.domain` (`*.domain` alike) or `*`,
    lowercased; raises ValueError for anything else."""
    if text == "*":
        return text
    pattern = text.lower().rstrip(".")
    if pattern.startswith("*."):
        pattern = pattern[1:]
    if not _NAME.match(pattern.removeprefix(".")) or len(pattern) > 253:
        raise ValueError(
            "a host is a name such as 'bot.example.com', '.example.com' for a domain and its "
            f"subdomains, or '*' (no scheme, no port); got {text!r}"
        )
    return pattern


def host_name(header: str) -> str | None:
    """The host a `Host` header names, lowercased, without its port or final dot; None when
    the header is not a valid host."""
    match = _HOST_HEADER.match(header.lower())
    if match is None:
        return None
    name = match.group(1)
    if name.startswith("["):
        return name if _is_ip(name[1:-1]) else None
    name = name.rstrip(".")
    return name if _NAME.match(name) or _is_ip(name) else None


class AllowedHosts:
    """Decides whether a request's host is one this server answers to."""

    def __init__(self, patterns: list[str]) -> None:
        self.any = "*" in patterns
        listed = [*ALWAYS_ALLOWED, *patterns]
        self.names = frozenset(p for p in listed if not p.startswith("."))
        self.domains = tuple(p for p in listed if p.startswith("."))

    def allows(self, name: str, local_address: str | None = None) -> bool:
        """Whether `name` (from `host_name`) may be served; `local_address` is the address the
        connection arrived at, which a request may always name."""
        return (
            self.any
            or name in self.names
            or name == local_address
            or any(name == domain[1:] or name.endswith(domain) for domain in self.domains)
            or _is_ip(name.strip("[]"))
        )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
