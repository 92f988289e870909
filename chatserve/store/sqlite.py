"""The SQLite databases chatserve keeps on this machine (the flag store, saved conversations):
how they are opened, migrated and written.

Each runs in WAL mode with full syncs: several worker processes may write at once, and a killed
server leaves every committed row intact. Its schema has a version (`user_version`); a database
of an earlier version is migrated when it is opened, one process at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

if TYPE_CHECKING:
    import sqlite3

OPENING_WAIT = 60.0
"""Seconds to wait for another process opening the database (finite: filelock takes an endless
wait on a lock its own process holds for a deadlock)."""

Migrations = tuple[tuple[str, ...], ...]
"""A schema, one step per version: step N brings a database at version N - 1 to N."""


def user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def open_database(
    path: Path,
    migrations: Migrations,
    what: str,
    version: Callable[[sqlite3.Connection], int] = user_version,
) -> sqlite3.Connection:
    """A connection to the database at `path` (made if missing), its schema brought to the
    last of `migrations`; `what` names it in errors, `version` reads its schema's version."""
    import sqlite3  # here: a bot that never writes one never loads the module

    path.parent.mkdir(parents=True, exist_ok=True)
    # Switching a new database to WAL fails at once ("database is locked") while another
    # process does the same, without waiting: processes take turns opening it.
    with FileLock(path.parent / f".{path.stem}.lock", timeout=OPENING_WAIT):
        connection = sqlite3.connect(
            path, timeout=60, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            with transaction(connection):
                _migrate(connection, migrations, what, version(connection))
        except BaseException:
            connection.close()
            raise
    return connection


def _migrate(
    connection: sqlite3.Connection, migrations: Migrations, what: str, current: int
) -> None:
    if current > len(migrations):
        raise RuntimeError(
            f"{what}'s schema is version {current}, newer than this release of chatserve "
            f"knows ({len(migrations)}): upgrade chatserve"
        )
    for statements in migrations[current:]:
        for statement in statements:
            connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {len(migrations)}")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`: takes the write lock up front, so writers queue on the
    busy timeout instead of failing to upgrade a read lock."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
