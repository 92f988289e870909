"""The optional packages some keys need (shared state, metrics, traces, OpenID Connect, Pillow
images, MCP), imported only when a config asks for them."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING

from chatserve.errors import ConfigError

if TYPE_CHECKING:
    from chatserve.config.models import Config

EXTRAS = {
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
    "obstore": "s3",
    "prometheus_client": "metrics",
    "opentelemetry.sdk.trace": "tracing",
    "opentelemetry.instrumentation.asgi": "tracing",
    "opentelemetry.exporter.otlp.proto.http": "tracing",
    "httpx2": "oidc",  # before Authlib, which would fall back to httpx with a warning
    "authlib.integrations.httpx_client": "oidc",
    "PIL.Image": "pil",
    "mcp.server.streamable_http_manager": "mcp",
}
"""Which of chatserve's extras installs each client."""


class MissingExtra(ImportError):
    """A config needs a client that is not installed; the message says how to install it."""


def client(module: str) -> ModuleType:
    """Import `module`, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[module]
        raise MissingExtra(
            f"needs the {module} package, which is not installed: pip install 'chatserve[{extra}]'"
        ) from None


def require(config: Config, needs: Iterable[tuple[tuple[str, ...], str]]) -> None:
    """ConfigError, at each key of `needs` (a key's path, the extra it needs), whose extra is
    not installed: each client of the extra is imported to find out."""
    problems = []
    for path, extra in needs:
        try:
            for module in [module for module, name in EXTRAS.items() if name == extra]:
                client(module)
        except MissingExtra as exc:
            problems.append(config.source.problem(path, str(exc)))
    if problems:
        raise ConfigError(problems)
