"""The `server:` block: how the bot is served. Never sent to the browser.

Unlike the rest of a config these settings are read leniently (`port: "8080"` is a port),
because `${VAR}` interpolation makes every value here a string.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chatserve.passwords import PREFIX, is_valid_hash
from chatserve.sizes import ByteSize, parse_size

_ROOT_PATH = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class User(Settings):
    """Someone who may sign in to the web page."""

    username: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s:]+$")]
    """The name typed on the login page; `fn` can read it from `request.username`."""

    password: Annotated[str, Field(min_length=1, repr=False)]
    """The password as `${ENV_VAR}` (kept out of the file), or a hash printed by
    `chatserve hash-password` (starts with `scrypt$`)."""

    @field_validator("password")
    @classmethod
    def _hash(cls, value: str) -> str:
        if value.startswith(PREFIX) and not is_valid_hash(value):
            raise ValueError("is not a hash made by `chatserve hash-password`")
        return value


class ApiToken(Settings):
    """A secret an API client sends as `Authorization: Bearer <token>`."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s:]+$")]
    """Who uses it: logged, and what `request.username` is for its requests."""

    token: Annotated[str, Field(min_length=16, repr=False)]
    """The secret itself, at least 16 characters; write it as `${ENV_VAR}`."""


class AuthConfig(Settings):
    """Who may use the bot. Everything but `/healthz` and the login page then needs a
    signed-in session (the web page) or a bearer token (the API)."""

    users: list[User] = []
    """Accounts for the login page."""

    tokens: list[ApiToken] = []
    """Bearer tokens for programs (the native API and `/v1/*`)."""

    session_max_age: Annotated[int, Field(ge=60)] = 7 * 24 * 3600
    """Seconds a login lasts."""

    @model_validator(mode="after")
    def _someone(self) -> AuthConfig:
        if not self.users and not self.tokens:
            raise ValueError("needs at least one user or token, or the bot is closed to all")
        names = [user.username for user in self.users] + [token.name for token in self.tokens]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"each user and token needs its own name; repeated: {repeated}")
        return self


class ServerConfig(Settings):
    """Where and how the server listens. Never sent to the browser."""

    host: str = "127.0.0.1"
    """Interface to bind; `0.0.0.0` listens on every interface. The `--host` option wins."""

    port: int = Field(8000, ge=0, le=65535)
    """TCP port; 0 picks a free one. The `--port` option wins."""

    root_path: str = ""
    """The path prefix a reverse proxy serves the bot under, such as `/bot` (the proxy strips
    it; links and cookies include it)."""

    forwarded_allow_ips: list[str] = []
    """Addresses of the proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` headers are
    believed (`*` for any). Empty: those headers are ignored."""

    data_dir: str | None = None
    """Where uploads and files the bot makes are kept, relative to the config file.
    Default: `.chatserve` beside the config."""

    allowed_paths: list[str] = []
    """Folders (relative to the config file, or absolute) from which the chat function may
    return files, besides the data dir and the system temp dir."""

    max_upload_size: ByteSize = 50_000_000
    """The largest file a client may upload: bytes, or a size such as `10MB`."""

    cors_origins: list[str] = []
    """Web origins (`https://example.com`) whose pages may call the API from the browser.
    Empty: no cross-origin requests."""

    auth: AuthConfig | None = None
    """Require a login (the web page) or a token (the API). Null: anyone who can reach the
    server may use it."""

    @field_validator("max_upload_size")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)

    @field_validator("root_path")
    @classmethod
    def _root_path(cls, value: str) -> str:
        value = value.rstrip("/")
        if not _ROOT_PATH.match(value):
            raise ValueError(f"must be a path such as '/bot' (no query, no spaces), got {value!r}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(f"an origin is scheme://host[:port] with no path, got {origin!r}")
        return value
