"""What a config's state lives on besides this machine's data dir: the database
(`server.database`) and the bucket (`server.storage`) replicas share.

Both are made from the config without connecting; the app connects when it starts, and
`chatserve serve` first checks that it can, so a wrong URL or password is a config problem at
its key, not a traceback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from chatserve.config.models import Config
from chatserve.errors import ConfigError, Problem
from chatserve.store.blobs import Folder
from chatserve.store.conversations import Conversations, ConversationStore
from chatserve.store.files import FileRecords, Registry
from chatserve.store.flags import Flags
from chatserve.store.shared.conversations import PostgresConversations
from chatserve.store.shared.extras import MissingExtra
from chatserve.store.shared.files import PostgresRecords
from chatserve.store.shared.flags import PostgresFlags
from chatserve.store.shared.postgres import Postgres
from chatserve.store.shared.s3 import Bucket

logger = logging.getLogger("chatserve")

SECRET_VARIABLE = "CHATSERVE_SECRET"
"""The environment variable that may hold `server.auth.secret`."""


@dataclass
class Backends:
    """The database and bucket of one config; None each when its state stays on this machine."""

    database: Postgres | None = None
    bucket: Bucket | None = None

    def open(self) -> None:
        """Connect (and migrate the database); raises when either cannot be reached."""
        if self.database is not None:
            self.database.open()
        if self.bucket is not None:
            self.bucket.check()

    def close(self) -> None:
        if self.database is not None:
            self.database.close()

    def unanswered(self) -> list[str]:
        """What does not answer now, for a readiness probe (the errors go to the log)."""
        reasons = []
        for backend, what in ((self.database, "database"), (self.bucket, "bucket")):
            if backend is None:
                continue
            try:
                backend.check()
            except Exception as exc:  # whatever the client raises: the probe says no
                logger.warning("The %s does not answer: %s", what, exc)
                reasons.append(f"The {what} does not answer.")
        return reasons

    def file_records(self) -> Callable[[Path], FileRecords]:
        """How the records of files are kept: in the database, else in the data dir."""
        if self.database is None:
            return Registry
        return partial(PostgresRecords, self.database)

    def conversations(self, data_dir: Path) -> Conversations:
        """Where saved conversations are kept: in the database, else in SQLite in the data
        dir (opened on first use)."""
        if self.database is None:
            return ConversationStore(data_dir)
        return PostgresConversations(self.database)

    def flags(self, folder: Path) -> Flags | None:
        """The flag store replicas share, if the rows go to the database; files go to the
        bucket if there is one, else beside the local store in `folder`."""
        if self.database is None:
            return None
        if self.bucket is None:
            return PostgresFlags(self.database, Folder(folder), folder)
        return PostgresFlags(self.database, self.bucket.under("flagged"), None)


def backends(config: Config, data_dir: Path) -> Backends:
    """The backends `config` names, not connected yet. ConfigError, at the key, when a client
    they need is not installed or replicas would not share the session key."""
    server = config.server
    problems: list[Problem] = []
    made = Backends()
    try:
        if server.database is not None:
            made.database = Postgres(server.database)
    except MissingExtra as exc:
        problems.append(config.source.problem(("server", "database"), str(exc)))
    try:
        if server.storage is not None:
            made.bucket = Bucket(server.storage, data_dir.resolve())  # its cache: the data dir
    except MissingExtra as exc:
        problems.append(config.source.problem(("server", "storage"), str(exc)))
    signs_in = server.auth and (server.auth.users or server.auth.oidc)  # cookies replicas share
    if server.database and signs_in and not session_secret(config):
        problems.append(
            config.source.problem(
                ("server", "database"),
                "replicas sharing a database must sign sessions with one key: set "
                f"server.auth.secret (or the {SECRET_VARIABLE} environment variable)",
            )
        )
    if problems:
        raise ConfigError(problems)
    return made


def connected(config: Config, data_dir: Path) -> Backends:
    """The backends of `config`, connected; ConfigError at the key of one that cannot be
    reached, saying why."""
    made = backends(config, data_dir)
    try:
        _reached_all(config, made, Postgres.open)
    except ConfigError:
        made.close()
        raise
    return made


def reach(config: Config, data_dir: Path) -> None:
    """Check that the backends of `config` can be reached (ConfigError if not): the database
    by migrating it, without starting a pool the app starts again when it runs."""
    _reached_all(config, backends(config, data_dir), Postgres.migrate)


def _reached_all(config: Config, made: Backends, connect: Callable[[Postgres], None]) -> None:
    if made.database is not None:
        database = made.database
        _reached(config, "database", database.where, lambda: connect(database))
    if made.bucket is not None:
        _reached(config, "storage", made.bucket.where, made.bucket.check)


def _reached(config: Config, key: str, where: str, connect: Callable[[], None]) -> None:
    try:
        connect()
    except Exception as exc:  # whatever the client raises, the operator reads why
        problem = config.source.problem(("server", key), f"cannot reach {where}: {exc}")
        raise ConfigError([problem]) from None


def session_secret(config: Config) -> str | None:
    """The key sessions are signed with, if the config (or the environment) sets one."""
    auth = config.server.auth
    return (auth.secret if auth else None) or os.environ.get(SECRET_VARIABLE) or None
