"""Saved conversations in PostgreSQL, for replicas: the tables and SQL of
`chatserve.store.conversations`, in the database every replica shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chatserve.store.conversations import Execute, SQLConversations
from chatserve.store.shared.postgres import Postgres


class PostgresConversations(SQLConversations):
    find = "strpos"

    def __init__(self, database: Postgres) -> None:
        self.database = database
        self.where = database.where

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self.database.connection() as connection, connection.transaction():

            def run(statement: str, values: tuple[Any, ...]) -> Any:
                # The shared SQL has no `%` and no `?` but its placeholders.
                return connection.execute(statement.replace("?", "%s"), values)

            yield run

    def close(self) -> None:
        """Nothing to close: the database's pool is the app's."""
