"""Flags in PostgreSQL, for replicas: the table `chatserve.store.flags` keeps in SQLite, and
their files in the shared blobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from chatserve.store.blobs import Blobs
from chatserve.store.flags import COLUMNS, Flag, KeptFiles
from chatserve.store.shared.postgres import Postgres

_QUOTED = ", ".join(f'"{name}"' for name in COLUMNS)  # `user` is a reserved word


class PostgresFlags(KeptFiles):
    """The flags of every replica, in the database's `flags` table."""

    def __init__(self, database: Postgres, files: Blobs, folder: Path | None) -> None:
        self.database = database
        self.files = files
        self.folder = folder
        self.where = database.where

    def add(self, flag: Flag) -> bool:
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        with self.database.connection() as connection:
            cursor = connection.execute(
                f"INSERT INTO flags ({_QUOTED}) VALUES ({placeholders}) "
                "ON CONFLICT (id) DO NOTHING",
                flag.row(),
            )
            return cursor.rowcount == 1

    def flags(self, since: str | None = None) -> Iterator[Flag]:
        query = f"SELECT {_QUOTED} FROM flags"
        query += " WHERE time >= %s ORDER BY seq" if since else " ORDER BY seq"
        with self.database.connection() as connection:
            rows = connection.execute(query, (since,) if since else ()).fetchall()
        for row in rows:
            yield Flag.from_row(row)

    def close(self) -> None:
        """Nothing to close: the database's pool is the app's."""
