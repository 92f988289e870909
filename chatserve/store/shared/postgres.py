"""The PostgreSQL database replicas share (`server.database`): a pool of connections, the
schema's migrations, and advisory locks.

Every replica migrates the schema when it starts, one at a time (an advisory lock), so a new
release and replicas of the old one meet a schema both know: migrations only add.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chatserve.store.conversations import TABLES
from chatserve.store.shared.extras import client

if TYPE_CHECKING:
    from psycopg import Connection

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a connection, at start-up and from the pool."""

PROBE_TIMEOUT = 3.0
"""Seconds a readiness probe waits for a connection."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: flags, as SQLite keeps them (`chatserve.store.flags`)
        """CREATE TABLE flags (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        time TEXT NOT NULL,
        option TEXT,
        message_index INTEGER NOT NULL,
        conversation TEXT NOT NULL,
        inputs TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        client TEXT,
        files TEXT NOT NULL,
        "user" TEXT
        )""",
        "CREATE INDEX flags_time ON flags (time)",
    ),
    (  # 2: ended sessions and failed sign-ins (`chatserve.store.shared.security`)
        """CREATE TABLE session_generations (
        user_digest TEXT PRIMARY KEY,
        generation TEXT NOT NULL
        )""",
        """CREATE TABLE revoked_sessions (
        id TEXT PRIMARY KEY,
        expiry BIGINT NOT NULL
        )""",
        "CREATE INDEX revoked_sessions_expiry ON revoked_sessions (expiry)",
        """CREATE TABLE sign_in_attempts (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX sign_in_attempts_key ON sign_in_attempts (kind, key, at)",
    ),
    (  # 3: the records of files (`chatserve.store.shared.files`)
        """CREATE TABLE files (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        size BIGINT NOT NULL,
        owner TEXT,
        sandboxed_html BOOLEAN NOT NULL,
        created DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX files_created ON files (created)",
    ),
    TABLES,  # 4: saved conversations, as SQLite keeps them (`chatserve.store.conversations`)
)
"""The schema, one step per version: step N brings a database at version N - 1 to N."""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release of chatserve than this one."""


class Postgres:
    """A pool of connections to `url`; `open()` connects and migrates the schema."""

    def __init__(self, url: str, max_connections: int = 10) -> None:
        pool = client("psycopg_pool")
        self.psycopg = client("psycopg")
        self.url = url
        info = self.psycopg.conninfo.conninfo_to_dict(url)
        self.where = f"PostgreSQL database {info.get('dbname')!r} on {info.get('host')}"
        """For people: never the URL, which may hold a password."""
        self.pool = pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            open=False,
            timeout=CONNECT_TIMEOUT,
            kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT)},
            check=pool.ConnectionPool.check_connection,
            name="chatserve",
        )

    def open(self) -> None:
        """Migrate, then fill the pool; raises, saying why, if the database cannot be reached."""
        self.migrate()
        self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)

    def migrate(self) -> None:
        """Bring the schema up to date over a connection of its own (a pool that cannot
        connect only says that it timed out; this says why)."""
        with self.psycopg.connect(
            self.url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT)
        ) as connection:
            migrate(connection, MIGRATIONS)

    def close(self) -> None:
        self.pool.close()

    def check(self) -> None:
        """Raise unless the database answers within a few seconds."""
        with self.pool.connection(timeout=PROBE_TIMEOUT) as connection:
            connection.execute("SELECT 1")

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        with self.pool.connection() as connection:
            yield connection

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the lock `name` across every replica for the block (waiting for it)."""
        with self.connection() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))
            yield

    @contextmanager
    def leading(self, name: str) -> Iterator[Connection[Any] | None]:
        """A connection in a transaction holding the lock `name`, for one replica at a time;
        None at once for the others (they skip what the leader does)."""
        with self.connection() as connection, connection.transaction():
            row = connection.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", (lock_key(name),)
            ).fetchone()
            yield connection if row and row[0] else None


def migrate(connection: Connection[Any], steps: tuple[tuple[str, ...], ...]) -> int:
    """Bring the schema to the last of `steps`, one replica at a time; its version."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("migrations"),))
        connection.execute("CREATE TABLE IF NOT EXISTS chatserve_schema (version INTEGER)")
        row = connection.execute("SELECT version FROM chatserve_schema").fetchone()
        current = row[0] if row else 0
        if current > len(steps):
            raise SchemaTooNew(
                f"the database's schema is version {current}, newer than this release of "
                f"chatserve knows ({len(steps)}): upgrade chatserve"
            )
        for statements in steps[current:]:
            for statement in statements:
                connection.execute(statement)
        if row is None:
            connection.execute("INSERT INTO chatserve_schema VALUES (%s)", (len(steps),))
        else:
            connection.execute("UPDATE chatserve_schema SET version = %s", (len(steps),))
    return len(steps)


def lock_key(name: str) -> int:
    """An advisory lock's 64-bit key for `name`, the same in every replica."""
    digest = hashlib.sha256(f"chatserve:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
