"""The `server:` block: how the bot is served. Never sent to the browser.

Unlike the rest of a config these settings are read leniently (`port: "8080"` is a port),
because `${VAR}` interpolation makes every value here a string.
"""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticKnownError

from chatserve.config.base import ConfigModel
from chatserve.config.sizes import ByteSize, ByteSizeOrZero, parse_size
from chatserve.security.hosts import host_pattern
from chatserve.security.passwords import is_hash, parse_hash

_ROOT_PATH = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")
_ORIGIN = re.compile(r"^https?://[^/\s]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def web_origin(origin: str) -> str:
    """`origin` if it is one (`scheme://host[:port]`, as browsers name a site); else ValueError."""
    if not _ORIGIN.match(origin):
        raise ValueError(f"an origin is scheme://host[:port] with no path, got {origin!r}")
    return origin


def database_url(url: str) -> str:
    """`url` if it names a PostgreSQL database; else ValueError (which never quotes the URL:
    it may hold a password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        scheme = f"a {parts.scheme}: URL" if parts.scheme else "no URL"
        raise ValueError(
            f"must be a postgresql:// URL such as postgresql://chat:${{DB_PASSWORD}}@db:5432/chat,"
            f" got {scheme}"
        )
    if not parts.path.strip("/") or not (parts.hostname or "host=" in parts.query):
        raise ValueError("must name a host and a database: postgresql://user@host:5432/database")
    return url


def storage_url(url: str) -> str:
    """`url` if it is `s3://bucket[/prefix]` with a valid bucket name; else ValueError."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"must be an s3://bucket/prefix URL, got {url!r}")
    if not _BUCKET.match(parts.netloc):
        raise ValueError(
            f"{parts.netloc!r} is not a bucket name (3 to 63 lowercase letters, digits, dots "
            "and hyphens)"
        )
    if parts.query or parts.fragment or "//" in parts.path:
        raise ValueError(f"must be s3://bucket/prefix with nothing after the prefix, got {url!r}")
    return url.rstrip("/")


_WRONG_TYPE = {int: "int_type", float: "float_type", bool: "bool_type", str: "string_type"}


def scalar_types(annotation: Any) -> set[type]:
    """The scalar types (int, float, bool, str) a field takes, through `Annotated`, unions and
    null; empty when it takes only lists or mappings (`true` or a mapping: bool)."""
    if typing.get_origin(annotation) is Annotated:
        return scalar_types(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [scalar_types(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        return set().union(*found)
    return {annotation} if annotation in _WRONG_TYPE else set()


class Settings(ConfigModel):
    model_config = ConfigDict(strict=False)  # `${VAR}` makes every value here a string

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Leniency is for text: `port: true` is no more port 1 here than anywhere else."""
        takes = scalar_types(cls.model_fields[str(info.field_name)].annotation)
        if isinstance(value, bool) and takes and bool not in takes:
            wanted = next(kind for kind in _WRONG_TYPE if kind in takes)
            raise PydanticKnownError(_WRONG_TYPE[wanted])  # type: ignore[arg-type]
        return value


class User(Settings):
    """Someone who may sign in to the web page."""

    username: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s:]+$")]
    """The name typed on the login page; `fn` can read it from `request.username`."""

    password: Annotated[str, Field(min_length=1, repr=False)]
    """The password as `${ENV_VAR}` (kept out of the file), or a hash printed by
    `chatserve hash-password` (`$scrypt$ln=17,r=8,p=1$...`; the older `scrypt$16384$...` form
    still works)."""

    @field_validator("password")
    @classmethod
    def _hash(cls, value: str) -> str:
        if is_hash(value):
            parse_hash(value)  # says what is wrong with it
        return value


class ApiToken(Settings):
    """A secret an API client sends as `Authorization: Bearer <token>`."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s:]+$")]
    """Who uses it: logged, and what `request.username` is for its requests."""

    token: Annotated[str, Field(min_length=16, repr=False)]
    """The secret itself, at least 16 characters; write it as `${ENV_VAR}`."""


def issuer_url(url: str) -> str:
    """`url` if it can name an OpenID provider: https, or http on a loopback host (a provider
    for tests or development); else ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be the provider's https:// issuer URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"an issuer URL has no query or fragment, got {url!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(f"must be https:// (http only for a loopback host), got {url!r}")
    return url


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OidcConfig(Settings):
    """Sign-in through an OpenID Connect provider (Google, Microsoft Entra ID, Keycloak, Okta,
    ...): the login page offers "Sign in with ...". Needs `pip install 'chatserve[oidc]'`.
    Register `https://<host><root_path>/login/oidc/callback` as a redirect URI at the provider.
    Who may come in is up to the allow-lists: one of them must be set."""

    issuer: str
    """The provider's issuer URL, exactly as its discovery document
    (`<issuer>/.well-known/openid-configuration`) states it, such as
    `https://accounts.google.com`. https only; http for a loopback host."""

    client_id: Annotated[str, Field(min_length=1)]
    """The client ID the provider gave this bot."""

    client_secret: str | None = Field(None, repr=False)
    """The client secret, as `${ENV_VAR}`. Null: a public client, which proves itself with
    PKCE alone."""

    scopes: Annotated[list[str], Field(json_schema_extra={"contains": {"const": "openid"}})] = [
        "openid",
        "email",
        "profile",
    ]
    """The scopes asked for; `openid` is required. Add the provider's groups scope (often
    `groups`) for `allowed_groups`."""

    label: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    """What the login page calls the provider, such as `Google` ("Sign in with Google").
    Null: "Sign in with single sign-on" (in the page's language)."""

    username_claim: Annotated[str, Field(min_length=1)] = "email"
    """The ID token claim that names the user: `request.username`, whom files, flags and
    saved conversations belong to. `email` (default), `preferred_username` or `sub` (stable,
    but not readable)."""

    groups_claim: Annotated[str, Field(min_length=1)] = "groups"
    """The ID token claim that lists the user's groups, for `allowed_groups`."""

    allowed_domains: list[str] = []
    """E-mail domains whose accounts may sign in, such as `example.com` (not its subdomains);
    `*` for any account the provider signs in."""

    allowed_emails: list[str] = []
    """E-mail addresses that may sign in, besides `allowed_domains`."""

    allowed_groups: list[str] = []
    """Groups (values of `groups_claim`) whose members may sign in, besides the e-mail
    allow-lists."""

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return issuer_url(value)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError(f"must include 'openid', got {value!r}")
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            if domain != "*" and not re.fullmatch(r"[^@\s*]+\.[^@\s*]+", domain):
                raise ValueError(f"a domain is such as 'example.com' (or '*'), got {domain!r}")
        return [domain.lower() for domain in value]

    @field_validator("allowed_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
                raise ValueError(f"an e-mail address is such as 'ana@example.com', got {email!r}")
        return [email.lower() for email in value]

    @model_validator(mode="after")
    def _someone(self) -> OidcConfig:
        if not (self.allowed_domains or self.allowed_emails or self.allowed_groups):
            raise ValueError(
                "needs allowed_domains, allowed_emails or allowed_groups: a provider such as "
                "Google signs in anyone with an account (allowed_domains: ['*'] lets them all in)"
            )
        return self


class AuthConfig(Settings):
    """Who may use the bot. Everything but `/healthz` and the login page then needs a
    signed-in session (the web page) or a bearer token (the API)."""

    users: list[User] = []
    """Accounts for the login page."""

    oidc: OidcConfig | None = None
    """Sign-in through an OpenID Connect provider, beside (or instead of) `users`."""

    tokens: list[ApiToken] = []
    """Bearer tokens for programs (the native API and `/v1/*`)."""

    session_max_age: Annotated[int, Field(ge=60)] = 7 * 24 * 3600
    """Seconds a login lasts."""

    secret: Annotated[str, Field(min_length=32)] | None = Field(None, repr=False)
    """The key that signs session cookies (and those of sign-ins under way at the `oidc`
    provider), at least 32 characters, as `${ENV_VAR}` (or set the `CHATSERVE_SECRET`
    variable). Required with `server.database`: every replica must sign and check sessions
    with the same key. Unset: a random key kept in the data dir."""

    @model_validator(mode="after")
    def _someone(self) -> AuthConfig:
        if not self.users and not self.tokens and self.oidc is None:
            raise ValueError(
                "needs at least one user or token, or oidc, or the bot is closed to all"
            )
        names = [user.username for user in self.users] + [token.name for token in self.tokens]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"each user and token needs its own name; repeated: {repeated}")
        return self


class QuotaConfig(Settings):
    """How much clients may write into the data dir (uploads, flags) and the flag store. A
    client is the signed-in user with `server.auth`, else the address the request comes from
    (IPv6: its /64 network). Each limit refills steadily over its period. Counted in each
    server process's memory: with `--workers N`, each process allows this much."""

    uploads_per_minute: int = Field(30, ge=1)
    """Files one client may upload per minute."""

    flags_per_minute: int = Field(30, ge=1)
    """Ratings (`POST /api/flag`) one client may send per minute."""

    client_bytes_per_hour: ByteSize = Field("1GB", validate_default=True)
    """Bytes one client may write per hour: uploads, flags and the growth of saved
    conversations together."""

    bytes_per_hour: ByteSize = Field("10GB", validate_default=True)
    """Bytes all clients together may write per hour."""

    conversations: int = Field(1000, ge=1)
    """With `save_history: server`: the conversations one user (or browser, without `auth`)
    may keep; a new one past it is refused (409) until some are deleted."""

    conversation_size: ByteSize = Field("2MB", validate_default=True)
    """With `save_history: server`: the largest conversation kept, its messages and values as
    JSON. A turn that starts past it is refused (413); the reply that takes it past is kept."""

    min_free_disk: ByteSizeOrZero = Field("1GB", validate_default=True)
    """Free space to leave on the disk of the data dir (and of `flagging_dir`): below it,
    uploads and flags are refused with 507, and files of replies are not kept (the reply says
    so); text chats go on. `0` turns the check off."""

    @field_validator("client_bytes_per_hour", "bytes_per_hour", "conversation_size")
    @classmethod
    def _size(cls, value: int | str) -> int:
        return parse_size(value)

    @field_validator("min_free_disk")
    @classmethod
    def _floor(cls, value: int | str) -> int:
        return 0 if value in (0, "0") else parse_size(value)


class TracingConfig(Settings):
    """Where the server sends its traces: OTLP over HTTP, to an OpenTelemetry collector."""

    endpoint: str | None = None
    """The collector's OTLP/HTTP traces URL, such as `http://collector:4318/v1/traces`. Null:
    the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` variable,
    else `http://localhost:4318/v1/traces`."""

    service_name: str | None = None
    """The `service.name` of the spans. Null: the standard `OTEL_SERVICE_NAME` variable, else
    the bot's `title`, else `chatserve`."""

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not (
            urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc
        ):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value


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
    """Addresses of the proxies whose `X-Forwarded-For`, `X-Forwarded-Proto` and
    `X-Forwarded-Host` headers are believed (`*` for any). Empty: those headers are ignored."""

    allowed_hosts: list[str] = []
    """Host names the server answers to, besides `localhost` and IP addresses (always answered:
    a DNS-rebinding page can use neither): `bot.example.com`, `.example.com` for a domain and
    its subdomains, or `*` for any. A request naming another host gets 400."""

    worker_threads: int = Field(256, ge=1, le=4096)
    """Threads for chat functions that are not `async`: each run of one holds a thread until it
    ends, so at most this many run at once and the next ones wait in line, seeing their place
    (503 when 50 per thread are waiting). `async` chat functions need none."""

    read_timeout: float = Field(20, gt=0, le=3600)
    """Seconds a client may take to send a request's headers, and to send each part of its
    body; a slower client is cut off (408), so trickling bytes cannot hold connections open."""

    data_dir: str | None = None
    """Where uploads and files the bot makes are kept, relative to the config file.
    Default: `.chatserve` beside the config."""

    allowed_paths: list[str] = []
    """Folders (relative to the config file, or absolute) from which the chat function may
    return files, besides the data dir and the system temp dir."""

    max_upload_size: ByteSize = 50_000_000
    """The largest file a client may upload: bytes, or a size such as `10MB`."""

    quotas: QuotaConfig = QuotaConfig()
    """Limits on what clients write to disk (uploads, flags, saved conversations): rates,
    bytes per hour, caps on saved conversations, a free-disk floor. A client is the signed-in
    user, else its address; each server process counts on its own."""

    cors_origins: list[str] = []
    """Web origins (`https://example.com`) whose pages may call the API from the browser.
    Empty: no cross-origin requests."""

    auth: AuthConfig | None = None
    """Require a login (the web page) or a token (the API). Null: anyone who can reach the
    server may use it."""

    database: str | None = None
    """Where replicas share what they write: a `postgresql://user:${DB_PASSWORD}@host:5432/db`
    URL (needs `pip install 'chatserve[postgres]'`). Flags, the records of files, ended sessions
    and failed sign-ins live there, so every replica sees them, and replicas take turns
    computing example answers. Null: SQLite and files in the data dir."""

    storage: str | None = None
    """Where replicas keep the files they share: `s3://bucket/prefix` (needs `pip install
    'chatserve[s3]'`), with credentials, region and endpoint from the standard AWS variables
    (`AWS_ENDPOINT_URL` for MinIO, R2 or Ceph). Uploads, the bot's files, cached example
    answers and the files kept with flags go there; each replica's data dir keeps copies of
    those it used. Null: the data dir."""

    shutdown_grace: float = Field(30, ge=0, le=3600)
    """Seconds the chats that are running may take to end once `chatserve serve` is told to
    stop (SIGTERM, Ctrl+C); it takes no new connections meanwhile. Chats still running then
    end with an error event saying the reply was cut short."""

    metrics: bool = False
    """Serve Prometheus metrics at `/metrics` (needs `pip install 'chatserve[metrics]'`):
    requests, chats, tokens, waits in line and chat function errors. With `auth`, Prometheus
    sends one of its tokens."""

    tracing: bool | TracingConfig = False
    """Send OpenTelemetry traces (needs `pip install 'chatserve[tracing]'`): a span per request
    and one per chat turn inside it. `true` sends them where the standard `OTEL_*` variables
    say; a mapping names the collector's `endpoint` and the `service_name`."""

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

    @field_validator("database")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        return None if value is None else database_url(value)

    @field_validator("storage")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return None if value is None else storage_url(value)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        return [host_pattern(host) for host in value]

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [origin if origin == "*" else web_origin(origin) for origin in value]
