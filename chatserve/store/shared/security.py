"""Sign-in state replicas share, in PostgreSQL: which sessions have ended, and the failed
sign-ins each address and user name has made (the same contracts as
`chatserve.security.sessions.SessionStore` and `chatserve.security.throttle.Throttle`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

from chatserve.store.digests import sha256_hex
from chatserve.store.shared.postgres import Postgres, lock_key


class PostgresSessionStore:
    """Ended sessions: a user's generation (a new one ends all their sessions) and revoked
    session ids, kept until the session would have expired anyway."""

    def __init__(self, database: Postgres) -> None:
        self.database = database

    def generation(self, username: str) -> str:
        with self.database.connection() as connection:
            row = connection.execute(
                "SELECT generation FROM session_generations WHERE user_digest = %s",
                (sha256_hex(username),),
            ).fetchone()
        return row[0] if row else ""

    def new_generation(self, username: str) -> None:
        with self.database.connection() as connection:
            connection.execute(
                "INSERT INTO session_generations VALUES (%s, %s) ON CONFLICT (user_digest) "
                "DO UPDATE SET generation = EXCLUDED.generation",
                (sha256_hex(username), secrets.token_urlsafe(16)),
            )

    def revoke(self, session_id: str, expiry: int) -> None:
        with self.database.connection() as connection, connection.transaction():
            connection.execute(
                "INSERT INTO revoked_sessions VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (session_id, expiry),
            )
            connection.execute("DELETE FROM revoked_sessions WHERE expiry < %s", (time.time(),))

    def is_revoked(self, session_id: str, expiry: int) -> bool:
        with self.database.connection() as connection:
            row = connection.execute(
                "SELECT 1 FROM revoked_sessions WHERE id = %s AND expiry = %s",
                (session_id, expiry),
            ).fetchone()
        return row is not None


class PostgresThrottle:
    """Attempts per key within `window` seconds, counted across replicas (wall-clock time:
    replicas share no monotonic clock)."""

    def __init__(self, database: Postgres, limits: Mapping[str, int], window: float = 60.0) -> None:
        self.database = database
        self.limits = limits
        self.window = window

    def take(self, **keys: str) -> float:
        now = time.time()
        with self.database.connection() as connection, connection.transaction():
            # One replica at a time: the count and the new attempt are one step.
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("sign-in"),))
            connection.execute("DELETE FROM sign_in_attempts WHERE at <= %s", (now - self.window,))
            waits = []
            for kind, key in keys.items():
                count, oldest = connection.execute(
                    "SELECT count(*), min(at) FROM sign_in_attempts WHERE kind = %s AND key = %s",
                    (kind, key),
                ).fetchone()
                if count >= self.limits[kind]:
                    waits.append(oldest + self.window - now)
            if waits:
                return max(waits)
            for kind, key in keys.items():
                connection.execute(
                    "INSERT INTO sign_in_attempts VALUES (%s, %s, %s)", (kind, key, now)
                )
        return 0.0

    def give_back(self, **keys: str) -> None:
        with self.database.connection() as connection:
            for kind, key in keys.items():
                connection.execute(
                    "DELETE FROM sign_in_attempts WHERE ctid IN (SELECT ctid FROM "
                    "sign_in_attempts WHERE kind = %s AND key = %s ORDER BY at DESC LIMIT 1)",
                    (kind, key),
                )

    def forget(self, **keys: str) -> None:
        with self.database.connection() as connection:
            for kind, key in keys.items():
                connection.execute(
                    "DELETE FROM sign_in_attempts WHERE kind = %s AND key = %s", (kind, key)
                )
